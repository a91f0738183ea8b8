"""The market's codes for GPU workers, in one place: the Cycles backend class an account declares
(`declareHardware`, the `backend` of its `Account` record) and why a worker gave its seat back
(`abandonSeat`, `SeatAbandoned`). The numbers are the contract's (docs/protocol.md)."""

from enum import IntEnum
from typing import Final

from tilefarm.hardware import BackendClass

# The backend classes (`tilefarm.hardware`) as `declareHardware` numbers them; 0 is "never
# declared" and cannot be declared.
BACKEND_CODES: Final[dict[BackendClass, int]] = {
    "CPU": 1,
    "CUDA": 2,
    "OPTIX": 3,
    "HIP": 4,
    "ONEAPI": 5,
    "METAL": 6,
}


def backend_name(code: int) -> BackendClass | None:
    """The backend class a `declareHardware` code stands for (None for 0, never declared, or a
    code this build does not know)."""
    return next((name for name, known in BACKEND_CODES.items() if known == code), None)


class AbandonCause(IntEnum):
    """Why a worker gave its seat back (`abandonSeat`'s `cause`); the contract refuses above 6."""

    UNSPECIFIED = 0
    GPU_OUT_OF_MEMORY = 1
    GPU_DRIVER_FAILURE = 2  # the driver or a kernel failed
    GPU_LOST = 3  # the device vanished
    SCENE_UNRENDERABLE = 4
    HOST_OUT_OF_MEMORY = 5
    RENDER_TIME_LIMIT = 6

    def describe(self) -> str:
        """What a user reads about a seat given back for this cause."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: Final[dict[AbandonCause, str]] = {
    AbandonCause.UNSPECIFIED: "a worker gave its tiles back",
    AbandonCause.GPU_OUT_OF_MEMORY: "a worker's GPU ran out of memory",
    AbandonCause.GPU_DRIVER_FAILURE: "a worker's GPU driver failed",
    AbandonCause.GPU_LOST: "a worker's GPU was lost",
    AbandonCause.SCENE_UNRENDERABLE: "the scene could not be rendered",
    AbandonCause.HOST_OUT_OF_MEMORY: "a worker ran out of memory",
    AbandonCause.RENDER_TIME_LIMIT: "a worker hit its render time limit",
}
