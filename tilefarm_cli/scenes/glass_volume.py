"""The `glass_volume` scene: the paths on which two devices' kernels part ways soonest.

Runs INSIDE the Blender child (bpy is passed in). 640x480, frame 1, 64 samples: a glass ball in
front of a checkered wall (refraction bends the texture), a smoky cube lit by a spot light
(a volume: many random distances along each ray), and a block that crosses the frame while the
shutter is open (motion blur: a random time per ray). `python -m bench.crossdevice` renders it
on every device a machine has, next to the demo scene. Bounces are kept low so that a frame
renders in well under a minute on two CPU cores.
"""

from __future__ import annotations

import math
from typing import Any

from tilefarm.adapters.blender import scene_parts as parts


def _checkered(bpy: Any, name: str, scale: float, light: float, dark: float) -> Any:
    """A rough material with a grey checker: a texture that glass visibly bends."""
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.6
    checker = nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = scale
    checker.inputs["Color1"].default_value = (light, light * 0.95, light * 0.85, 1.0)
    checker.inputs["Color2"].default_value = (dark, dark, dark * 1.2, 1.0)
    links.new(checker.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _smoke(bpy: Any, density: float) -> Any:
    """A volume-only material (no surface): a Principled Volume of uniform density."""
    mat = bpy.data.materials.new("Smoke")
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.remove(nodes["Principled BSDF"])
    volume = nodes.new("ShaderNodeVolumePrincipled")
    volume.inputs["Color"].default_value = (0.75, 0.85, 1.0, 1.0)
    volume.inputs["Density"].default_value = density
    links.new(volume.outputs["Volume"], nodes["Material Output"].inputs["Volume"])
    return mat


def build_glass_volume(bpy: Any) -> None:
    """640x480, frame 1, 64 samples (a manifest may ask for others)."""
    scene = parts.reset(bpy)
    c = scene.cycles
    c.max_bounces, c.diffuse_bounces, c.glossy_bounces = 6, 2, 2
    c.transmission_bounces, c.volume_bounces, c.transparent_max_bounces = 6, 1, 4
    c.caustics_reflective = c.caustics_refractive = False
    c.volume_step_rate = 2.0  # coarser steps through the smoke: half the volume cost
    parts.world(bpy, scene, (0.06, 0.08, 0.12), 1.0)
    ops = bpy.ops.mesh

    ops.primitive_plane_add(size=30, location=(0, 0, 0))
    parts.assign(bpy.context.object, _checkered(bpy, "Floor", 15.0, 0.5, 0.18))
    ops.primitive_plane_add(size=12, location=(0, 3.0, 3.0), rotation=(math.radians(90), 0, 0))
    parts.assign(bpy.context.object, _checkered(bpy, "Wall", 12.0, 0.7, 0.08))

    # The glass ball, between the camera and the checkered wall.
    ops.primitive_uv_sphere_add(radius=1.0, location=(-0.9, 0.2, 1.0), segments=48, ring_count=24)
    bpy.ops.object.shade_smooth()
    parts.assign(
        bpy.context.object,
        parts.material(bpy, "Glass", (0.95, 0.98, 1.0), roughness=0.0, transmission=1.0),
    )

    # The smoke: a cube of volume on the right, a spot light shining down through it.
    ops.primitive_cube_add(size=1.6, location=(1.6, 0.8, 0.8), rotation=(0, 0, 0.4))
    parts.assign(bpy.context.object, _smoke(bpy, 0.9))
    spot = parts.light(bpy, scene, "SPOT", 900.0, (1.8, 0.2, 4.2))
    spot.data.spot_size, spot.data.spot_blend = math.radians(40), 0.3
    spot.data.color = (1.0, 0.85, 0.6)

    # The mover: a block crossing the front of the frame during the shutter of frame 1.
    ops.primitive_cube_add(size=0.6, location=(-1.2, -1.8, 0.3))
    mover = parts.assign(
        bpy.context.object, parts.material(bpy, "Mover", (0.9, 0.3, 0.05), roughness=0.3)
    )
    for frame, x in ((0, -1.1), (2, -0.1)):
        mover.location.x = x
        mover.keyframe_insert("location", index=0, frame=frame)
    scene.render.use_motion_blur = True
    scene.render.motion_blur_shutter = 0.8

    parts.light(bpy, scene, "AREA", 400.0, (-3.0, -3.0, 4.5), size=3.0)
    target = parts.target(bpy, scene, (0.2, 0.6, 1.0))
    cam = parts.camera(bpy, scene, (0.3, -6.5, 2.4), target)
    cam.data.lens = 32

    scene.frame_start, scene.frame_end = 1, 1
    scene.frame_set(1)
    scene.render.resolution_x, scene.render.resolution_y = 640, 480
    c.samples = 64
