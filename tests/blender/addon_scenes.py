"""Builds an artist's project folder for the add-on's tests. Run as its own process with the venv
python (`python addon_scenes.py FOLDER`): it imports bpy directly, which only test helpers and
the Blender child ever do.

    FOLDER/tex/paint.png   a 4 x 4 PNG of one colour, PAINT (written here, not by Blender)
    FOLDER/lib.blend       a library holding the emissive material "Linked" (LINKED)
    FOLDER/shot.blend      an orthographic camera facing two planes: the left one wears the
                           linked material, the right one emits the PNG (as Non-Color data, so
                           its pixels are the PNG's bytes / 255); saved with relative paths,
                           nothing packed
    FOLDER/gone.blend      the same scene whose texture file is gone (tex/gone.png)
    FOLDER/private/secret.png          a file outside the next scene's folder
    FOLDER/leak/leak.blend             a scene naming three textures: leak/tex/inside.png, the
                                       secret by a path out of its folder (//../private/...), and
                                       leak/tex/link.png, a symlink to the secret
"""

import os
import struct
import sys
import zlib
from pathlib import Path

import bpy

PAINT = (64, 128, 191)  # the texture's RGB bytes
LINKED = (0.8, 0.1, 0.1)  # the library material's emission
SECRET = (1, 2, 3)  # a private file's RGB bytes


def write_png(path: Path, rgb: tuple[int, int, int], size: int = 4) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def emissive(name: str) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    emission = nodes.new("ShaderNodeEmission")
    output = nodes.new("ShaderNodeOutputMaterial")
    links.new(emission.outputs["Emission"], output.inputs["Surface"])
    return material


def build_library(path: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    material = emissive("Linked")
    material.node_tree.nodes["Emission"].inputs["Color"].default_value = (*LINKED, 1.0)
    material.use_fake_user = True
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def plane(x: float, material: bpy.types.Material) -> None:
    bpy.ops.mesh.primitive_plane_add(size=4, location=(x, 0, 0), rotation=(1.5708, 0, 0))
    bpy.context.active_object.data.materials.append(material)


def build_shot(folder: Path, texture: Path, out: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    scene.frame_start, scene.frame_end = 1, 1
    with bpy.data.libraries.load(str(folder / "lib.blend"), link=True) as (_, linked):
        linked.materials = ["Linked"]
    plane(-2.0, linked.materials[0])
    painted = emissive("Painted")
    image = bpy.data.images.load(str(texture))
    image.colorspace_settings.name = "Non-Color"
    tree = painted.node_tree
    node = tree.nodes.new("ShaderNodeTexImage")
    node.image, node.interpolation = image, "Closest"
    tree.links.new(node.outputs["Color"], tree.nodes["Emission"].inputs["Color"])
    plane(2.0, painted)
    camera = bpy.data.cameras.new("Camera")
    camera.type, camera.ortho_scale = "ORTHO", 4.0
    obj = bpy.data.objects.new("Camera", camera)
    scene.collection.objects.link(obj)
    obj.location, obj.rotation_euler = (0, -5, 0), (1.5708, 0, 0)
    scene.camera = obj
    bpy.ops.wm.save_as_mainfile(filepath=str(out))
    bpy.ops.file.make_paths_relative()  # as an artist's project is saved: //tex/paint.png
    bpy.ops.wm.save_mainfile()


def build_leak(folder: Path, out: Path) -> None:
    """A scene (as a downloaded asset file might be) naming a file outside its own folder, both
    by a path that leaves the folder and through a symlink inside it."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    material = emissive("Leaky")
    for name in ("inside.png", "link.png"):
        node = material.node_tree.nodes.new("ShaderNodeTexImage")
        node.image = bpy.data.images.load(str(out.parent / "tex" / name))
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = bpy.data.images.load(str(folder / "private" / "secret.png"))
    plane(0.0, material)
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    bpy.ops.wm.save_as_mainfile(filepath=str(out))
    bpy.ops.file.make_paths_relative()
    bpy.ops.wm.save_mainfile()


def main(folder: Path) -> None:
    write_png(folder / "tex" / "paint.png", PAINT)
    write_png(folder / "tex" / "gone.png", PAINT)
    build_library(folder / "lib.blend")
    build_shot(folder, folder / "tex" / "paint.png", folder / "shot.blend")
    build_shot(folder, folder / "tex" / "gone.png", folder / "gone.blend")
    (folder / "tex" / "gone.png").unlink()
    write_png(folder / "private" / "secret.png", SECRET)
    write_png(folder / "leak" / "tex" / "inside.png", PAINT)
    os.symlink(folder / "private" / "secret.png", folder / "leak" / "tex" / "link.png")
    build_leak(folder, folder / "leak" / "leak.blend")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
