"""The Blender adapter: a sandboxed child process that renders, and the parent that drives it.

Only `tilefarm.blender.child` imports bpy, and it only runs in its own process, driven by
`tilefarm.blender.launcher` (its requests) through `tilefarm.blender.process` (the process, its
limits) in the network sandbox of `tilefarm.blender.sandbox`. Everything else is plain Python.
"""

from tilefarm.blender.errors import (
    BlendFileError,
    ChildCrashed,
    NoCameraError,
    RenderCancelled,
    RenderEngineError,
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
    SandboxUnavailable,
)
from tilefarm.blender.launcher import BlenderChild, OpenedScene, RenderedRegion
from tilefarm.blender.process import ChildLimits
from tilefarm.blender.sandbox import Sandbox, check_blend_header

__all__ = [
    "BlendFileError",
    "BlenderChild",
    "ChildCrashed",
    "ChildLimits",
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
