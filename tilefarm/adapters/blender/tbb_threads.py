"""Capping the Blender child's thread pool before bpy starts it, so that an idle child is idle.

Cycles limits its threads with a `tbb::global_control` that lives as long as its render session.
The child keeps that session between requests (persistent data), and oneTBB 2021.13 (the one
bpy 5.0.1 ships) does not stop worker threads that already ran when a `global_control` lowers the
limit: with `threads = 1` on a 2-core machine one of them spun in `sched_yield` at a whole core
for as long as the child waited for its next request. A limit in place before bpy's first parallel
loop means those threads are never started: the child then renders on `threads` cores and idles at
0% (`python -m bench.idle` measures it).

The limit is set through the library's exported C++ ABI (`tbb::detail::r1::create`, the call a
`tbb::global_control` constructor makes), in this process only, and kept for the child's life.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path

# Set by the launcher to the child's fixed thread count (absent or 0: every core).
THREAD_LIMIT_ENV = "TILEFARM_BLENDER_THREADS"

# The `tbb::detail::d1::global_control` object: value, a reserved word, the parameter.
_MAX_ALLOWED_PARALLELISM = 0
_CREATE = "_ZN3tbb6detail2r16createERNS0_2d114global_controlE"
_ACTIVE_VALUE = "_ZN3tbb6detail2r127global_control_active_valueEi"


class _GlobalControl(ctypes.Structure):
    _fields_ = [("value", ctypes.c_size_t), ("reserved", ctypes.c_ssize_t), ("param", ctypes.c_int)]


# Held for the life of the process: oneTBB keeps a pointer to it until it is destroyed.
_held: list[_GlobalControl] = []


def _library() -> ctypes.CDLL:
    # bpy's own copy, by path: loaded first, it is the one bpy links to (same soname).
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("bpy is not installed: the Blender child cannot start")
    return ctypes.CDLL(str(Path(next(iter(spec.submodule_search_locations))) / "lib/libtbb.so.12"))


def limit_threads(threads: int) -> int:
    """Allow this process at most `threads` threads of parallel work (`threads >= 1`); call it
    before importing bpy. Returns the limit now in force."""
    if threads < 1:
        raise ValueError(f"a thread limit must be at least 1, not {threads}")
    tbb = _library()
    control = _GlobalControl(threads, 0, _MAX_ALLOWED_PARALLELISM)
    getattr(tbb, _CREATE)(ctypes.byref(control))
    _held.append(control)
    return active_limit()


def active_limit() -> int:
    """The most threads oneTBB lets this process run parallel work on now."""
    active = getattr(_library(), _ACTIVE_VALUE)
    active.restype = ctypes.c_size_t
    return int(active(_MAX_ALLOWED_PARALLELISM))
