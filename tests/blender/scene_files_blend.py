"""Builds scenes that name files outside themselves. Run as its own process with the venv python
(it imports bpy directly, which only test helpers and the Blender child ever do):

    python scene_files_blend.py library OUT.blend
    python scene_files_blend.py scene OUT.blend LIBRARY.blend
    python scene_files_blend.py many OUT.blend COUNT
    python scene_files_blend.py imports OUT.blend MESH.obj
    python scene_files_blend.py override OUT.blend

- `library`: a .blend holding an object `Rock` whose material reads `rock.png` beside it (not
  packed): linked into another scene, this image is the library's, not that scene's.
- `scene`: a camera, a plane whose material reads `textures/wood.png` (not packed) and
  `textures/label.png` (packed), `Rock` linked from LIBRARY.blend, a text in a font from
  `fonts/`, a speaker playing `sounds/beep.wav`, caches on disk (`_caches`); saved
  for Eevee with AgX, the Punchy look, exposure 0.5, gamma 1.25, dither 0.5 and a frame step of
  2. Every path is saved relative to the .blend (`//...`).
- `many`: COUNT images that are not packed, each used by a material and named by a path of
  1,000 characters, and one packed image.
- `imports`: an object whose geometry nodes import MESH.obj (a square, written there, named by
  its absolute path): its geometry is the square only if Blender reads that file.
- `override`: a scene viewed with AgX whose renders are saved with their own colour settings:
  Filmic, the Medium High Contrast look, exposure 1, white balance at 5000 K and tint 20.
"""

import sys
import wave
from pathlib import Path

import bpy

FONT = Path(bpy.utils.resource_path("LOCAL")) / "datafiles" / "fonts" / "Inter.woff2"


def _png(path: Path, name: str) -> bpy.types.Image:
    """An image saved as a PNG at `path` and loaded back, as an artist's texture is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    made = bpy.data.images.new(name, 4, 4, alpha=True)
    made.filepath_raw, made.file_format = str(path), "PNG"
    made.save()
    bpy.data.images.remove(made)
    image = bpy.data.images.load(str(path))
    image.name = name
    return image


def _textured(name: str, images: list[bpy.types.Image]) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    tree = material.node_tree
    assert tree is not None
    for image in images:
        tree.nodes.new("ShaderNodeTexImage").image = image
    return material


def _empty_scene() -> bpy.types.Scene:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    return scene


def library(out: str) -> None:
    scene = _empty_scene()
    folder = Path(out).parent
    rock = bpy.data.objects.new("Rock", bpy.data.meshes.new("Rock"))
    rock.data.materials.append(_textured("Rock", [_png(folder / "rock.png", "rock")]))
    scene.collection.objects.link(rock)
    bpy.ops.wm.save_as_mainfile(filepath=out)


def scene(out: str, library_path: str) -> None:
    scene = _empty_scene()
    folder = Path(out).parent
    scene.render.engine = "BLENDER_EEVEE"
    scene.frame_start, scene.frame_end, scene.frame_step = 1, 9, 2
    view = scene.view_settings
    view.view_transform, view.look = "AgX", "AgX - Punchy"
    view.exposure, view.gamma = 0.5, 1.25
    scene.display_settings.display_device = "sRGB"
    scene.render.dither_intensity = 0.5

    wood = _png(folder / "textures" / "wood.png", "wood")
    label = _png(folder / "textures" / "label.png", "label")
    label.pack()
    bpy.ops.mesh.primitive_plane_add()
    bpy.context.active_object.data.materials.append(_textured("Wood", [wood, label]))

    with bpy.data.libraries.load(library_path, link=True, relative=True) as (_source, linked):
        linked.objects = ["Rock"]
    scene.collection.objects.link(linked.objects[0])

    font_path = folder / "fonts" / FONT.name
    font_path.parent.mkdir()
    font_path.write_bytes(FONT.read_bytes())
    text = bpy.data.objects.new("Title", bpy.data.curves.new("Title", "FONT"))
    text.data.font = bpy.data.fonts.load(str(font_path))
    scene.collection.objects.link(text)

    sound_path = folder / "sounds" / "beep.wav"
    sound_path.parent.mkdir()
    with wave.open(str(sound_path), "wb") as beep:
        beep.setnchannels(1)
        beep.setsampwidth(2)
        beep.setframerate(8000)
        beep.writeframes(bytes(1600))
    speaker = bpy.data.objects.new("Speaker", bpy.data.speakers.new("Speaker"))
    speaker.data.sound = bpy.data.sounds.load(str(sound_path))
    scene.collection.objects.link(speaker)

    _caches(out)
    bpy.ops.wm.save_as_mainfile(filepath=out)


def _caches(out: str) -> None:
    """A sheet with a cloth and a soft body whose point caches are kept on disk (the soft body's
    in a folder of its own), a mesh cache file, a geometry-nodes bake written to a folder and an
    OBJ those nodes import, and an ocean never baked (which names no file)."""
    bpy.ops.mesh.primitive_plane_add(location=(0, 0, 2))
    sheet = bpy.context.active_object
    sheet.name = "Sheet"
    cloth = sheet.modifiers.new("Cloth", "CLOTH")
    soft = sheet.modifiers.new("Soft", "SOFT_BODY")
    bpy.ops.wm.save_as_mainfile(filepath=out)  # a disk cache needs a saved .blend
    cloth.point_cache.use_disk_cache = True
    soft.point_cache.use_disk_cache = soft.point_cache.use_external = True
    soft.point_cache.filepath = "//soft/"
    sheet.modifiers.new("Mesh Cache", "MESH_CACHE").filepath = "//waves.pc2"
    sheet.modifiers.new("Ocean", "OCEAN")
    tree = bpy.data.node_groups.new("Baked", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    bake = tree.nodes.new("GeometryNodeBake")
    tree.links.new(tree.nodes.new("NodeGroupInput").outputs[0], bake.inputs[0])
    tree.links.new(bake.outputs[0], tree.nodes.new("NodeGroupOutput").inputs[0])
    chair = tree.nodes.new("GeometryNodeImportOBJ")
    chair.name = "Chair"
    chair.inputs["Path"].default_value = "//props/chair.obj"
    nodes = sheet.modifiers.new("Bake", "NODES")
    nodes.node_group = tree
    nodes.bake_target, nodes.bake_directory = "DISK", "//bakes/"


def many(out: str, count: int) -> None:
    _empty_scene()
    folder = Path(out).parent
    first = _png(folder / "one.png", "one")
    images = [first]
    for k in range(1, count):
        image = first.copy()
        image.name = f"image {k:04d}"
        images.append(image)
    for k, image in enumerate(images):
        image.filepath_raw = f"//{k:04d}".ljust(1000, "x")
    packed = _png(folder / "packed.png", "packed")
    packed.pack()
    bpy.ops.mesh.primitive_plane_add()
    bpy.context.active_object.data.materials.append(_textured("Many", [*images, packed]))
    bpy.ops.wm.save_as_mainfile(filepath=out)


def imports(out: str, mesh_path: str) -> None:
    scene = _empty_scene()
    Path(mesh_path).write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n")
    tree = bpy.data.node_groups.new("Imported", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    square = tree.nodes.new("GeometryNodeImportOBJ")
    square.name = "Square"
    square.inputs["Path"].default_value = mesh_path
    tree.links.new(square.outputs[0], tree.nodes.new("NodeGroupOutput").inputs[0])
    probe = bpy.data.objects.new("Probe", bpy.data.meshes.new("Probe"))
    probe.modifiers.new("Imported", "NODES").node_group = tree
    scene.collection.objects.link(probe)
    bpy.ops.wm.save_as_mainfile(filepath=out, relative_remap=False)


def override(out: str) -> None:
    scene = _empty_scene()
    scene.view_settings.view_transform = "AgX"
    settings = scene.render.image_settings
    settings.color_management = "OVERRIDE"
    view = settings.view_settings
    view.view_transform, view.look, view.exposure = "Filmic", "Medium High Contrast", 1.0
    view.use_white_balance = True
    view.white_balance_temperature, view.white_balance_tint = 5000.0, 20.0
    bpy.ops.wm.save_as_mainfile(filepath=out)


if __name__ == "__main__":
    kind, target, *rest = sys.argv[1:]
    if kind == "library":
        library(target)
    elif kind == "scene":
        scene(target, rest[0])
    elif kind == "imports":
        imports(target, rest[0])
    elif kind == "override":
        override(target)
    else:
        many(target, int(rest[0]))
