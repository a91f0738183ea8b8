"""Asks Blender itself about colour management, for the colour tests. Run as its own process with
the venv python (`python blender_colour.py ...`): it imports bpy directly, which only test helpers
and the child ever do. Each command prints one line `RESULT <json>` (Blender prints its own lines
too).

    table                             the colour settings Blender offers: each display's view
                                      transforms in order, each view's looks in order (enum items
                                      are dynamic: they are read by provoking Blender's refusal),
                                      the working spaces, and the hard ranges of the numbers
    build-agx OUT.blend               the tiny scene at 48x32, 4 samples, saved with AgX, the look
                                      'AgX - Punchy', exposure 0.75 and a new scene's dither (1.0);
                                      prints its colour settings as the manifest carries them
    render-png BLEND MANIFEST FRAME OUT.png
                                      open BLEND as the render child opens it (the child's own
                                      code applies MANIFEST), render the whole frame and let
                                      Blender write its own 8-bit PNG; prints the colour settings
                                      the render was saved with
"""

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import bpy


def _result(value: object) -> None:
    print("RESULT " + json.dumps(value), flush=True)


def _allowed(owner: Any, prop: str) -> list[str]:
    """An enum's current items, from the error Blender raises for an unknown one."""
    try:
        setattr(owner, prop, "\x01 no such item")
    except TypeError as exc:
        found = re.search(r"not found in \((.*)\)$", str(exc))
        if found:
            return re.findall(r"'([^']*)'", found.group(1))
        raise
    raise AssertionError(f"Blender accepted a made-up {prop}")


def table() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    view = scene.view_settings
    displays: dict[str, dict[str, list[str]]] = {}
    for display in _allowed(scene.display_settings, "display_device"):
        scene.display_settings.display_device = display
        displays[display] = {}
        for transform in _allowed(view, "view_transform"):
            view.view_transform = transform
            displays[display][transform] = _allowed(view, "look")
    colorspace = bpy.data.colorspace
    spaces = colorspace.bl_rna.properties["working_space"].enum_items.keys()
    ranges = {}
    for owner, names in (
        (view, ("exposure", "gamma", "white_balance_temperature", "white_balance_tint")),
        (scene.render, ("dither_intensity",)),
    ):
        for name in names:
            prop = owner.bl_rna.properties[name]
            ranges[name] = [prop.hard_min, prop.hard_max]
    _result({"displays": displays, "working_spaces": list(spaces), "ranges": ranges})


def _colour(scene: Any) -> dict[str, object]:
    view = scene.view_settings
    return {
        "working_space": bpy.data.colorspace.working_space,
        "display_device": scene.display_settings.display_device,
        "view_transform": view.view_transform,
        "look": view.look,
        "exposure": view.exposure,
        "gamma": view.gamma,
        "use_white_balance": view.use_white_balance,
        "white_balance_temperature": view.white_balance_temperature,
        "white_balance_tint": view.white_balance_tint,
        "dither_intensity": scene.render.dither_intensity,
    }


def build_agx(out: str) -> None:
    from tilefarm_cli.scenes.builders import build_tiny

    build_tiny(bpy)
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = 48, 32
    scene.cycles.samples = 4
    view = scene.view_settings
    view.view_transform = "AgX"
    view.look = "AgX - Punchy"
    view.exposure = 0.75
    # The dither a new scene in Blender has (the project's own scenes turn it off).
    scene.render.dither_intensity = 1.0
    bpy.ops.wm.save_as_mainfile(filepath=out)
    _result(_colour(scene))


def render_png(blend: str, manifest_path: str, frame: int, out: str) -> None:
    from tilefarm.adapters.blender import child as child_module
    from tilefarm.adapters.blender.protocol import OpenScene
    from tilefarm.manifest import parse_manifest

    child_module.bpy = bpy
    opener = child_module.Child(io.StringIO())
    manifest = parse_manifest(Path(manifest_path).read_bytes())
    opener.open(OpenScene(id=1, blend_path=blend, manifest=manifest, threads=2, devices=["CPU"]))
    scene = bpy.context.scene
    scene.frame_set(frame)
    r = scene.render
    r.use_border = False
    settings = r.image_settings
    settings.file_format = "PNG"
    settings.color_mode = "RGBA"
    settings.color_depth = "8"
    r.filepath = out
    r.use_file_extension = False
    bpy.ops.render.render(write_still=True)
    _result(_colour(scene))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "table":
        table()
    elif command == "build-agx":
        build_agx(args[0])
    elif command == "render-png":
        render_png(args[0], args[1], int(args[2]), args[3])
    else:
        raise SystemExit(f"unknown command {command!r}")
