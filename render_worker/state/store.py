"""The worker's database (the tables of `render_worker/state/models.py`) and its queries.

A job's stage changes only through `move` (a row in an open session: the chain loop's projection
of an event) or `WorkerState.move` (a session of its own: the worker's acts), which refuse a move
`render_worker/state/stages.py` does not list; a chain reorganisation gives a job back an earlier
stage through `rewind`.
"""

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from render_worker.errors import WorkerError
from render_worker.state.models import DutyRow, JobRow, Meta, RoundRow, TileRow, TxRow
from render_worker.state.stages import DutyStage, Stage, check_move, check_rewind
from tilefarm.adapters.database import Transactions, open_engine

# The file's schema changes only through these revisions: a worker upgraded in place keeps its
# ledger (docs/database.md).
MIGRATIONS = Path(__file__).parent / "migrations"


def move(job: JobRow, to: Stage, reason: str | None = None) -> None:
    """Move `job` (a row in an open session) to stage `to`, with `reason` if given. Raises
    `IllegalStageMove`, leaving the row as it was, for a move the stages do not list."""
    check_move(job.job_id, job.stage, to)
    job.stage = to.value
    if reason is not None:
        job.reason = reason


def rewind(job: JobRow, to: Stage, reason: str | None = None) -> None:
    """Give `job` back stage `to`, one it passed through before the blocks a chain
    reorganisation removed. Raises `IllegalStageMove` for a stage it cannot have come from."""
    check_rewind(job.job_id, job.stage, to)
    job.stage = to.value
    if reason is not None:
        job.reason = reason


class WorkerState(Transactions):
    """The worker's database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(open_engine(f"sqlite:///{path}", MIGRATIONS, synchronous="FULL"))

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self.session() as s:
            row = s.get(Meta, key)
            return default if row is None else row.value

    @staticmethod
    def put_meta(session: Session, key: str, value: Any) -> None:
        session.merge(Meta(key=key, value=value))

    def jobs(self, *stages: Stage) -> list[JobRow]:
        with self.session() as s:
            query = select(JobRow).order_by(JobRow.job_id)
            if stages:
                query = query.where(JobRow.stage.in_(stages))
            return list(s.scalars(query))

    def job(self, job_id: int) -> JobRow | None:
        with self.session() as s:
            return s.get(JobRow, job_id)

    def rounds(self) -> dict[int, RoundRow]:
        """The re-offer rounds the worker saw, by their own job id."""
        with self.session() as s:
            return {row.round_id: row for row in s.scalars(select(RoundRow))}

    def update_job(self, job_id: int, **fields: Any) -> None:
        """Set fields of a job the worker knows (a missing one is an error, not a new row); its
        stage changes through `move`."""
        if "stage" in fields:
            raise WorkerError(f"job {job_id}: a stage changes through WorkerState.move only")
        with self.session() as s:
            job = self._known(s, job_id)
            for name, value in fields.items():
                setattr(job, name, value)

    def move(
        self,
        job_id: int,
        to: Stage,
        reason: str | None = None,
        *,
        only_from: Stage | None = None,
        **fields: Any,
    ) -> bool:
        """Move job `job_id` to stage `to` (with `reason` and `fields`, in one transaction).
        With `only_from`, only a job still in that stage moves, and False says it had moved on
        meanwhile (work of another thread, finished after an event or a reorganisation).
        Raises `IllegalStageMove`, changing nothing, for a move the stages do not list."""
        if "stage" in fields:
            raise WorkerError(f"job {job_id}: the stage to move to is `to`")
        with self.session() as s:
            job = self._known(s, job_id)
            if only_from is not None and job.stage != only_from:
                return False
            move(job, to, reason)
            for name, value in fields.items():
                setattr(job, name, value)
        return True

    @staticmethod
    def _known(s: Session, job_id: int) -> JobRow:
        job = s.get(JobRow, job_id)
        if job is None:
            raise WorkerError(f"job {job_id} is not in the worker's database")
        return job

    def tiles(self, job_id: int) -> dict[int, TileRow]:
        with self.session() as s:
            rows = s.scalars(select(TileRow).where(TileRow.job_id == job_id))
            return {row.job_tile: row for row in rows}

    def duties(self, *stages: DutyStage) -> list[DutyRow]:
        with self.session() as s:
            query = select(DutyRow).order_by(DutyRow.id)
            if stages:
                query = query.where(DutyRow.stage.in_(stages))
            return list(s.scalars(query))

    def txs(self) -> list[TxRow]:
        with self.session() as s:
            return list(s.scalars(select(TxRow).order_by(TxRow.created_at)))
