"""Procedural built-in scenes. These functions run INSIDE the Blender child, which passes its
`bpy` module in; nothing here imports bpy, so the rest of tilefarm can import this package.

- `tiny`: the test scene, 64x48, a few objects and a bright emitter; renders in a blink.
- `demo`: the `make demo` scene, 480x270, 12 frames of a camera orbit around glossy, diffuse
  and glowing objects on a floor.
- `showcase`: the scene `make demo` posts as a job (tilefarm/scenes/showcase.py).
- `benchmark`: the fixed reference scene `render-worker benchmark` measures samples/minute on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tilefarm.scenes.showcase import build_showcase

Color = tuple[float, float, float]


def _reset(bpy: Any) -> Any:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = False
    scene.view_settings.view_transform = "Standard"
    return scene


def _material(
    bpy: Any,
    name: str,
    color: Color,
    *,
    roughness: float = 0.5,
    metallic: float = 0.0,
    emission: float = 0.0,
    transmission: float = 0.0,
) -> Any:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    bsdf.inputs["Transmission Weight"].default_value = transmission
    if emission:
        bsdf.inputs["Emission Color"].default_value = (*color, 1.0)
        bsdf.inputs["Emission Strength"].default_value = emission
    return mat


def _assign(obj: Any, mat: Any) -> Any:
    obj.data.materials.append(mat)
    return obj


def _world(bpy: Any, scene: Any, color: Color, strength: float) -> None:
    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    bg = world.node_tree.nodes["Background"]
    bg.inputs["Color"].default_value = (*color, 1.0)
    bg.inputs["Strength"].default_value = strength
    scene.world = world


def _camera(bpy: Any, scene: Any, location: tuple[float, float, float], target: Any) -> Any:
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location = location
    track = cam.constraints.new("TRACK_TO")
    track.target = target
    track.track_axis = "TRACK_NEGATIVE_Z"
    track.up_axis = "UP_Y"
    scene.camera = cam
    return cam


def _light(
    bpy: Any,
    scene: Any,
    kind: str,
    energy: float,
    location: tuple[float, float, float],
    size: float = 1.0,
) -> Any:
    data = bpy.data.lights.new(kind.title(), kind)
    data.energy = energy
    if kind == "AREA":
        data.size = size
    light = bpy.data.objects.new(data.name, data)
    light.location = location
    scene.collection.objects.link(light)
    return light


def _target(bpy: Any, scene: Any, location: tuple[float, float, float]) -> Any:
    empty = bpy.data.objects.new("Target", None)
    empty.location = location
    scene.collection.objects.link(empty)
    return empty


def _still_life(bpy: Any, scene: Any) -> Any:
    """Floor, a glossy sphere, a diffuse monkey, a glass cube and a bright emitter ring."""
    ops = bpy.ops.mesh
    ops.primitive_plane_add(size=80, location=(0, 0, 0))
    _assign(bpy.context.object, _material(bpy, "Floor", (0.55, 0.52, 0.48), roughness=0.35))
    ops.primitive_uv_sphere_add(radius=1.0, location=(-1.6, 0.4, 1.0), segments=48, ring_count=24)
    bpy.ops.object.shade_smooth()
    _assign(
        bpy.context.object, _material(bpy, "Chrome", (0.9, 0.8, 0.6), roughness=0.08, metallic=1.0)
    )
    ops.primitive_monkey_add(size=1.4, location=(0.9, -0.2, 0.9), rotation=(0.0, 0.0, -0.5))
    bpy.ops.object.shade_smooth()
    _assign(bpy.context.object, _material(bpy, "Clay", (0.8, 0.25, 0.12), roughness=0.6))
    ops.primitive_cube_add(size=0.9, location=(2.6, 1.6, 0.45), rotation=(0.0, 0.0, 0.6))
    _assign(
        bpy.context.object,
        _material(bpy, "Glass", (0.7, 0.9, 1.0), roughness=0.02, transmission=1.0),
    )
    ops.primitive_torus_add(
        major_radius=0.7, minor_radius=0.06, location=(-0.2, 2.2, 1.6), rotation=(1.2, 0.0, 0.3)
    )
    _assign(bpy.context.object, _material(bpy, "Glow", (1.0, 0.55, 0.2), emission=25.0))
    return _target(bpy, scene, (0.2, 0.4, 0.8))


def build_tiny(bpy: Any) -> None:
    """64x48, frames 1-2: a sphere, a floor and a bright emitter: fast and noisy enough that
    any difference in seed, samples or tiling shows in the pixels."""
    scene = _reset(bpy)
    _world(bpy, scene, (0.05, 0.07, 0.1), 1.0)
    bpy.ops.mesh.primitive_plane_add(size=10, location=(0, 0, 0))
    _assign(bpy.context.object, _material(bpy, "Floor", (0.6, 0.6, 0.6)))
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.8, location=(0, 0, 0.8))
    _assign(bpy.context.object, _material(bpy, "Ball", (0.2, 0.4, 0.9), roughness=0.2))
    bpy.ops.mesh.primitive_cube_add(size=0.4, location=(1.2, 0.6, 0.2))
    emitter = _assign(bpy.context.object, _material(bpy, "Emitter", (1.0, 0.7, 0.3), emission=40.0))
    # The emitter moves, so frames differ (the seed is not animated).
    emitter.keyframe_insert("location", frame=1)
    emitter.location = (-1.2, 0.4, 0.2)
    emitter.keyframe_insert("location", frame=2)
    _light(bpy, scene, "POINT", 300.0, (2.0, -2.0, 3.0))
    _camera(bpy, scene, (0.0, -5.0, 2.2), _target(bpy, scene, (0.2, 0.0, 0.6)))
    scene.render.resolution_x, scene.render.resolution_y = 64, 48
    scene.frame_start, scene.frame_end = 1, 2
    scene.cycles.samples = 8


def build_demo(bpy: Any) -> None:
    """480x270, frames 1-12: the camera orbits a small still life lit by an area light, the
    sky and a glowing ring."""
    scene = _reset(bpy)
    _world(bpy, scene, (0.12, 0.16, 0.25), 0.6)
    target = _still_life(bpy, scene)
    _light(bpy, scene, "AREA", 600.0, (3.0, -3.0, 5.0), size=3.0)
    _light(bpy, scene, "SUN", 2.0, (0.0, 0.0, 10.0))
    cam = _camera(bpy, scene, (0.0, -9.0, 3.4), target)
    scene.frame_start, scene.frame_end = 1, 12
    for frame in range(scene.frame_start, scene.frame_end + 1):
        angle = -0.5 + (frame - 1) * (1.0 / 11.0)
        cam.location = (9.0 * math.sin(angle), -9.0 * math.cos(angle), 3.4 + 0.3 * math.sin(angle))
        cam.keyframe_insert("location", frame=frame)
    scene.render.resolution_x, scene.render.resolution_y = 480, 270
    scene.cycles.samples = 32


def build_benchmark(bpy: Any) -> None:
    """256x256, one frame: the still life seen from a fixed camera; glass, metal and an emitter
    make every sample cost what production scenes cost per bounce."""
    scene = _reset(bpy)
    _world(bpy, scene, (0.12, 0.16, 0.25), 0.6)
    target = _still_life(bpy, scene)
    _light(bpy, scene, "AREA", 600.0, (3.0, -3.0, 5.0), size=3.0)
    _camera(bpy, scene, (1.5, -7.0, 3.2), target)
    scene.frame_start, scene.frame_end = 1, 1
    scene.render.resolution_x, scene.render.resolution_y = 256, 256
    scene.cycles.samples = 16


BUILDERS: dict[str, Callable[[Any], None]] = {
    "tiny": build_tiny,
    "demo": build_demo,
    "benchmark": build_benchmark,
    "showcase": build_showcase,
}


def build(bpy: Any, name: str) -> None:
    """Build scene `name` into bpy's current file (the caller saves it)."""
    if name not in BUILDERS:
        raise KeyError(f"unknown built-in scene {name!r}; choose one of {sorted(BUILDERS)}")
    BUILDERS[name](bpy)
