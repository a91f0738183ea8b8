"""Errors of the Blender adapter. Each says what went wrong and what to do; the parent process
always survives them (the child is killed or reports and keeps going)."""

from __future__ import annotations

from tilefarm.errors import TilefarmError
from tilefarm.hardware_codes import AbandonCause


class RenderEngineError(TilefarmError):
    """Root of every error the Blender child or its launcher raises."""


class BlendFileError(RenderEngineError):
    """The file is not a .blend, or is truncated or damaged."""


class NoCameraError(RenderEngineError):
    """The scene has no active camera, so there is nothing to render from."""


class RenderFailed(RenderEngineError):
    """Blender reported an error while rendering or writing the result."""


class GpuRenderFailed(RenderFailed):
    """Rendering on a GPU failed (out of memory, driver or kernel, device lost), and the job did
    not allow the region to be rendered again on the CPU, or that retry failed too. `cause` is
    the market's code for it (`abandonSeat`); `cycles_error` what Cycles (or the dying child)
    said."""

    def __init__(self, message: str, *, cause: AbandonCause, cycles_error: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.cycles_error = cycles_error


class RenderTimeout(RenderEngineError):
    """The child exceeded its wall-time limit and was killed."""


class RenderMemoryExceeded(RenderEngineError):
    """The child's resident memory exceeded its limit and it was killed."""


class RenderCancelled(RenderEngineError):
    """The render was cancelled by the parent; the child was stopped."""


class ChildCrashed(RenderEngineError):
    """The child exited or broke the protocol unexpectedly."""


class SandboxUnavailable(RenderEngineError):
    """Network isolation was required but cannot be set up on this machine."""
