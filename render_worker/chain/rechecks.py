"""Which passes the worker rechecks, from the market's events: the rows (`challenges`) that
`render_worker/duties/challenges.py` rechecks and challenges. Written in the chain loop's
transaction, together with the cursor.

Every pass attested on another worker's seat is a row to recheck, except the worker's own
attestations and the seats of jobs it posted; a dispute someone else opened first makes the
worker's row moot, and the panel's verdict closes the worker's own challenge (upheld or rejected).
"""

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from render_worker.state.models import ChallengeRow, JobRow
from render_worker.state.stages import RecheckStage
from tilefarm.adapters.chain import events as ev

# The stages of a recheck that is still the worker's business.
OPEN = (RecheckStage.WATCHING, RecheckStage.CONTRADICTED, RecheckStage.CHALLENGED)


def note_event(s: Session, me: str, event: ev.MarketEvent, job: JobRow | None) -> None:
    """What `event` means for the worker's rechecks and challenges."""
    match event:
        case ev.ResultsAttested(passed=True) if (
            event.worker != me and event.verifier != me and (job is None or job.artist != me)
        ):
            same = ChallengeRow.evidence_cid == event.evidence_cid
            known = s.scalar(select(ChallengeRow).where(*seat(event.job_id, event.worker), same))
            if known is None:
                s.add(
                    ChallengeRow(
                        job_id=event.job_id,
                        worker=event.worker,
                        verifier=event.verifier,
                        evidence_cid=event.evidence_cid,
                    )
                )
        case ev.DisputeOpened():
            for row in open_rows(s, event.job_id, event.worker):
                if event.disputer == me and row.stage == RecheckStage.CONTRADICTED:
                    row.stage = (
                        RecheckStage.CHALLENGED
                    )  # ours (the event is read again after a crash)
                elif row.stage != RecheckStage.CHALLENGED:
                    row.stage, row.reason = RecheckStage.MOOT, f"{event.disputer} disputed it first"
        case ev.DisputeResolved():
            for row in open_rows(s, event.job_id, event.worker):
                if row.stage == RecheckStage.CHALLENGED:
                    row.stage = RecheckStage.UPHELD if event.fraud else RecheckStage.REJECTED
                    row.reason = (
                        f"the panel voted {event.votes_fraud} contradicted, "
                        f"{event.votes_honest} not"
                    )
        case _:
            pass


def seat(job_id: int, worker: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The conditions on a recheck's row that name `worker`'s seat in job `job_id`."""
    return (ChallengeRow.job_id == job_id, ChallengeRow.worker == worker)


def open_rows(s: Session, job_id: int, worker: str) -> list[ChallengeRow]:
    """The worker's rechecks of that seat still open."""
    return list(
        s.scalars(select(ChallengeRow).where(*seat(job_id, worker), ChallengeRow.stage.in_(OPEN)))
    )
