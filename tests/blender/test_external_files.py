"""A scene that names a file outside itself renders the same whether or not that file is on the
worker's disk: a worker's own files never reach an artist's pixels, and two honest workers'
renders do not differ by what their disks hold."""

import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.manifest import build_manifest

pytestmark = pytest.mark.blender

SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # not fetched here
# A camera facing a plane that emits the image at argv[2] (a white PNG it writes there, saved in
# the .blend by its absolute path, not packed), saved to argv[1].
BUILD = """
import sys
import bpy

out, image_path = sys.argv[-2:]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.engine = "CYCLES"
white = bpy.data.images.new("probe", 4, 4, alpha=True)
white.pixels[:] = [1.0] * 64
white.filepath_raw, white.file_format = image_path, "PNG"
white.save()
bpy.data.images.remove(white)
image = bpy.data.images.load(image_path)
bpy.ops.mesh.primitive_plane_add(size=4, rotation=(1.5708, 0, 0))
material = bpy.data.materials.new("probe")
material.use_nodes = True
nodes, links = material.node_tree.nodes, material.node_tree.links
nodes.clear()
texture = nodes.new("ShaderNodeTexImage")
texture.image = image
emission = nodes.new("ShaderNodeEmission")
output = nodes.new("ShaderNodeOutputMaterial")
links.new(texture.outputs["Color"], emission.inputs["Color"])
links.new(emission.outputs["Emission"], output.inputs["Surface"])
bpy.context.active_object.data.materials.append(material)
camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
scene.collection.objects.link(camera)
camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
scene.camera = camera
bpy.ops.wm.save_as_mainfile(filepath=out, relative_remap=False)
"""


def test_an_image_on_the_workers_disk_named_by_the_scene_is_never_rendered(
    tmp_path: Path,
) -> None:
    image = tmp_path / "on-the-worker.png"
    blend = tmp_path / "external.blend"
    build = [sys.executable, "-c", BUILD, str(blend), str(image)]
    subprocess.run(build, check=True, capture_output=True)
    assert image.is_file()
    manifest = build_manifest(
        scene_cid=SCENE_CID, frames=[1], resolution={"width": 32, "height": 24},
        tile_grid={"columns": 1, "rows": 1}, samples=1,
    )  # fmt: skip
    with BlenderChild() as child:
        child.open(blend, manifest)
        with_file = child.render_frame(1, tmp_path / "with").pixel_hash
    image.unlink()
    with BlenderChild() as child:
        child.open(blend, manifest)
        without_file = child.render_frame(1, tmp_path / "without").pixel_hash
    assert with_file == without_file
