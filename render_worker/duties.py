"""The permissionless actions behind the market's deadlines, done by the workers of a job.

The contract lets anyone move a seat on once its deadline has passed (`ResultVerification.sol`):
- `claimLate(job, w)`: seat `Assigned` after the render deadline; `w` is slashed to the artist, the
  seat is closed and its tiles' escrow returns to the artist when the job ends;
- `replaceVerifier(job, w)`: seat `Submitted` (its verifier has not sealed) or `Opened` (it has
  not attested the revealed results) after its verifier's window; the silent verifier is slashed
  to `w` and a new one is drawn (after three rounds the seat closes unverified and unpaid). A seat
  nobody drew cannot be replaced: the watch draws its verifier instead (`drawVerifier`, which pays
  the caller the draw bounty, or lapses the seat once its anchor hash expired);
- `finalizeRejection(job, w)`: seat `Failed` after its appeal window, or `Sealed` after the
  worker's reveal window (a worker that hides its results from sealed evidence is a fraud); `w` is
  slashed, the verifier gets half of it as the only honest verifier, the artist the rest;
- `release(job, w)`: seat `Accepted` after its contest window; pays `w` and its verifier. A worker
  releases its own seats (it is the one waiting to be paid).

A worker therefore watches every seat of the jobs it holds a seat in (claimLate, replaceVerifier;
its own seat too for replaceVerifier, where it is the one waiting to be paid), the seats it failed
or sealed evidence on as their verifier (finalizeRejection, which pays it), and its own accepted
seats (release). It never acts against its own seat otherwise. A seat waiting on its worker
(`Sealed`) closes the replaceVerifier watch; the reveal (`ResultsRevealed`) opens it again.

A watch is a row (`watches`), created from events in the same transaction as the chain cursor.
When due it reads the seat on the chain, and sends at most once per seat and round through the
durable `TxSender` (purpose `claimLate:7:0xW:0`). Among the workers of a job the one with the lowest
address acts at once and the others only after `GRACE` seconds, so that two rarely pay for one call.

Two watches are on a job rather than a seat (worker `NO_SEAT`), and any worker keeps them, bid or
not (`render_worker/round_duties.py` sends them):
- `settle`, on every job and round, from its posting (due at its reveal end) until its bidding is
  settled or cancelled: a round nobody bid on has nobody else to settle it;
- `reoffer`, on a posted job whose unsold tiles may go round again: opened by `TilesReturned`, by
  `JobToppedUp` and by the settlement of its latest round; closed by `RoundOpened` (until tiles
  return again), `JobCompleted` and `ReofferingEnded`.
"""

import logging
from collections.abc import Callable

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from render_worker.state import Base, JobRow, RoundRow, WorkerState
from render_worker.transactions import TxFailed, TxSender
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.records import Seat

log = logging.getLogger("render_worker")

GRACE = 5
# The seat states each action may be due in; any other state means the seat has moved on.
REQUIRED_STATE = {
    "claimLate": ("Assigned",),
    "replaceVerifier": ("Submitted", "Opened"),
    "finalizeRejection": ("Failed", "Sealed"),
    "release": ("Accepted",),
}
# The worker of a watch on a job itself, not on one of its seats (`settle`, `reoffer`).
NO_SEAT = "0x0000000000000000000000000000000000000000"


class WatchRow(Base):
    """A seat of a job this worker takes part in, and the action due when its deadline passes."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("job_id", "worker", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(42))
    action: Mapped[str] = mapped_column(String(20))
    # Unix time after which the action may be due (0: not known yet, read the seat); the chain
    # judges: the row only saves reading the seat before then.
    due: Mapped[int] = mapped_column(BigInteger, default=0)
    stage: Mapped[str] = mapped_column(String(8), default="open")  # open, done


def _watch(s: Session, job_id: int, worker: str, action: str, due: int = 0) -> None:
    """Open (or re-open, with its deadline to be read again) the watch of `action` on a seat."""
    row = _row(s, job_id, worker, action)
    if row is None:
        s.add(WatchRow(job_id=job_id, worker=worker, action=action, due=due, stage="open"))
    else:
        row.due, row.stage = due, "open"


def _close(s: Session, job_id: int, action: str) -> None:
    """Close the watch of `action` on a job itself (`settle`, `reoffer`), if it has one."""
    row = _row(s, job_id, NO_SEAT, action)
    if row is not None:
        row.stage = "done"


def _row(s: Session, job_id: int, worker: str, action: str) -> WatchRow | None:
    return s.scalar(
        select(WatchRow).where(
            WatchRow.job_id == job_id, WatchRow.worker == worker, WatchRow.action == action
        )
    )


# Stages of a job this worker never bid on: its seats are none of this worker's business.
NOT_BIDDING = ("seen", "skipped", "cancelled")


def note_event(s: Session, me: str, event: ev.MarketEvent, job: JobRow | None) -> None:
    """What `event` means for the watches; called with the event's job row (or None)."""
    bidder = job is not None and job.stage not in NOT_BIDDING
    match event:
        case ev.TilesAssigned(worker=w) if bidder and w != me:
            _watch(s, event.job_id, w, "claimLate")
        case ev.ResultsCommitted() | ev.VerifierReplaced() | ev.ResultsRevealed() if bidder:
            _watch(s, event.job_id, event.worker, "replaceVerifier")
        case ev.ResultsAccepted(worker=w) if w == me:
            _watch(s, event.job_id, w, "release")
        case ev.DisputeResolved(worker=w, fraud=False) if w == me:
            _watch(s, event.job_id, w, "release")  # a challenge rejected: a fresh contest window
        case ev.ResultsAttested(passed=False, worker=w) | ev.EvidenceSealed(worker=w) if (
            w != me and (event.verifier == me or (job is not None and job.first_tile is not None))
        ):
            _watch(s, event.job_id, w, "finalizeRejection")
        case ev.JobPosted():
            _watch(s, event.job_id, NO_SEAT, "settle", due=event.reveal_end)
        case ev.RoundOpened():
            _watch(s, event.round_id, NO_SEAT, "settle", due=event.reveal_end)
            _close(s, event.job_id, "reoffer")  # until tiles return again
        case ev.BidsSettled():
            _close(s, event.job_id, "settle")
            known = s.get(RoundRow, event.job_id)
            if known is not None and _latest_round(s, known.job_id) == event.job_id:
                _watch(s, known.job_id, NO_SEAT, "reoffer")  # its tiles may go round again
        case ev.JobCancelled():
            _close(s, event.job_id, "settle")
        case ev.TilesReturned() | ev.JobToppedUp():
            _watch(s, event.job_id, NO_SEAT, "reoffer")
        case ev.JobCompleted() | ev.ReofferingEnded():
            _close(s, event.job_id, "reoffer")
        case _:
            pass


def _latest_round(s: Session, job_id: int) -> int | None:
    """The newest round of posted job `job_id` the worker saw."""
    return s.scalar(select(func.max(RoundRow.round_id)).where(RoundRow.job_id == job_id))


class SeatDuties:
    """Sends the due permissionless actions of one worker."""

    def __init__(
        self,
        me: str,
        market: JobMarketClient,
        state: WorkerState,
        sender: TxSender,
        not_yet: Callable[[str], bool],
    ) -> None:
        self.me = me
        self.market = market
        self.state = state
        self.sender = sender
        self.not_yet = not_yet

    def open(self) -> list[WatchRow]:
        """The open watches on seats (those on a job itself are `RoundDuties`')."""
        return open_watches(self.state, *REQUIRED_STATE)

    def perform(self, now: int) -> None:
        """Send every action whose deadline has passed, for the seats this worker watches."""
        for watch in self.open():
            if watch.due and now <= watch.due:
                continue
            with self.state.session() as s:
                job = s.get(JobRow, watch.job_id)
                peers = sorted(
                    {self.me}
                    | set(
                        s.scalars(
                            select(WatchRow.worker).where(
                                WatchRow.job_id == watch.job_id, WatchRow.action == "claimLate"
                            )
                        )
                    )
                )
            if not self._concerned(watch, job):
                self._update(watch, stage="done")  # it bid but won no seat
                continue
            seat = self.market.seat(watch.job_id, watch.worker)
            if seat.state_name not in REQUIRED_STATE[watch.action]:
                self._update(watch, stage="done")
                continue
            deadline = self._deadline(watch, seat, job)
            if deadline == 0 or now <= deadline:
                self._update(watch, due=deadline)
                continue
            first = [p for p in peers if p != watch.worker][:1] == [self.me]
            if watch.worker != self.me and not first and now <= deadline + GRACE:
                continue
            self._send(watch, seat)

    def _concerned(self, watch: WatchRow, job: JobRow | None) -> bool:
        if watch.action in ("finalizeRejection", "release"):
            return True  # opened only for seats this worker failed, or its own accepted seats
        return job is not None and job.first_tile is not None

    @staticmethod
    def _deadline(watch: WatchRow, seat: Seat, job: JobRow | None) -> int:
        if watch.action == "claimLate":
            return job.render_deadline if job is not None else 0
        return seat.deadline

    def _send(self, watch: WatchRow, seat: Seat) -> None:
        action = watch.action
        if action == "replaceVerifier" and seat.verifier_id == 0:
            action = "drawVerifier"  # nobody drew: draw (for the bounty), never re-roll
        purpose = f"{action}:{watch.job_id}:{watch.worker}:{seat.round}"
        try:
            self.sender.send(purpose, action, watch.job_id, watch.worker)
        except ContractReverted as exc:
            if self.not_yet(exc.error):
                log.debug("%s not sent yet: %s", purpose, exc)
                return
            log.info("%s not sent: %s", purpose, exc)  # somebody else moved the seat on
            self._update(watch, stage="done")
            return
        except TxFailed as exc:  # mined but reverted: the next pass reads the seat again
            log.warning("%s", exc)
            return
        log.info("job %d: %s for %s sent", watch.job_id, action, watch.worker)
        if action == "drawVerifier":
            self._update(watch, due=0)  # the drawn verifier's own window starts now
            return
        # A replaced verifier's seat gets a new round; its VerifierReplaced event re-opens it.
        self._update(watch, stage="done")

    def _update(self, watch: WatchRow, **fields: object) -> None:
        update_watch(self.state, watch, **fields)


def open_watches(state: WorkerState, *actions: str) -> list[WatchRow]:
    """The open watches of `actions`, oldest first."""
    with state.session() as s:
        query = select(WatchRow).where(WatchRow.stage == "open", WatchRow.action.in_(actions))
        return list(s.scalars(query.order_by(WatchRow.id)))


def update_watch(state: WorkerState, watch: WatchRow, **fields: object) -> None:
    """Set `fields` of `watch`'s row, if it is still there (a reorganisation may remove it)."""
    with state.session() as s:
        row = s.get(WatchRow, watch.id)
        if row is not None:
            for name, value in fields.items():
                setattr(row, name, value)
