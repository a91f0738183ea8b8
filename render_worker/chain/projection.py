"""The worker's view of the market: how one market event changes the worker's own rows (its
jobs, its verification and panel duties, its watches and its rechecks of others' passes). Pure
database logic, run in the chain loop's transaction together with the cursor
(`render_worker/chain/follow.py`).

A re-offer round (`RoundOpened`) is a job row of its own, under the round's id, with the posted
job's manifest, artist and render window: its seats hold tile indices of that manifest, so
bidding, rendering, committing and verifying run on it as on any job. A `RoundRow` says which
posted job it is a round of.

A job's stages on the worker's own seat, once rendered: committed (its root; a verifier is drawn)
-> sealed (the verifier sealed its evidence: the worker reveals its results list) -> opened (its
list revealed) -> accepted -> paid; or failed, appealed, challenged (a third party disputes its
verifier's pass), rejected, unverified, timed_out. A new verification round (a silent verifier
replaced, a challenge upheld) takes it back to committed: it is drawn, sealed and revealed again.
Every move is one `render_worker/state/stages.py` lists; an event that would make another is
logged and leaves the job's stage as it was (raised, it would undo the whole batch of blocks, and
the worker would read it again and again).
"""

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from render_worker.chain.rechecks import note_event as note_recheck
from render_worker.chain.reorg import posting
from render_worker.chain.watches import note_event as note_watch
from render_worker.errors import IllegalStageMove
from render_worker.metrics import WorkerMetrics
from render_worker.state.models import BidRow, DutyRow, JobRow, RoundRow, TileRow
from render_worker.state.stages import DutyStage, Stage
from render_worker.state.store import move
from tilefarm.adapters.chain import events as ev
from tilefarm.hardware_codes import AbandonCause

log = logging.getLogger("render_worker")


def apply_event(
    s: Session, event: ev.MarketEvent, me: str, metrics: WorkerMetrics, *, rechecks: bool = True
) -> None:
    """Record `event` in the rows of the worker `me` (`rechecks`: it rechecks others' passes)."""
    job = s.get(JobRow, getattr(event, "job_id", -1))
    match event:
        case ev.JobPosted():
            _post(s, _job_row(event), None)
        case ev.RoundOpened() if job is not None:  # the posted job's row
            _post(s, _round_row(event, job), _round_of(event))
        case ev.RoundOpened():
            log.info("round %d of job %d: the job's posting is unknown here (read from a later "
                     "block); not bidding on it", event.round_id, event.job_id)  # fmt: skip
        case ev.TilesAssigned(worker=w) if job is not None and w == me:
            if _move(job, Stage.WON):
                job.first_tile, job.assigned_tiles = event.first_tile, event.tile_count
                job.price_per_tile = event.price_per_tile
                metrics.bids.labels("won").inc()
        case ev.BidOutbid(bidder=b) if job is not None and b == me:
            if _move(job, Stage.LOST, "cheaper bids took every tile"):
                metrics.bids.labels("lost").inc()
        case ev.BidsSettled() if job is not None:
            job.settled, job.render_deadline = True, event.render_deadline
        case ev.JobCancelled() if job is not None:
            bid = job.stage not in (Stage.SEEN, Stage.SKIPPED)
            _move(job, Stage.CANCELLED_BID if bid else Stage.CANCELLED)
        case ev.ResultsCommitted(worker=w) if job is not None and w == me:
            _move(job, Stage.COMMITTED)
        case ev.EvidenceSealed(worker=w) if job is not None and w == me and job.stage in ROUND:
            _move(job, Stage.SEALED)  # the verifier committed to its evidence: reveal
        case ev.ResultsRevealed(worker=w) if job is not None and w == me and job.stage in ROUND:
            _move(job, Stage.OPENED)  # as the seat: "revealed" is the bid's stage
        case ev.VerifierReplaced(worker=w) if job is not None and w == me and job.stage in ROUND:
            _move(job, Stage.COMMITTED)  # a new round: drawn, sealed and revealed again
        case ev.DisputeOpened(worker=w) if (
            job is not None and w == me and event.disputer not in (me, job.artist)
        ):
            _move(job, Stage.CHALLENGED, f"{event.disputer} challenged its verifier's pass")
        case ev.DisputeResolved(worker=w) if (
            job is not None and w == me and job.stage == Stage.CHALLENGED
        ):
            # Upheld, the pass is void and a new round follows (VerifierReplaced, next in the
            # same transaction); rejected, the pass stands with a fresh contest window.
            reason = f"challenge {'upheld' if event.fraud else 'rejected'} by the panel"
            _move(job, Stage.COMMITTED if event.fraud else Stage.ACCEPTED, reason)
        case ev.VerifierDrawn(verifier=v) if v == me:
            s.merge(_duty(s, event.job_id, event.worker, event.round, event.seed, "verify"))
        case ev.PanelDrawn(members=m) if me in m:
            s.merge(_duty(s, event.job_id, event.worker, 100, event.seed, "panel"))
        # What the chain already holds is not done again (a worker reading history after a lost
        # state folder or a long stop): its attestation or vote, a seat handed to another.
        case ev.ResultsAttested(verifier=v) if v == me:
            _settle_duties(s, event, "verify", stage=DutyStage.ATTESTED, passed=event.passed,
                           evidence_cid=event.evidence_cid)  # fmt: skip
        case ev.VoteCommitted(voter=v) if v == me:
            _settle_duties(s, event, "panel", stage=DutyStage.SEALED)
        case ev.VoteCast(voter=v) if v == me:
            _settle_duties(s, event, "panel", stage=DutyStage.REVEALED, passed=not event.fraud,
                           evidence_cid=event.evidence_cid)  # fmt: skip
        case ev.EvidenceSealed(verifier=v) if v == me:
            _seal_duties(s, event)
        case ev.ResultsRevealed():
            seat = (DutyRow.job_id == event.job_id, DutyRow.worker == event.worker)
            sealed = (DutyRow.kind == "verify", DutyRow.stage == DutyStage.SEALED)
            for duty in s.scalars(select(DutyRow).where(*seat, *sealed)):
                duty.stage = DutyStage.OPENED  # the tiles are revealed: judge the sealed evidence
        case ev.VerifierReplaced(silent_verifier=v) if v == me:
            reason = f"the verify window passed: round {event.round} goes to another verifier"
            _settle_duties(s, event, "verify", stage=DutyStage.ERROR, reason=reason)
        case ev.ResultsAttested(worker=w, passed=False) if job is not None and w == me:
            _move(job, Stage.FAILED, f"verifier {event.verifier} attested a failure")
        case ev.DisputeResolved(worker=w) if job is not None and w == me:
            reason = f"panel voted {event.votes_fraud} fraud, {event.votes_honest} honest"
            _move(job, Stage.REJECTED if event.fraud else Stage.ACCEPTED, reason)
        case ev.ResultsAccepted(worker=w) if job is not None and w == me:
            _move(job, Stage.ACCEPTED)  # paid at release, once the contest window has closed
        case ev.PaymentReleased(worker=w) if job is not None and w == me:
            if _move(job, Stage.PAID):
                job.earned = event.payment
                metrics.earned.inc(event.payment)
        case ev.ResultsUnverified(worker=w) if job is not None and w == me:
            _move(job, Stage.UNVERIFIED, "every drawn verifier stayed silent: not paid")
        case ev.VerifierDrawMissed(worker=w) if job is not None and w == me:
            reason = f"nobody drew the verifier in time; {event.slashed} slashed"
            _move(job, Stage.TIMED_OUT, reason)
        case ev.ResultsRejected(worker=w) if job is not None and w == me:
            _move(job, Stage.REJECTED, f"results rejected; {event.slashed} wei slashed")
        case ev.WorkerTimedOut(worker=w) if job is not None and w == me:
            _move(job, Stage.TIMED_OUT, f"missed the deadline; {event.slashed} slashed")
        case ev.SeatAbandoned(worker=w) if job is not None and w == me:
            slashed = f"{event.slashed} wei slashed"
            if job.stage == Stage.ABANDONED:  # the daemon's own move, with what the renderer said
                job.reason = f"{job.reason}; {slashed}"
            else:
                said = AbandonCause(event.cause).describe()  # the contract refuses unknown causes
                _move(job, Stage.ABANDONED, f"gave the seat back ({said}); {slashed}")
        case _:
            pass
    if isinstance(event, ev.DisputeResolved):  # the panel's work ends with the verdict
        _settle_duties(s, event, "panel", stage=DutyStage.ATTESTED)
    note_watch(s, me, event, job)
    if rechecks:
        note_recheck(s, me, event, job)


def _move(job: JobRow, to: Stage, reason: str | None = None) -> bool:
    """Move `job` to `to` as the event says; False (logged) for a move the stages do not list."""
    try:
        move(job, to, reason)
    except IllegalStageMove as exc:
        log.error("%s", exc)
        return False
    return True


# The stages of the worker's own seat within one verification round.
ROUND = (Stage.COMMITTED, Stage.SEALED, Stage.OPENED, Stage.CHALLENGED)
# The stages of a duty still to be done.
OPEN_DUTY = tuple(
    stage for stage in DutyStage if stage not in (DutyStage.ATTESTED, DutyStage.ERROR)
)
SeatEvent = (
    ev.VerifierReplaced | ev.ResultsAttested | ev.VoteCommitted | ev.VoteCast | ev.DisputeResolved
)


def _settle_duties(s: Session, event: SeatEvent, kind: str, **fields: object) -> None:
    """The worker's duties of `kind` on the event's seat that are still open take `fields`."""
    seat = (DutyRow.job_id == event.job_id, DutyRow.worker == event.worker, DutyRow.kind == kind)
    for duty in s.scalars(select(DutyRow).where(*seat, DutyRow.stage.in_(OPEN_DUTY))):
        for name, value in fields.items():
            setattr(duty, name, value)


def _seal_duties(s: Session, event: ev.EvidenceSealed) -> None:
    """The worker's seal on chain (read again after a crash, or from history): its duty waits for
    the reveal, unless it no longer knows the evidence it sealed (a lost state folder): it can
    never attest then."""
    seat = (DutyRow.job_id == event.job_id, DutyRow.worker == event.worker)
    unsealed = (DutyRow.kind == "verify", DutyRow.stage.in_((DutyStage.DRAWN, DutyStage.EVIDENCED)))
    for duty in s.scalars(select(DutyRow).where(*seat, *unsealed)):
        if duty.evidence_cid:
            duty.stage = DutyStage.SEALED
        else:
            duty.stage, duty.reason = DutyStage.ERROR, "sealed evidence this worker no longer knows"


def _duty(s: Session, job_id: int, worker: str, rnd: int, seed: str, kind: str) -> DutyRow:
    existing = s.scalar(
        select(DutyRow).where(
            DutyRow.job_id == job_id, DutyRow.worker == worker, DutyRow.round == rnd
        )
    )
    return existing or DutyRow(job_id=job_id, worker=worker, round=rnd, seed=seed, kind=kind)


def _post(s: Session, fresh: JobRow, sells: RoundRow | None) -> None:
    """A job (or a round: `sells`) is posted under `fresh.job_id`; a number the worker knows only
    as `orphaned` (its posting removed by a reorganisation, `render_worker/chain/reorg.py`) is the
    same job again if its posting is the same, and another job otherwise."""
    job, known_round = s.get(JobRow, fresh.job_id), s.get(RoundRow, fresh.job_id)
    if job is not None and job.stage != Stage.ORPHANED:
        return  # read again (a restart before the cursor moved)
    if job is not None and posting(job, known_round) == posting(fresh, sells):
        move(job, Stage.SEEN, "")  # its posting is back after a reorganisation
        job.bid_end, job.reveal_end = fresh.bid_end, fresh.reveal_end
        return
    if job is not None:
        # Another job took the number of one whose posting a reorganisation removed: the bid
        # priced for the old one and its tiles must never be used for this one.
        s.execute(delete(BidRow).where(BidRow.job_id == job.job_id))
        s.execute(delete(TileRow).where(TileRow.job_id == job.job_id))
        s.delete(job)
    if known_round is not None:
        s.delete(known_round)
    s.flush()
    s.add(fresh)
    if sells is not None:
        s.add(sells)


def _round_row(event: ev.RoundOpened, posted: JobRow) -> JobRow:
    """A round's job row: the posted job's manifest, artist and render window; its own tiles,
    price and windows."""
    return JobRow(
        job_id=event.round_id,
        manifest_cid=posted.manifest_cid,
        artist=posted.artist,
        tile_count=event.tiles,
        max_price_per_tile=event.max_price_per_tile,
        bid_end=event.bid_end,
        reveal_end=event.reveal_end,
        render_window=posted.render_window,
    )


def _round_of(event: ev.RoundOpened) -> RoundRow:
    return RoundRow(
        round_id=event.round_id, job_id=event.job_id, round=event.round, ranges=list(event.ranges)
    )


def _job_row(event: ev.JobPosted) -> JobRow:
    return JobRow(
        job_id=event.job_id,
        manifest_cid=event.manifest_cid,
        artist=event.artist,
        tile_count=event.params.tile_count,
        max_price_per_tile=event.params.max_price_per_tile,
        bid_end=event.bid_end,
        reveal_end=event.reveal_end,
        render_window=event.params.render_window,
    )
