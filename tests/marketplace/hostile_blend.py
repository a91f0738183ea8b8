"""Builds scenes made to break or probe the intake's memory estimate. Run as its own process with
the venv python (it imports bpy directly, which only test helpers and the Blender child ever do):

    python hostile_blend.py subdivided OUT.blend
    python hostile_blend.py external OUT.blend IMAGE.png

- `subdivided`: a camera and one cube (8 vertices, 12 triangles) under `SUBDIVISIONS` subdivision
  modifiers, each 0 levels in the viewport and Blender's most (11) at render time: extrapolated
  without a bound, 506 levels would make the geometry 4^506 times the cube's.
- `external`: a camera and a plane whose geometry nodes keep a 2 x 2 grid only where the image at
  IMAGE.png (an absolute path, written here as a white 4 x 4 PNG, not packed into the .blend)
  reads green: it is kept when Blender loads the file, deleted when the file cannot be read, so
  the triangle count would tell the uploader whether that path exists on the server.
"""

import sys
from pathlib import Path

import bpy

SUBDIVISIONS = 46


def _scene_with_camera() -> bpy.types.Scene:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 64, 48
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
    scene.camera = camera
    return scene


def subdivided(out: str) -> None:
    _scene_with_camera()
    bpy.ops.mesh.primitive_cube_add(location=(0, 0, 0))
    cube = bpy.context.active_object
    for k in range(SUBDIVISIONS):
        modifier = cube.modifiers.new(f"Subdivision {k}", "SUBSURF")
        modifier.levels, modifier.render_levels = 0, 11
    bpy.ops.wm.save_as_mainfile(filepath=out)


def external(out: str, image_path: str) -> None:
    _scene_with_camera()
    white = bpy.data.images.new("probe", 4, 4, alpha=True)
    white.pixels[:] = [1.0] * (4 * 4 * 4)
    white.filepath_raw, white.file_format = image_path, "PNG"
    white.save()
    bpy.data.images.remove(white)
    image = bpy.data.images.load(image_path)  # external: its path, not its pixels, is saved

    plane = bpy.data.objects.new("Probe", bpy.data.meshes.new("Probe"))
    bpy.context.scene.collection.objects.link(plane)
    tree = bpy.data.node_groups.new("Probe", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    nodes, links = tree.nodes, tree.links
    grid = nodes.new("GeometryNodeMeshGrid")
    grid.inputs["Vertices X"].default_value = grid.inputs["Vertices Y"].default_value = 2
    texture = nodes.new("GeometryNodeImageTexture")
    texture.inputs["Image"].default_value = image
    links.new(nodes.new("GeometryNodeInputPosition").outputs["Position"], texture.inputs["Vector"])
    channels = nodes.new("FunctionNodeSeparateColor")
    links.new(texture.outputs["Color"], channels.inputs["Color"])
    dark = nodes.new("FunctionNodeCompare")
    dark.data_type, dark.operation = "FLOAT", "LESS_THAN"
    dark.inputs["B"].default_value = 0.5
    links.new(channels.outputs["Green"], dark.inputs["A"])
    delete = nodes.new("GeometryNodeDeleteGeometry")
    links.new(grid.outputs["Mesh"], delete.inputs["Geometry"])
    links.new(dark.outputs["Result"], delete.inputs["Selection"])
    links.new(delete.outputs["Geometry"], nodes.new("NodeGroupOutput").inputs["Geometry"])
    plane.modifiers.new("Probe", "NODES").node_group = tree
    # Saved with the absolute path (Blender would make it relative to the .blend's folder).
    bpy.ops.wm.save_as_mainfile(filepath=out, relative_remap=False)
    assert image.filepath == image_path


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["subdivided", out]:
            subdivided(out)
        case ["external", out, image_path]:
            external(out, str(Path(image_path).absolute()))
        case _:
            sys.exit(__doc__)
