"""Builds the hostile and broken .blend files the Blender tests feed to the child, and runs the
trusted control. Run as its own process with the venv python (`python hostile_blend.py ...`):
it imports bpy directly, which only test helpers and the child ever do.

    build-hostile OUT.blend MARKER_DIR   a scene whose Python would write MARKER_DIR/{text,driver,
                                         handler} when trusted: an auto-run text block that also
                                         registers a render handler, and a Python driver
    build-no-camera OUT.blend            a scene with objects but no camera
    build-memory-hog OUT.blend           a cube subdivided to ~6 M faces at render time
    build-uncompressed SRC.blend OUT     re-save a .blend without compression
    render-trusted BLEND OUT.exr         the CONTROL: open WITH scripts allowed and render
"""

import sys
from collections.abc import Callable

import bpy

TEXT_BLOCK = """
import pathlib
import bpy

MARKERS = pathlib.Path({marker_dir!r})
(MARKERS / "text").write_text("the auto-run text block ran")


def _on_render(*_args):
    (MARKERS / "handler").write_text("the render handler ran")


bpy.app.handlers.render_pre.append(_on_render)
"""

DRIVER = "__import__('pathlib').Path({path!r}).write_text('driver ran') * 0.0"


def _scene_with_camera() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    scene.cycles.samples = 2
    bpy.ops.mesh.primitive_cube_add(location=(0, 0, 0))
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location = (0, -6, 0)
    cam.rotation_euler = (1.5708, 0, 0)
    scene.camera = cam


def build_hostile(out: str, marker_dir: str) -> None:
    _scene_with_camera()
    text = bpy.data.texts.new("hostile.py")
    text.write(TEXT_BLOCK.format(marker_dir=marker_dir))
    text.use_module = True  # "Register": runs on load when scripts are trusted
    cube = bpy.data.objects["Cube"]
    fcurve = cube.driver_add("location", 0)
    fcurve.driver.type = "SCRIPTED"
    fcurve.driver.expression = DRIVER.format(path=f"{marker_dir}/driver")
    bpy.ops.wm.save_as_mainfile(filepath=out)


def build_no_camera(out: str) -> None:
    _scene_with_camera()
    bpy.data.objects.remove(bpy.data.objects["Camera"])
    bpy.ops.wm.save_as_mainfile(filepath=out)


def build_memory_hog(out: str) -> None:
    _scene_with_camera()
    # Subdivided at render time only: ~6 million faces, gigabytes once evaluated for rendering.
    modifier = bpy.data.objects["Cube"].modifiers.new("Subdivision", "SUBSURF")
    modifier.levels = 0
    modifier.render_levels = 10
    bpy.ops.wm.save_as_mainfile(filepath=out)


def build_uncompressed(src: str, out: str) -> None:
    bpy.ops.wm.open_mainfile(filepath=src, load_ui=False, use_scripts=False)
    bpy.ops.wm.save_as_mainfile(filepath=out, compress=False)


def render_trusted(blend: str, out: str) -> None:
    bpy.context.preferences.filepaths.use_scripts_auto_execute = True
    bpy.ops.wm.open_mainfile(filepath=blend, load_ui=False, use_scripts=True)
    scene = bpy.context.scene
    scene.frame_set(2)
    scene.render.filepath = out
    bpy.ops.render.render(write_still=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    commands: dict[str, Callable[..., None]] = {
        "build-hostile": build_hostile,
        "build-no-camera": build_no_camera,
        "build-memory-hog": build_memory_hog,
        "build-uncompressed": build_uncompressed,
        "render-trusted": render_trusted,
    }
    commands[command](*args)
