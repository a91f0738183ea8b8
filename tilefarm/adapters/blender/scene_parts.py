"""Parts that procedural scenes share: a reset to an empty Cycles scene, materials, a world, a
camera that looks at a target, lights and a still life. Runs INSIDE the Blender child, which passes
its `bpy` in (nothing here imports bpy); the programs' scene builders are made of these.
"""

from __future__ import annotations

from typing import Any

Color = tuple[float, float, float]


def reset(bpy: Any) -> Any:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = False
    scene.view_settings.view_transform = "Standard"
    # Plain sRGB PNGs, undithered: the project's own scenes are assembled without Blender.
    scene.render.dither_intensity = 0.0
    return scene


def material(
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


def assign(obj: Any, mat: Any) -> Any:
    obj.data.materials.append(mat)
    return obj


def world(bpy: Any, scene: Any, color: Color, strength: float) -> None:
    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    bg = world.node_tree.nodes["Background"]
    bg.inputs["Color"].default_value = (*color, 1.0)
    bg.inputs["Strength"].default_value = strength
    scene.world = world


def camera(bpy: Any, scene: Any, location: tuple[float, float, float], target: Any) -> Any:
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location = location
    track = cam.constraints.new("TRACK_TO")
    track.target = target
    track.track_axis = "TRACK_NEGATIVE_Z"
    track.up_axis = "UP_Y"
    scene.camera = cam
    return cam


def light(
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


def target(bpy: Any, scene: Any, location: tuple[float, float, float]) -> Any:
    empty = bpy.data.objects.new("Target", None)
    empty.location = location
    scene.collection.objects.link(empty)
    return empty


def still_life(bpy: Any, scene: Any) -> Any:
    """Floor, a glossy sphere, a diffuse monkey, a glass cube and a bright emitter ring."""
    ops = bpy.ops.mesh
    ops.primitive_plane_add(size=80, location=(0, 0, 0))
    assign(bpy.context.object, material(bpy, "Floor", (0.55, 0.52, 0.48), roughness=0.35))
    ops.primitive_uv_sphere_add(radius=1.0, location=(-1.6, 0.4, 1.0), segments=48, ring_count=24)
    bpy.ops.object.shade_smooth()
    assign(
        bpy.context.object,
        material(bpy, "Chrome", (0.9, 0.8, 0.6), roughness=0.08, metallic=1.0),
    )
    ops.primitive_monkey_add(size=1.4, location=(0.9, -0.2, 0.9), rotation=(0.0, 0.0, -0.5))
    bpy.ops.object.shade_smooth()
    assign(bpy.context.object, material(bpy, "Clay", (0.8, 0.25, 0.12), roughness=0.6))
    ops.primitive_cube_add(size=0.9, location=(2.6, 1.6, 0.45), rotation=(0.0, 0.0, 0.6))
    assign(
        bpy.context.object,
        material(bpy, "Glass", (0.7, 0.9, 1.0), roughness=0.02, transmission=1.0),
    )
    ops.primitive_torus_add(
        major_radius=0.7, minor_radius=0.06, location=(-0.2, 2.2, 1.6), rotation=(1.2, 0.0, 0.3)
    )
    assign(bpy.context.object, material(bpy, "Glow", (1.0, 0.55, 0.2), emission=25.0))
    return target(bpy, scene, (0.2, 0.4, 0.8))
