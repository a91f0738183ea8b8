"""Operations on a whole stitched frame that need Blender: Open Image Denoise through the
compositor, and PNG previews through Blender's own colour management (AgX, Filmic, looks...).
Runs INSIDE the Blender child, which passes its `bpy` in; nothing here imports bpy.

Denoising is applied to a stitched frame only: per-tile denoising would change pixels at every
seam and break the bit-exact tile protocol (measured ~45 dB against the whole-frame render).
"""

from __future__ import annotations

from typing import Any

from tilefarm.colour import ColourManagement


def _compositing_only(bpy: Any, in_path: str, name: str) -> tuple[Any, Any, Any]:
    """A fresh empty file whose render only composites the image at `in_path` (no Render Layers
    node, so the scene itself is not rendered), at the image's size, with no stamp or metadata
    of its own. Returns the scene, the compositor tree (its output not yet linked) and the
    Image node."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    image = bpy.data.images.load(in_path, check_existing=False)
    width, height = image.size
    if width == 0 or height == 0:
        raise ValueError(f"{in_path} could not be read as an image")
    r = scene.render
    r.resolution_x, r.resolution_y, r.resolution_percentage = width, height, 100
    r.use_compositing = True
    r.use_sequencer = False
    r.use_stamp = False
    # Dates, render times and file names in a frame's metadata would make its bytes (and CID)
    # differ between the assembler and an auditor writing it from the same tiles.
    for prop in r.bl_rna.properties:
        if prop.identifier.startswith("use_stamp_"):
            setattr(r, prop.identifier, False)
    r.compositor_device = "CPU"
    r.compositor_precision = "FULL"
    tree = bpy.data.node_groups.new(name, "CompositorNodeTree")
    tree.interface.new_socket(name="Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    source = tree.nodes.new("CompositorNodeImage")
    source.image = image
    scene.compositing_node_group = tree
    return scene, tree, source


def denoise_exr(bpy: Any, in_path: str, out_path: str) -> None:
    """Load `in_path` (scene-linear EXR), run it through a Denoise node, save float EXR."""
    scene, tree, source = _compositing_only(bpy, in_path, "Denoise")
    denoise = tree.nodes.new("CompositorNodeDenoise")
    output = tree.nodes.new("NodeGroupOutput")
    tree.links.new(source.outputs["Image"], denoise.inputs["Image"])
    tree.links.new(denoise.outputs["Image"], output.inputs[0])
    r = scene.render
    settings = r.image_settings
    settings.file_format = "OPEN_EXR"
    settings.color_depth = "32"
    settings.color_mode = "RGBA"
    settings.exr_codec = "ZIP"
    r.filepath = out_path
    r.use_file_extension = False
    bpy.ops.render.render(write_still=True)


def preview_png(bpy: Any, in_path: str, out_path: str, colour: ColourManagement) -> None:
    """Save a scene-linear EXR as an 8-bit PNG through the given working space, display,
    view transform, look, exposure, gamma, white balance and dither, exactly as Blender saves
    a render of the scene: the same pixels, to the last bit.

    The frame goes through the compositor as a render's result, not `Image.save_render` on the
    loaded file: Blender dithers only a render's result (a loaded image is saved undithered)."""
    scene, tree, source = _compositing_only(bpy, in_path, "Preview")
    # The EXR holds the scene's working space, whatever its header says (tiles and a denoised
    # frame are written by other files, in other working spaces).
    if bpy.data.colorspace.working_space != colour.working_space:
        bpy.ops.wm.set_working_color_space(working_space=colour.working_space, convert_colors=False)
    source.image.colorspace_settings.name = colour.working_space
    output = tree.nodes.new("NodeGroupOutput")
    tree.links.new(source.outputs["Image"], output.inputs[0])
    # Display first: Blender replaces a view the display does not offer, and a look the view
    # does not offer.
    scene.display_settings.display_device = colour.display_device
    view = scene.view_settings
    view.view_transform = colour.view_transform
    view.look = colour.look
    view.exposure = colour.exposure
    view.gamma = colour.gamma
    view.use_white_balance = colour.use_white_balance
    view.white_balance_temperature = colour.white_balance_temperature
    view.white_balance_tint = colour.white_balance_tint
    r = scene.render
    r.dither_intensity = colour.dither_intensity
    settings = r.image_settings
    settings.file_format = "PNG"
    settings.color_mode = "RGBA"
    settings.color_depth = "8"
    settings.color_management = "FOLLOW_SCENE"
    bpy.ops.render.render(write_still=False)
    # Saved from the result rather than by `write_still`: a '#' in the path stays a '#'.
    result = bpy.data.images["Render Result"]
    result.save_render(filepath=out_path, scene=scene)
