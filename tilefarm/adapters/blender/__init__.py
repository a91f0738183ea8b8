"""The Blender adapter: a sandboxed child process that renders, and the parent that drives it.

Only `tilefarm.adapters.blender.child` imports bpy, and it only runs in its own process, driven by
`tilefarm.adapters.blender.launcher` (its requests) through `tilefarm.adapters.blender.process` (the
process, its limits) in the network sandbox of `tilefarm.adapters.blender.sandbox`. Everything else
is plain Python.
"""

from tilefarm.adapters.blender.errors import (
    BlendFileError,
    ChildCrashed,
    GpuRenderFailed,
    NoCameraError,
    RenderCancelled,
    RenderEngineError,
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
    SandboxUnavailable,
)
from tilefarm.adapters.blender.launcher import BlenderChild, OpenedScene, RenderedRegion
from tilefarm.adapters.blender.process import ChildLimits
from tilefarm.adapters.blender.sandbox import Sandbox, check_blend_header

__all__ = [
    "BlendFileError",
    "BlenderChild",
    "ChildCrashed",
    "ChildLimits",
    "GpuRenderFailed",
    "NoCameraError",
    "OpenedScene",
    "RenderCancelled",
    "RenderEngineError",
    "RenderFailed",
    "RenderMemoryExceeded",
    "RenderTimeout",
    "RenderedRegion",
    "Sandbox",
    "SandboxUnavailable",
    "check_blend_header",
]
