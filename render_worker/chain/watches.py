"""Which deadlines the worker watches, from the market's events: the watch rows (`watches`) that
`render_worker/duties/seats.py` and `render_worker/duties/rounds.py` act on once due. Written in
the chain loop's transaction, together with the cursor.

On a seat:
- `claimLate` on every other seat of a job the worker bid on (`TilesAssigned`);
- `replaceVerifier` on every seat of such a job, its own too, from its commitment
  (`ResultsCommitted`), and again at each new round and after each reveal;
- `finalizeRejection` on a seat the worker failed or sealed evidence on as its verifier, or a
  seat of a job it holds a seat in;
- `release` on its own accepted seat (again when a challenge of its pass is rejected).

On a job itself (worker `NO_SEAT`), whether the worker bid or not:
- `settle` from a job's or round's posting until its bidding is settled or cancelled;
- `reoffer` on a posted job whose unsold tiles may go round again: opened by `TilesReturned`, by
  `JobToppedUp` and by the settlement of its latest round; closed by `RoundOpened` (until tiles
  return again), `JobCompleted` and `ReofferingEnded`.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from render_worker.chain.purposes import Action
from render_worker.state.models import NO_SEAT, JobRow, RoundRow, WatchRow
from render_worker.state.stages import Stage, WatchStage
from tilefarm.adapters.chain import events as ev

# Stages of a job this worker never bid on: its seats are none of this worker's business.
NOT_BIDDING = (Stage.SEEN, Stage.SKIPPED, Stage.CANCELLED)


def note_event(s: Session, me: str, event: ev.MarketEvent, job: JobRow | None) -> None:
    """What `event` means for the watches; called with the event's job row (or None)."""
    bidder = job is not None and job.stage not in NOT_BIDDING
    match event:
        case ev.TilesAssigned(worker=w) if bidder and w != me:
            _watch(s, event.job_id, w, Action.CLAIM_LATE)
        case ev.ResultsCommitted() | ev.VerifierReplaced() | ev.ResultsRevealed() if bidder:
            _watch(s, event.job_id, event.worker, Action.REPLACE_VERIFIER)
        case ev.ResultsAccepted(worker=w) if w == me:
            _watch(s, event.job_id, w, Action.RELEASE)
        case ev.DisputeResolved(worker=w, fraud=False) if w == me:
            # A challenge rejected: a fresh contest window.
            _watch(s, event.job_id, w, Action.RELEASE)
        case ev.ResultsAttested(passed=False, worker=w) | ev.EvidenceSealed(worker=w) if (
            w != me and (event.verifier == me or (job is not None and job.first_tile is not None))
        ):
            _watch(s, event.job_id, w, Action.FINALIZE_REJECTION)
        case ev.JobPosted():
            _watch(s, event.job_id, NO_SEAT, Action.SETTLE, due=event.reveal_end)
        case ev.RoundOpened():
            _watch(s, event.round_id, NO_SEAT, Action.SETTLE, due=event.reveal_end)
            _close(s, event.job_id, Action.REOFFER)  # until tiles return again
        case ev.BidsSettled():
            _close(s, event.job_id, Action.SETTLE)
            known = s.get(RoundRow, event.job_id)
            if known is not None and _latest_round(s, known.job_id) == event.job_id:
                _watch(s, known.job_id, NO_SEAT, Action.REOFFER)  # its tiles may go round again
        case ev.JobCancelled():
            _close(s, event.job_id, Action.SETTLE)
        case ev.TilesReturned() | ev.JobToppedUp():
            _watch(s, event.job_id, NO_SEAT, Action.REOFFER)
        case ev.JobCompleted() | ev.ReofferingEnded():
            _close(s, event.job_id, Action.REOFFER)
        case _:
            pass


def _watch(s: Session, job_id: int, worker: str, action: Action, due: int = 0) -> None:
    """Open (or re-open, with its deadline to be read again) the watch of `action` on a seat."""
    row = _row(s, job_id, worker, action)
    if row is None:
        s.add(WatchRow(job_id=job_id, worker=worker, action=action, due=due, stage=WatchStage.OPEN))
    else:
        row.due, row.stage = due, WatchStage.OPEN


def _close(s: Session, job_id: int, action: Action) -> None:
    """Close the watch of `action` on a job itself (`settle`, `reoffer`), if it has one."""
    row = _row(s, job_id, NO_SEAT, action)
    if row is not None:
        row.stage = WatchStage.DONE


def _row(s: Session, job_id: int, worker: str, action: Action) -> WatchRow | None:
    return s.scalar(
        select(WatchRow).where(
            WatchRow.job_id == job_id, WatchRow.worker == worker, WatchRow.action == action
        )
    )


def _latest_round(s: Session, job_id: int) -> int | None:
    """The newest round of posted job `job_id` the worker saw."""
    return s.scalar(select(func.max(RoundRow.round_id)).where(RoundRow.job_id == job_id))
