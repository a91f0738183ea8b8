"""The `showcase` scene: what `make demo` renders, the first picture a new user sees.

Runs INSIDE the Blender child (bpy is passed in). 480x270, frames 1-24: the camera glides round a
small stage while a chrome ball bounces across it; a glass monkey, clay blocks and a glowing
"tilefarm" title share a warm key light, a cool rim light and a dusk sky. Bounces and samples are
kept low so that a frame renders in seconds on two CPU cores.
"""

from __future__ import annotations

import math
from typing import Any

from tilefarm.adapters.blender import scene_parts as parts

FRAMES = 24


def _checker_floor(bpy: Any, size: float) -> Any:
    """A large floor with a soft checker, so the camera's motion reads."""
    bpy.ops.mesh.primitive_plane_add(size=size, location=(0, 0, 0))
    floor = bpy.context.object
    mat = bpy.data.materials.new("Stage")
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.3
    checker = nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = size / 2.0
    checker.inputs["Color1"].default_value = (0.42, 0.4, 0.38, 1.0)
    checker.inputs["Color2"].default_value = (0.2, 0.2, 0.22, 1.0)
    links.new(checker.outputs["Color"], bsdf.inputs["Base Color"])
    floor.data.materials.append(mat)
    return floor


def _title(bpy: Any, scene: Any, mat: Any) -> Any:
    """The extruded, bevelled "tilefarm" title standing behind the stage."""
    curve = bpy.data.curves.new("Title", type="FONT")
    curve.body = "tilefarm"
    curve.align_x = "CENTER"
    curve.size = 1.25
    curve.extrude = 0.12
    curve.bevel_depth = 0.02
    title = bpy.data.objects.new("Title", curve)
    title.location = (0.0, 3.0, 2.05)
    title.rotation_euler = (math.radians(90), 0.0, 0.0)
    title.data.materials.append(mat)
    scene.collection.objects.link(title)
    return title


def build_showcase(bpy: Any) -> None:
    """480x270, frames 1-24, 32 samples (a manifest may ask for others)."""
    scene = parts.reset(bpy)
    scene.cycles.max_bounces = 6
    scene.cycles.diffuse_bounces = 2
    scene.cycles.glossy_bounces = 3
    scene.cycles.transmission_bounces = 6
    scene.cycles.caustics_reflective = False
    scene.cycles.caustics_refractive = False
    scene.cycles.blur_glossy = 1.0
    scene.view_settings.look = "None"

    # A night-blue studio: the floor fades into the dark, the lights make pools on it.
    world = bpy.data.worlds.new("Night")
    world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (0.018, 0.03, 0.07, 1.0)
    background.inputs["Strength"].default_value = 1.0
    scene.world = world

    _checker_floor(bpy, 40.0)
    ops = bpy.ops.mesh

    # A glass monkey turning on a marble plinth, inside a glowing ring: the centre of the stage.
    ops.primitive_cylinder_add(radius=0.75, depth=0.4, location=(0.0, 0.6, 0.2), vertices=48)
    bpy.ops.object.shade_smooth()
    parts.assign(
        bpy.context.object, parts.material(bpy, "Marble", (0.8, 0.78, 0.74), roughness=0.3)
    )
    ops.primitive_monkey_add(size=1.1, location=(0.0, 0.6, 0.95))
    monkey = bpy.context.object
    subsurf = monkey.modifiers.new("Smooth", "SUBSURF")
    subsurf.levels = subsurf.render_levels = 1
    bpy.ops.object.shade_smooth()
    parts.assign(
        monkey, parts.material(bpy, "Glass", (0.8, 0.95, 1.0), roughness=0.02, transmission=1.0)
    )
    for frame, angle in ((1, -0.7), (FRAMES, 0.7)):
        monkey.rotation_euler = (0.0, 0.0, angle)
        monkey.keyframe_insert("rotation_euler", frame=frame)
    ops.primitive_torus_add(
        major_radius=1.05, minor_radius=0.035, location=(0.0, 0.75, 1.05), rotation=(1.45, 0, 0)
    )
    parts.assign(bpy.context.object, parts.material(bpy, "Neon", (1.0, 0.42, 0.12), emission=6.0))

    # A chrome ball bouncing across the front of the stage: three hops over the 24 frames.
    ops.primitive_uv_sphere_add(radius=0.45, segments=48, ring_count=24)
    bpy.ops.object.shade_smooth()
    chrome = parts.material(bpy, "Chrome", (0.95, 0.9, 0.82), roughness=0.04, metallic=1.0)
    ball = parts.assign(bpy.context.object, chrome)
    for frame in range(1, FRAMES + 1):
        t = (frame - 1) / (FRAMES - 1)
        hop = abs(math.cos(t * 3 * math.pi))
        ball.location = (-2.6 + 5.2 * t, -1.3, 0.45 + 1.2 * hop)
        ball.keyframe_insert("location", frame=frame)

    # Clay blocks in warm and cool colours: a stack on the right, one on its own on the left.
    blocks = [
        ((2.3, 1.0, 0.35), 0.7, 0.3, (0.8, 0.22, 0.08)),
        ((2.35, 0.95, 1.0), 0.6, -0.25, (0.9, 0.6, 0.1)),
        ((-2.2, 1.2, 0.3), 0.6, 0.7, (0.12, 0.35, 0.8)),
    ]
    for i, (location, size, turn, colour) in enumerate(blocks):
        ops.primitive_cube_add(size=size, location=location, rotation=(0.0, 0.0, turn))
        bevel = bpy.context.object.modifiers.new("Bevel", "BEVEL")
        bevel.width, bevel.segments = 0.03, 2
        parts.assign(bpy.context.object, parts.material(bpy, f"Clay{i}", colour, roughness=0.5))

    _title(
        bpy, scene, parts.material(bpy, "TitleGlow", (0.25, 0.7, 1.0), roughness=0.3, emission=3.0)
    )

    target = parts.target(bpy, scene, (0.0, 0.9, 1.2))
    for kind, energy, location, colour in (
        ("SPOT", 1500.0, (3.0, -4.0, 6.0), (1.0, 0.88, 0.72)),  # warm key, a pool on the stage
        ("AREA", 250.0, (-4.5, 3.5, 3.0), (0.5, 0.68, 1.0)),  # cool rim from behind
    ):
        light = parts.light(bpy, scene, kind, energy, location, size=3.0)
        light.data.color = colour
        if kind == "SPOT":
            light.data.spot_size, light.data.spot_blend = math.radians(55), 0.4
            light.data.shadow_soft_size = 0.4
        aim = light.constraints.new("TRACK_TO")
        aim.target, aim.track_axis, aim.up_axis = target, "TRACK_NEGATIVE_Z", "UP_Y"

    cam = parts.camera(bpy, scene, (0.0, -8.0, 3.0), target)
    cam.data.lens = 28
    for frame in range(1, FRAMES + 1):
        t = (frame - 1) / (FRAMES - 1)
        angle = -0.45 + 0.9 * t
        radius = 7.0 - 0.8 * math.sin(t * math.pi)
        cam.location = (radius * math.sin(angle), -radius * math.cos(angle), 2.6 - 0.4 * t)
        cam.keyframe_insert("location", frame=frame)

    scene.frame_start, scene.frame_end = 1, FRAMES
    scene.render.resolution_x, scene.render.resolution_y = 480, 270
    scene.cycles.samples = 32
    # Cycles rebuilds its light tree over the emissive neon ring and title at every render call:
    # 66 ms of each 16x16 spot-check patch and 4.6 s a frame with it, 15 ms and 2.7 s without,
    # and with two lights the frames look the same (measured on this machine, 32 samples).
    scene.cycles.use_light_tree = False
