"""Builds a scene whose memory the intake's estimate can be checked against. Run as its own
process with the venv python (`python textured_blend.py OUT.blend`): it imports bpy directly,
which only test helpers and the Blender child ever do.

The scene: a camera and one cube (8 vertices, 12 triangles) whose material reads two images
packed into the .blend, a 256 x 128 RGBA PNG (byte pixels) and a 64 x 32 RGB EXR (float pixels),
one image Blender generates (32 x 16, float pixels), and one image whose file is not packed and
is gone (tests/marketplace/test_scenes.py says what the estimate must be).
"""

import sys
import tempfile
from pathlib import Path

import bpy


def _image(
    folder: Path, name: str, size: tuple[int, int], *, float_: bool, fmt: str
) -> bpy.types.Image:
    """An image saved as a file and loaded back, as an artist's texture is."""
    made = bpy.data.images.new(name, *size, alpha=not float_, float_buffer=float_)
    path = folder / f"{name}.{'exr' if float_ else 'png'}"
    made.filepath_raw, made.file_format = str(path), fmt
    made.save()
    bpy.data.images.remove(made)
    return bpy.data.images.load(str(path))


def build(out: str) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 64, 48
    scene.cycles.samples = 2
    bpy.ops.mesh.primitive_cube_add(location=(0, 0, 0))
    cube = bpy.context.active_object
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
    scene.camera = camera
    material = bpy.data.materials.new("Textured")
    cube.data.materials.append(material)
    with tempfile.TemporaryDirectory() as folder:
        albedo = _image(Path(folder), "albedo", (256, 128), float_=False, fmt="PNG")
        height = _image(Path(folder), "height", (64, 32), float_=True, fmt="OPEN_EXR")
        gone = _image(Path(folder), "gone", (16, 16), float_=False, fmt="PNG")
        albedo.pack()
        height.pack()
        tree = material.node_tree
        assert tree is not None
        generated = bpy.data.images.new("generated", 32, 16, float_buffer=True)
        for image in (albedo, height, generated, gone):
            tree.nodes.new("ShaderNodeTexImage").image = image
        bpy.ops.wm.save_as_mainfile(filepath=out)
    # The folder is gone: `gone.png` is an external file nobody uploaded.


if __name__ == "__main__":
    build(sys.argv[1])
