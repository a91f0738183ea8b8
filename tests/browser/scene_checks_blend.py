"""Builds the tiny scenes the submit page's checks are shown with. Run as its own process with
the venv python (it imports bpy directly, which only test helpers and the Blender child ever do):

    python scene_checks_blend.py OUT_DIR

writes into OUT_DIR, each 32 x 24 px with a camera and a plane, frame 1 only unless said:
- `missing.blend`: Cycles; the plane's material reads `textures/wood.png`, not packed and deleted
  after saving (a texture the artist forgot to pack);
- `eevee.blend`: saved for Eevee;
- `agx.blend`: Cycles with AgX, the Punchy look, exposure 0.5, gamma 1.25, and frames 1-9 with a
  step of 2.
"""

import shutil
import sys
from pathlib import Path

import bpy


def _scene() -> bpy.types.Scene:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    scene.cycles.samples = 1
    scene.frame_start = scene.frame_end = 1
    scene.view_settings.view_transform = "Standard"
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
    scene.camera = camera
    bpy.ops.mesh.primitive_plane_add(size=4, rotation=(1.5708, 0, 0))
    return scene


def missing(out: Path) -> None:
    _scene()
    texture = out.parent / "textures" / "wood.png"
    texture.parent.mkdir(parents=True, exist_ok=True)
    made = bpy.data.images.new("wood", 4, 4)
    made.filepath_raw, made.file_format = str(texture), "PNG"
    made.save()
    bpy.data.images.remove(made)
    material = bpy.data.materials.new("Wood")
    tree = material.node_tree
    assert tree is not None
    tree.nodes.new("ShaderNodeTexImage").image = bpy.data.images.load(str(texture))
    bpy.context.active_object.data.materials.append(material)
    bpy.ops.wm.save_as_mainfile(filepath=str(out))
    shutil.rmtree(texture.parent)


def eevee(out: Path) -> None:
    _scene().render.engine = "BLENDER_EEVEE"
    bpy.ops.wm.save_as_mainfile(filepath=str(out))


def agx(out: Path) -> None:
    scene = _scene()
    view = scene.view_settings
    view.view_transform, view.look = "AgX", "AgX - Punchy"
    view.exposure, view.gamma = 0.5, 1.25
    scene.frame_start, scene.frame_end, scene.frame_step = 1, 9, 2
    bpy.ops.wm.save_as_mainfile(filepath=str(out))


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    for build in (missing, eevee, agx):
        build(folder / f"{build.__name__}.blend")
