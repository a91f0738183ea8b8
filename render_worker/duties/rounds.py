"""The permissionless actions that keep a job's rounds going (docs/protocol.md, "Rounds: every
frame finishes"), sent for the watches on a job itself (`WatchRow` with worker `NO_SEAT`, opened
and closed by events: `render_worker/chain/watches.py`):

- `settle` a job's or a round's bidding once its reveal window is over and nobody has: a round
  nobody bid on has nobody else to settle it, and until it is settled the tiles it did not sell
  cannot go round again. A worker that bid settles through its bidding first
  (`render_worker/work/bidding.py`), under the same purpose (`settle:7`): sent once either way;
- `reoffer` a posted job's unsold tiles once its latest round has settled: the caller earns the
  round's bounty, and the tiles go on sale again. Sent at most once per opening of the watch
  (`reoffer:7:<latest round, 0 for none>`). A refusal that means "not yet" keeps the watch (the
  latest round still bidding: until its reveal end; a reserve the artist may top up: a while,
  and `JobToppedUp` opens it again at once); one that means "never again" (re-offering over,
  nothing to re-offer, the job ended) closes it.

Who acts first: the workers holding seats in the job or its rounds know one another (their
`claimLate` watches): the lowest address acts at once, the others after `GRACE` seconds. A worker
without a seat in it waits `GRACE` and a few seconds more, spread by its address, so that two
rarely pay for one call; the chain refuses the late ones before they are signed.
"""

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select

from render_worker.chain import calls
from render_worker.chain.calls import Call
from render_worker.chain.purposes import Action
from render_worker.chain.sender import TxFailed, TxSender
from render_worker.duties.seats import GRACE, open_watches, update_watch
from render_worker.state.models import NO_SEAT, JobRow, RoundRow, WatchRow
from render_worker.state.stages import WatchStage
from render_worker.state.store import WorkerState
from render_worker.work.bidding import SETTLE_GRACE, SETTLES
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted

log = logging.getLogger("render_worker")

ACTIONS = (Action.SETTLE, Action.REOFFER)
# How long a re-offer the job's reserve cannot fund waits before it is tried again (a top-up or a
# slash into the reserve opens the watch again at once).
RESERVE_WAIT = 60


@dataclass
class RoundDuties:
    """Sends the due `settle` and `reoffer` actions of one worker."""

    me: str
    market: JobMarketClient
    state: WorkerState
    sender: TxSender

    def perform(self, now: int) -> None:
        """Send every due action of the open watches on jobs."""
        for watch in open_watches(self.state, *ACTIONS):
            if watch.worker != NO_SEAT or (watch.due and now <= watch.due):
                continue
            if watch.action == Action.SETTLE:
                self._settle(watch, now)
            else:
                self._reoffer(watch, now)

    def _settle(self, watch: WatchRow, now: int) -> None:
        job_id = watch.job_id
        known = self.state.job(job_id)
        if known is not None and known.stage in SETTLES:
            return  # a bidder: it settles through its bidding, at its own time
        job = self.market.job(job_id)
        if job.status_name != "Bidding":
            update_watch(self.state, watch, stage=WatchStage.DONE)  # settled, cancelled or expired
            return
        # The bidders settle first (the cheapest at once): only then anyone else.
        start = job.reveal_end + (SETTLE_GRACE if job.reveals else 0) + self._delay(job_id)
        if now <= start:
            update_watch(self.state, watch, due=start)
            return
        ranking = self.market.ranking(job_id) if job.kept else []
        self._send(watch, calls.settle(job_id, ranking), now=now)

    def _reoffer(self, watch: WatchRow, now: int) -> None:
        job_id = watch.job_id
        job = self.market.job(job_id)
        if job.status_name != "Active":
            # Bidding: its first settlement returns what it did not sell (`TilesReturned` opens
            # the watch again); completed, expired or cancelled: never again.
            update_watch(self.state, watch, stage=WatchStage.DONE)
            return
        if job.latest != 0:
            latest = self.market.job(job.latest)
            if latest.status_name == "Bidding":  # its settlement opens the watch again
                update_watch(self.state, watch, due=max(latest.reveal_end, now + GRACE))
                return
        offer = self.market.reoffer_of(job_id)
        if (
            not self.market.unsold_tiles(job_id)
            or offer.rounds_left == 0
            or now > offer.final_deadline
        ):
            update_watch(self.state, watch, stage=WatchStage.DONE)
            return
        delay = self._delay(job_id)
        if delay and watch.due == 0:  # due from now: the workers of the job go first
            update_watch(self.state, watch, due=now + delay)
            return
        self._send(watch, calls.reoffer(job_id, job.latest), now=now)

    def _delay(self, job_id: int) -> int:
        """Seconds this worker waits before acting on job (or round) `job_id`: none for the lowest
        address among the workers with seats in the job or its rounds, `GRACE` for the others
        with seats there, and `GRACE` and up to as much again for any other worker."""
        with self.state.session() as s:
            known = s.get(RoundRow, job_id)
            root = job_id if known is None else known.job_id
            rounds = s.scalars(select(RoundRow.round_id).where(RoundRow.job_id == root))
            family = [root, *rounds]
            peers = set(
                s.scalars(
                    select(WatchRow.worker).where(
                        WatchRow.job_id.in_(family), WatchRow.action == Action.CLAIM_LATE
                    )
                )
            )
            seated = s.scalar(
                select(JobRow.job_id)
                .where(JobRow.job_id.in_(family), JobRow.first_tile.is_not(None))
                .limit(1)
            )
        if seated is not None:
            return 0 if min(peers | {self.me}) == self.me else GRACE
        spread = hashlib.sha256(f"{root}:{self.me}".encode()).digest()[0] % (GRACE + 1)
        return GRACE + spread

    def _send(self, watch: WatchRow, call: Call, now: int) -> None:
        purpose = call.purpose.key
        try:
            self.sender.send(call)
        except ContractReverted as exc:
            if exc.error == "RoundStillBidding":
                latest = self.market.job(self.market.job(watch.job_id).latest)
                update_watch(self.state, watch, due=max(latest.reveal_end, now + GRACE))
            elif exc.error == "ReserveTooLow":  # the artist may top it up
                update_watch(self.state, watch, due=now + RESERVE_WAIT)
            elif calls.not_yet(exc.error):
                log.debug("%s not sent yet: %s", purpose, exc)
            else:  # someone else did it, or it can never be done
                log.info("%s not sent: %s", purpose, exc)
                update_watch(self.state, watch, stage=WatchStage.DONE)
            return
        except TxFailed as exc:  # mined but reverted: the next pass reads the chain again
            log.warning("%s", exc)
            return
        log.info("job %d: %s sent", watch.job_id, call.function)
        update_watch(self.state, watch, stage=WatchStage.DONE)
