"""A Blender child's thread pool is capped before bpy starts it, so an idle child stays idle
(`python -m bench.idle` measures the CPU it saves: a whole core at `threads = 1`)."""

import subprocess
import sys

from tilefarm.adapters.blender import BlenderChild
from tilefarm.adapters.blender.tbb_threads import THREAD_LIMIT_ENV

SHOW_LIMITS = """
from tilefarm.adapters.blender import tbb_threads
print(tbb_threads.limit_threads(1))
import bpy
bpy.ops.wm.read_factory_settings(use_empty=True)
print(tbb_threads.active_limit())
"""


def test_a_one_thread_cap_set_before_bpy_holds_after_bpy_starts():
    done = subprocess.run(
        [sys.executable, "-c", SHOW_LIMITS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


def test_a_worker_child_is_started_with_its_thread_count_as_the_cap():
    assert BlenderChild(threads=1).extra_env[THREAD_LIMIT_ENV] == "1"
    assert BlenderChild(threads=0).extra_env[THREAD_LIMIT_ENV] == "0"
