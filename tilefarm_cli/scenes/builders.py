"""Procedural built-in scenes. These functions run INSIDE the Blender child, which passes its
`bpy` module in; nothing here imports bpy, so the rest of tilefarm can import this package.

- `tiny`: the test scene, 64x48, a few objects and a bright emitter; renders in a blink.
- `demo`: the `make demo` scene, 480x270, 12 frames of a camera orbit around glossy, diffuse
  and glowing objects on a floor.
- `showcase`: the scene `make demo` posts as a job (tilefarm_cli/scenes/showcase.py).
- `glass_volume`: glass, a volume and motion blur, for `bench.crossdevice`
  (tilefarm_cli/scenes/glass_volume.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tilefarm.adapters.blender import scene_parts as parts
from tilefarm_cli.scenes.glass_volume import build_glass_volume
from tilefarm_cli.scenes.showcase import build_showcase


def build_tiny(bpy: Any) -> None:
    """64x48, frames 1-2: a sphere, a floor and a bright emitter: fast and noisy enough that
    any difference in seed, samples or tiling shows in the pixels."""
    scene = parts.reset(bpy)
    parts.world(bpy, scene, (0.05, 0.07, 0.1), 1.0)
    bpy.ops.mesh.primitive_plane_add(size=10, location=(0, 0, 0))
    parts.assign(bpy.context.object, parts.material(bpy, "Floor", (0.6, 0.6, 0.6)))
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.8, location=(0, 0, 0.8))
    parts.assign(bpy.context.object, parts.material(bpy, "Ball", (0.2, 0.4, 0.9), roughness=0.2))
    bpy.ops.mesh.primitive_cube_add(size=0.4, location=(1.2, 0.6, 0.2))
    emitter = parts.assign(
        bpy.context.object, parts.material(bpy, "Emitter", (1.0, 0.7, 0.3), emission=40.0)
    )
    # The emitter moves, so frames differ (the seed is not animated).
    emitter.keyframe_insert("location", frame=1)
    emitter.location = (-1.2, 0.4, 0.2)
    emitter.keyframe_insert("location", frame=2)
    parts.light(bpy, scene, "POINT", 300.0, (2.0, -2.0, 3.0))
    parts.camera(bpy, scene, (0.0, -5.0, 2.2), parts.target(bpy, scene, (0.2, 0.0, 0.6)))
    scene.render.resolution_x, scene.render.resolution_y = 64, 48
    scene.frame_start, scene.frame_end = 1, 2
    scene.cycles.samples = 8


def build_demo(bpy: Any) -> None:
    """480x270, frames 1-12: the camera orbits a small still life lit by an area light, the
    sky and a glowing ring."""
    scene = parts.reset(bpy)
    parts.world(bpy, scene, (0.12, 0.16, 0.25), 0.6)
    target = parts.still_life(bpy, scene)
    parts.light(bpy, scene, "AREA", 600.0, (3.0, -3.0, 5.0), size=3.0)
    parts.light(bpy, scene, "SUN", 2.0, (0.0, 0.0, 10.0))
    cam = parts.camera(bpy, scene, (0.0, -9.0, 3.4), target)
    scene.frame_start, scene.frame_end = 1, 12
    for frame in range(scene.frame_start, scene.frame_end + 1):
        angle = -0.5 + (frame - 1) * (1.0 / 11.0)
        cam.location = (9.0 * math.sin(angle), -9.0 * math.cos(angle), 3.4 + 0.3 * math.sin(angle))
        cam.keyframe_insert("location", frame=frame)
    scene.render.resolution_x, scene.render.resolution_y = 480, 270
    scene.cycles.samples = 32


BUILDERS: dict[str, Callable[[Any], None]] = {
    "tiny": build_tiny,
    "demo": build_demo,
    "showcase": build_showcase,
    "glass_volume": build_glass_volume,
}


def build(bpy: Any, name: str) -> None:
    """Build scene `name` into bpy's current file (the caller saves it)."""
    if name not in BUILDERS:
        raise KeyError(f"unknown built-in scene {name!r}; choose one of {sorted(BUILDERS)}")
    BUILDERS[name](bpy)
