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

A watch is a row (`watches`), created from events in the same transaction as the chain cursor
(`render_worker/chain/watches.py`). When due it reads the seat on the chain, and sends at most once
per seat and round through the durable `TxSender` (purpose `claimLate:7:0xW:0`). Among the workers
of a job the one with the lowest address acts at once and the others only after `GRACE` seconds,
so that two rarely pay for one call.

Two watches are on a job rather than a seat (worker `NO_SEAT`), and any worker keeps them, bid or
not (`render_worker/duties/rounds.py` sends them):
- `settle`, on every job and round, from its posting (due at its reveal end) until its bidding is
  settled or cancelled: a round nobody bid on has nobody else to settle it;
- `reoffer`, on a posted job whose unsold tiles may go round again: opened by `TilesReturned`, by
  `JobToppedUp` and by the settlement of its latest round; closed by `RoundOpened` (until tiles
  return again), `JobCompleted` and `ReofferingEnded`.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from render_worker.chain import calls
from render_worker.chain.purposes import Action
from render_worker.chain.sender import TxFailed, TxSender
from render_worker.state.models import JobRow, WatchRow
from render_worker.state.stages import WatchStage
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.records import Seat

log = logging.getLogger("render_worker")

GRACE = 5
# The seat states each action may be due in; any other state means the seat has moved on.
REQUIRED_STATE = {
    Action.CLAIM_LATE: ("Assigned",),
    Action.REPLACE_VERIFIER: ("Submitted", "Opened"),
    Action.FINALIZE_REJECTION: ("Failed", "Sealed"),
    Action.RELEASE: ("Accepted",),
}


@dataclass
class SeatDuties:
    """Sends the due permissionless actions of one worker."""

    me: str
    market: JobMarketClient
    state: WorkerState
    sender: TxSender

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
                                WatchRow.job_id == watch.job_id,
                                WatchRow.action == Action.CLAIM_LATE,
                            )
                        )
                    )
                )
            if not self._concerned(watch, job):
                self._update(watch, stage=WatchStage.DONE)  # it bid but won no seat
                continue
            seat = self.market.seat(watch.job_id, watch.worker)
            if seat.state_name not in REQUIRED_STATE[Action(watch.action)]:
                self._update(watch, stage=WatchStage.DONE)
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
        if watch.action in (Action.FINALIZE_REJECTION, Action.RELEASE):
            return True  # opened only for seats this worker failed, or its own accepted seats
        return job is not None and job.first_tile is not None

    @staticmethod
    def _deadline(watch: WatchRow, seat: Seat, job: JobRow | None) -> int:
        if watch.action == Action.CLAIM_LATE:
            return job.render_deadline if job is not None else 0
        return seat.deadline

    def _send(self, watch: WatchRow, seat: Seat) -> None:
        action = Action(watch.action)
        if action == Action.REPLACE_VERIFIER and seat.verifier_id == 0:
            action = Action.DRAW_VERIFIER  # nobody drew: draw (for the bounty), never re-roll
        call = calls.seat_deadline(action, watch.job_id, watch.worker, seat.round)
        purpose = call.purpose.key
        try:
            self.sender.send(call)
        except ContractReverted as exc:
            if calls.not_yet(exc.error):
                log.debug("%s not sent yet: %s", purpose, exc)
                return
            log.info("%s not sent: %s", purpose, exc)  # somebody else moved the seat on
            self._update(watch, stage=WatchStage.DONE)
            return
        except TxFailed as exc:  # mined but reverted: the next pass reads the seat again
            log.warning("%s", exc)
            return
        log.info("job %d: %s for %s sent", watch.job_id, action, watch.worker)
        if action == Action.DRAW_VERIFIER:
            self._update(watch, due=0)  # the drawn verifier's own window starts now
            return
        # A replaced verifier's seat gets a new round; its VerifierReplaced event re-opens it.
        self._update(watch, stage=WatchStage.DONE)

    def _update(self, watch: WatchRow, **fields: object) -> None:
        update_watch(self.state, watch, **fields)


def open_watches(state: WorkerState, *actions: Action) -> list[WatchRow]:
    """The open watches of `actions`, oldest first."""
    with state.session() as s:
        query = select(WatchRow).where(
            WatchRow.stage == WatchStage.OPEN, WatchRow.action.in_(actions)
        )
        return list(s.scalars(query.order_by(WatchRow.id)))


def update_watch(state: WorkerState, watch: WatchRow, **fields: object) -> None:
    """Set `fields` of `watch`'s row, if it is still there (a reorganisation may remove it)."""
    with state.session() as s:
        row = s.get(WatchRow, watch.id)
        if row is not None:
            for name, value in fields.items():
                setattr(row, name, value)
