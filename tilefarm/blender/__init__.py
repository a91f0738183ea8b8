"""The Blender adapter: a sandboxed child process that renders, and the parent that drives it.

Only `tilefarm.blender.child` imports bpy, and it only runs in its own process, started by
`tilefarm.blender.launcher`. Everything else here is plain Python.
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
from tilefarm.blender.launcher import (
    BlenderChild,
    ChildLimits,
    OpenedScene,
    RenderedRegion,
    Sandbox,
    check_blend_header,
)

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
