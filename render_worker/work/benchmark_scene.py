"""The worker's reference scene, which `render-worker benchmark` measures samples per minute on.

Runs INSIDE the Blender child (`BlenderChild.build_scene(BUILDER, "benchmark", path)`), which passes
its `bpy` in; nothing here imports bpy.
"""

from __future__ import annotations

from typing import Any

from tilefarm.adapters.blender import scene_parts

BUILDER = __name__
NAME = "benchmark"


def build_benchmark(bpy: Any) -> None:
    """256x256, one frame: the still life seen from a fixed camera; glass, metal and an emitter
    make every sample cost what production scenes cost per bounce."""
    scene = scene_parts.reset(bpy)
    scene_parts.world(bpy, scene, (0.12, 0.16, 0.25), 0.6)
    target = scene_parts.still_life(bpy, scene)
    scene_parts.light(bpy, scene, "AREA", 600.0, (3.0, -3.0, 5.0), size=3.0)
    scene_parts.camera(bpy, scene, (1.5, -7.0, 3.2), target)
    scene.frame_start, scene.frame_end = 1, 1
    scene.render.resolution_x, scene.render.resolution_y = 256, 256
    scene.cycles.samples = 16


def build(bpy: Any, name: str) -> None:
    """Build the reference scene into bpy's current file (the caller saves it)."""
    if name != NAME:
        raise KeyError(f"unknown scene {name!r}; the worker's reference scene is {NAME!r}")
    build_benchmark(bpy)
