"""The render worker's one exception root, and the errors the worker's own parts raise."""

from tilefarm.errors import TilefarmError


class WorkerError(TilefarmError):
    """Something the operator must act on."""


class IllegalStageMove(WorkerError):
    """A job's stage change that the worker's state machine does not allow
    (`render_worker/state/stages.py`): a bug in the worker, never the chain's doing."""

    def __init__(self, job_id: int, from_stage: str, to_stage: str, *, rewind: bool = False):
        self.job_id = job_id
        self.from_stage = str(from_stage)
        self.to_stage = str(to_stage)
        self.rewind = rewind
        move = "be rolled back" if rewind else "move"
        super().__init__(
            f"job {job_id} cannot {move} from {self.from_stage} to {self.to_stage} (not in "
            "render_worker/state/stages.py); the job keeps its stage. Please report this with "
            "the worker's log"
        )
