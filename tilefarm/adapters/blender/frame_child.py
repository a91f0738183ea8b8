"""Operations on a whole stitched frame that need Blender: Open Image Denoise through the
compositor, and PNG previews through Blender's own colour management (AgX, Filmic, looks...).
Runs INSIDE the Blender child, which passes its `bpy` in; nothing here imports bpy.

Denoising is applied to a stitched frame only: per-tile denoising would change pixels at every
seam and break the bit-exact tile protocol (measured ~45 dB against the whole-frame render).
"""

from __future__ import annotations

from typing import Any

from tilefarm.colour import ColourManagement


def denoise_exr(bpy: Any, in_path: str, out_path: str) -> None:
    """Load `in_path` (scene-linear EXR), run it through a Denoise node, save float EXR."""
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
    tree = bpy.data.node_groups.new("Denoise", "CompositorNodeTree")
    tree.interface.new_socket(name="Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    source = tree.nodes.new("CompositorNodeImage")
    source.image = image
    denoise = tree.nodes.new("CompositorNodeDenoise")
    output = tree.nodes.new("NodeGroupOutput")
    tree.links.new(source.outputs["Image"], denoise.inputs["Image"])
    tree.links.new(denoise.outputs["Image"], output.inputs[0])
    scene.compositing_node_group = tree
    settings = r.image_settings
    settings.file_format = "OPEN_EXR"
    settings.color_depth = "32"
    settings.color_mode = "RGBA"
    settings.exr_codec = "ZIP"
    r.filepath = out_path
    r.use_file_extension = False
    # With no Render Layers node the pipeline only composites: the scene itself is not rendered.
    bpy.ops.render.render(write_still=True)


def preview_png(bpy: Any, in_path: str, out_path: str, colour: ColourManagement) -> None:
    """Save a scene-linear EXR as an 8-bit PNG through the given view transform, look,
    exposure and gamma, exactly as Blender would save the render."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    image = bpy.data.images.load(in_path, check_existing=False)
    if image.size[0] == 0 or image.size[1] == 0:
        raise ValueError(f"{in_path} could not be read as an image")
    scene.display_settings.display_device = colour.display_device
    view = scene.view_settings
    view.view_transform = colour.view_transform
    view.look = colour.look
    view.exposure = colour.exposure
    view.gamma = colour.gamma
    settings = scene.render.image_settings
    settings.file_format = "PNG"
    settings.color_mode = "RGBA"
    settings.color_depth = "8"
    image.save_render(filepath=out_path, scene=scene)
