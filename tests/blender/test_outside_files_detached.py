"""A worker's or the server's disk never reaches a scene: caches a scene names outside itself are
pointed at a folder that is not there before anything is evaluated or rendered, and a file
whose active scene is itself linked from another file is refused."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild
from tilefarm.adapters.blender.errors import RenderEngineError
from tilefarm.adapters.blender.scene_files import NO_CACHE

# Run in a bpy process of its own: builds a scene whose fluid domain, particle system and cloth
# keep their caches in folders of their own choosing, applies `detach_outside_files` as the
# child does when it opens a scene, and prints where each cache now reads from.
CACHES = """
import json, sys
import bpy
sys.path.insert(0, sys.argv[1])
from tilefarm.adapters.blender.scene_files import detach_outside_files

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
def cube(name):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    scene.collection.objects.link(obj)
    return obj
domain = cube("Domain").modifiers.new("Fluid", "FLUID")
domain.fluid_type = "DOMAIN"
domain.domain_settings.cache_directory = "/srv/worker-secrets/fluid/"
emitter = cube("Emitter")
emitter.modifiers.new("Particles", "PARTICLE_SYSTEM")
cache = emitter.particle_systems[0].point_cache
cache.use_disk_cache = True
cache.use_external = True
cache.filepath = "/srv/worker-secrets/particles/"
cloth = cube("Cloth").modifiers.new("Cloth", "CLOTH")
cloth.point_cache.use_disk_cache = True
cloth.point_cache.use_external = True
cloth.point_cache.filepath = "/srv/worker-secrets/cloth/"
detach_outside_files(bpy)
print(json.dumps({
    "fluid": domain.domain_settings.cache_directory,
    "particles": cache.filepath,
    "cloth": cloth.point_cache.filepath,
}))
"""

# A library holding the scene `Shot`, and a file whose active scene is that linked scene.
LINKED_SCENE = """
import sys
import bpy
library, out = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.context.scene.name = "Shot"
bpy.ops.wm.save_as_mainfile(filepath=library)
bpy.ops.wm.read_factory_settings(use_empty=True)
with bpy.data.libraries.load(library, link=True) as (_src, dst):
    dst.scenes = ["Shot"]
bpy.context.window_manager.windows[0].scene = bpy.data.scenes["Shot"]
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def _bpy(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_caches_kept_in_folders_of_their_own_are_never_read_from_this_disk() -> None:
    root = str(Path(__file__).resolve().parents[2])
    lines = [line for line in _bpy(CACHES, root).splitlines() if line.startswith("{")]
    paths = json.loads(lines[-1])
    assert paths == {"fluid": NO_CACHE, "particles": NO_CACHE, "cloth": NO_CACHE}


def test_a_file_whose_active_scene_is_linked_from_another_file_is_refused(
    tmp_path: Path,
) -> None:
    blend = tmp_path / "shot.blend"
    _bpy(LINKED_SCENE, str(tmp_path / "library.blend"), str(blend))
    with BlenderChild() as child, pytest.raises(RenderEngineError, match="linked from another"):
        child.inspect(blend)
