"""Which render failures make the worker give its seat back at once (`abandonSeat`), and with
which cause: the ones of this machine, not of the scene. Its GPU failed (out of memory, driver or
kernel, lost) and the job allowed no retry on the CPU, or that retry failed too; or the render
broke the worker's own memory or time limit. Waiting for the render deadline would only keep the
artist's tiles from the other workers that could render them; the stake is slashed the same.

Every other failure (a scene Blender cannot open, a broken manifest) leaves the job in `error`
as before: its tiles return at the render deadline.

A seat given back because the GPU was lost or its driver failed says the machine is broken, not
the job: the worker stops bidding (`STOPS_BIDDING`; `Bidder.after_give_back`) until its operator
has checked the GPU and restarted it, since every seat it won meanwhile would be given back and
slashed the same. The stop is stored for `render-worker status` (`BiddingStopped`).
"""

from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from render_worker.state.store import WorkerState
from tilefarm.adapters.blender.errors import GpuRenderFailed, RenderMemoryExceeded, RenderTimeout
from tilefarm.adapters.blender.gpu_failures import words
from tilefarm.hardware_codes import AbandonCause

# The causes after which the machine cannot be trusted with another job. Out of memory is not
# one (the next job may be smaller), nor a worker's own memory or time limit.
STOPS_BIDDING: Final = frozenset({AbandonCause.GPU_LOST, AbandonCause.GPU_DRIVER_FAILURE})
BIDDING_STOPPED_KEY = "bidding_stopped"  # the worker state's meta key of a `BiddingStopped`


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


class BiddingStopped(BaseModel):
    """Why the worker bids on nothing more until it restarts: the seat it gave back, the cause,
    and what the job's row says."""

    job_id: int
    cause: AbandonCause
    reason: str

    def says(self) -> str:
        """What the operator reads, loudly, once."""
        return (
            f"STOPPED BIDDING: job {self.job_id}'s seat was given back because {self.reason}. "
            "This machine's GPU cannot be trusted with another job (each seat won would be given "
            "back and slashed): check the GPU and its driver (nvidia-smi, the system log), then "
            "restart the worker"
        )


def bidding_stopped(state: WorkerState) -> BiddingStopped | None:
    """Why the worker stopped bidding, as stored (None while it bids)."""
    value = state.get_meta(BIDDING_STOPPED_KEY)
    return None if value is None else BiddingStopped.model_validate(value)


def store_bidding_stopped(state: WorkerState, stopped: BiddingStopped | None) -> None:
    """Store why the worker stopped bidding (None: it bids again)."""
    with state.session() as s:
        value = None if stopped is None else stopped.model_dump(mode="json")
        state.put_meta(s, BIDDING_STOPPED_KEY, value)
