"""Which render failures make the worker give its seat back at once (`abandonSeat`), and with
which cause: the ones of this machine, not of the scene. Its GPU failed (out of memory, driver or
kernel, lost) and the job allowed no retry on the CPU, or that retry failed too; or the render
broke the worker's own memory or time limit. Waiting for the render deadline would only keep the
artist's tiles from the other workers that could render them; the stake is slashed the same.

Every other failure (a scene Blender cannot open, a broken manifest) leaves the job in `error`
as before: its tiles return at the render deadline.
"""

from dataclasses import dataclass

from tilefarm.adapters.blender.errors import GpuRenderFailed, RenderMemoryExceeded, RenderTimeout
from tilefarm.adapters.blender.gpu_failures import words
from tilefarm.hardware_codes import AbandonCause


@dataclass(frozen=True)
class GiveBack:
    """The seat is given back for `cause` (the chain's code); `reason` is what the job's row
    and the log say: the cause's words and what the renderer said."""

    cause: AbandonCause
    reason: str


def give_back_for(failure: BaseException) -> GiveBack | None:
    """How the seat is given back after `failure` of its render; None when it is not."""
    match failure:
        case GpuRenderFailed(cause=cause, cycles_error=said):
            return GiveBack(cause, f"{words(cause)}: {said or failure}")
        case RenderMemoryExceeded():
            cause = AbandonCause.HOST_OUT_OF_MEMORY
            return GiveBack(cause, f"{words(cause)}: {failure}")
        case RenderTimeout():
            cause = AbandonCause.RENDER_TIME_LIMIT
            return GiveBack(cause, f"{words(cause)}: {failure}")
    return None
