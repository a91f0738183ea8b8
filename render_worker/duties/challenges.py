"""Challenging passes their own evidence contradicts (docs/protocol.md, step 10 and "Why blind
verification makes lazy checking lose").

Every pass on the market names the evidence its verifier sealed before it saw a tile. A worker
recomputes the verdict from that evidence and the revealed tiles, without rendering
(`render_worker/duties/recheck.py`); when the evidence is unusable or gives a fail, the pass
contradicts it, and the worker challenges it with the dispute bond and a reason on IPFS (the
published recomputation). Upheld, the verifier's slash less the panel's fee is the challenger's
and its bond comes back; rejected, the bond pays the panel, so the worker challenges only what it
recomputed.

Which passes: any seat's (the worker need not have bid on the job), except
- those it attested itself (the contract refuses them) and those of jobs it posted (its dispute
  would be an artist's contest, judged by re-rendering: another question);
- its own seat's: a challenge upheld voids the pass its own pay waits on and sends the seat to a
  new round (its pay waits for another draw, seal and verdict, and is lost if that was the last
  round). Any other worker that watches earns the same bounty for the same check without that
  stake, so the game does not need the worker to police its own verifier.
Only while the seat's contest window is open, and at most `limit` at a time (rechecks running,
challenges to send or open): the work, and the bonds at stake, are bounded. Passes beyond that
wait their turn, and lapse when their window closes first.

Rows (`challenges`) are created from events in the chain cursor's transaction
(`render_worker/chain/rechecks.py`):

    watching -> agrees | contradicted -> challenged -> upheld | rejected

or expired (the window closed, or the seat moved on, before the worker got to it), moot (someone
else disputed it first), error. A challenge's transactions name the seat's round
(`openDispute:7:0xW:0`); one a chain reorganisation removed is sent again only while the worker
still holds a contradicted recheck of that round (`stale`).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from web3 import Web3

from render_worker.chain import calls
from render_worker.chain.purposes import Action, Purpose
from render_worker.chain.rechecks import OPEN, seat
from render_worker.chain.sender import TxFailed, TxSender
from render_worker.duties.recheck import recheck_pass
from render_worker.state.models import ChallengeRow
from render_worker.state.stages import RecheckStage
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.ipfs import IpfsError, KuboClient

log = logging.getLogger("render_worker")

# Run `work` in the background under a key, once at a time: (key, work, render-free?) -> whether
# it was started now.
Background = Callable[[str, Callable[[], None], bool], bool]


def stale(state: WorkerState, purpose: Purpose | str) -> bool:
    """Whether a removed challenge (`openDispute:7:0xW:0`) answers no recheck the worker still
    holds as contradicted in that round (a reorganisation took the pass it rechecked)."""
    p = purpose if isinstance(purpose, Purpose) else Purpose.parse(purpose)
    if p.action != Action.OPEN_DISPUTE or p.worker is None or p.round is None:
        return False  # the worker's own appeals are `openDispute:7`
    with state.session() as s:
        held = s.scalar(
            select(ChallengeRow.id).where(
                *seat(p.job_id or 0, p.worker),
                ChallengeRow.round == p.round,
                ChallengeRow.stage.in_((RecheckStage.CONTRADICTED, RecheckStage.CHALLENGED)),
            )
        )
    return held is None


@dataclass
class Challenger:
    """Rechecks other workers' passes and challenges those their evidence contradicts."""

    me: str
    market: JobMarketClient
    ipfs: KuboClient
    state: WorkerState
    sender: TxSender
    background: Background
    work_dir: Path
    limit: int
    _running: set[int] = field(default_factory=set, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def rows(self, *stages: str) -> list[ChallengeRow]:
        with self.state.session() as s:
            query = select(ChallengeRow).order_by(ChallengeRow.id)
            if stages:
                query = query.where(ChallengeRow.stage.in_(stages))
            return list(s.scalars(query))

    def act(self, now: int) -> None:
        """Follow open challenges, send due ones, and start rechecks while below the limit."""
        rows = self.rows(*OPEN)
        for row in rows:
            if row.stage == RecheckStage.CHALLENGED:
                self._follow(row)
            elif row.stage == RecheckStage.CONTRADICTED:
                self._challenge(row, now)
        with self._lock:
            running = set(self._running)
        taken = len(running) + sum(
            r.stage in (RecheckStage.CONTRADICTED, RecheckStage.CHALLENGED) for r in rows
        )
        for row in rows:
            if taken >= self.limit:
                break
            if (
                row.stage == RecheckStage.WATCHING
                and row.id not in running
                and self._start(row, now)
            ):
                taken += 1

    def _start(self, row: ChallengeRow, now: int) -> bool:
        """Start rechecking `row` if its pass still stands and its window is open."""
        seat = self.market.seat(row.job_id, row.worker)
        if seat.state_name != "Accepted" or now > seat.deadline:
            self._update(row, RecheckStage.WATCHING, stage=RecheckStage.EXPIRED,
                         reason=f"the seat is {seat.state_name}, its window closed")  # fmt: skip
            return False
        if self.market.account_by_id(seat.verifier_id) != row.verifier:
            self._update(
                row,
                RecheckStage.WATCHING,
                stage=RecheckStage.EXPIRED,
                reason="another verifier's seat now",
            )
            return False

        def work() -> None:
            try:
                self._recheck(row, seat.round)
            except Exception as exc:
                log.error("job %d: rechecking %s's pass failed: %s", row.job_id, row.worker, exc)
                self._update(row, RecheckStage.WATCHING, stage=RecheckStage.ERROR, reason=str(exc))
            finally:
                with self._lock:
                    self._running.discard(row.id)

        with self._lock:
            self._running.add(row.id)
        if self.background(f"recheck:{row.id}", work, True):
            return True
        with self._lock:  # the previous attempt's end was only forgotten: the next pass starts it
            self._running.discard(row.id)
        return False

    def _recheck(self, row: ChallengeRow, rnd: int) -> None:
        recheck = recheck_pass(self.market, self.ipfs, row.job_id, row.worker, row.verifier,
                               row.evidence_cid, self.work_dir)  # fmt: skip
        if not recheck.contradicted:
            self._update(
                row,
                RecheckStage.WATCHING,
                stage=RecheckStage.AGREES,
                round=rnd,
                reason=recheck.reason,
            )
            return
        try:
            self.ipfs.version()  # a fail because our own node is away is no contradiction
        except IpfsError as exc:
            log.warning("job %d: recheck of %s's pass not trusted, IPFS is away (%s)",
                        row.job_id, row.worker, exc)  # fmt: skip
            return  # still watching: tried again while the window is open
        reason_cid = recheck.publish(self.ipfs)
        self._update(row, RecheckStage.WATCHING, stage=RecheckStage.CONTRADICTED, round=rnd,
                     reason=recheck.reason, reason_cid=reason_cid)  # fmt: skip
        log.warning("job %d: %s's pass by %s contradicts its evidence (%s); challenging",
                    row.job_id, row.worker, row.verifier, recheck.reason)  # fmt: skip

    def _challenge(self, row: ChallengeRow, now: int) -> None:
        seat = self.market.seat(row.job_id, row.worker)
        if seat.state_name != "Accepted" or seat.round != row.round or now > seat.deadline:
            moved = f"the seat is {seat.state_name} (round {seat.round}) now"
            self._update(row, RecheckStage.CONTRADICTED, stage=RecheckStage.EXPIRED, reason=moved)
            return
        bond = self.market.config().dispute_bond
        if self.market.w3.eth.get_balance(Web3.to_checksum_address(self.me)) < bond:
            log.warning("job %d: no challenge of %s's pass: the dispute bond is %d wei, more "
                        "than this account holds", row.job_id, row.worker, bond)  # fmt: skip
            return
        # Both are stored with the stage.
        call = calls.challenge(row.job_id, row.worker, row.round or 0, row.reason_cid or "", bond)
        key = call.purpose.key
        try:
            self.sender.send(call)
        except ContractReverted as exc:
            if not calls.not_yet(exc.error):  # another dispute came first, or the window closed
                log.info("%s not sent: %s", key, exc)
                self._update(
                    row, RecheckStage.CONTRADICTED, stage=RecheckStage.MOOT, reason=str(exc)
                )
            return
        except TxFailed as exc:  # mined but reverted: the next pass reads the seat again
            log.warning("%s", exc)
            return
        self._update(row, RecheckStage.CONTRADICTED, stage=RecheckStage.CHALLENGED)
        log.info("job %d: challenged %s's pass (bond %d wei)", row.job_id, row.worker, bond)

    def _follow(self, row: ChallengeRow) -> None:
        """The challenger loses if no panel is drawn in time: it draws, then resolves."""
        dispute = self.market.dispute(row.job_id, row.worker)
        rnd = row.round or 0  # stored with the contradiction
        if not dispute.drawn:
            if self.market.w3.eth.block_number >= dispute.anchor_block:
                self.sender.try_send(calls.draw_panel(row.job_id, row.worker, rnd))
            return
        self.sender.try_send(calls.resolve_dispute(row.job_id, row.worker, rnd))

    def _update(self, row: ChallengeRow, expected: str, **fields: object) -> None:
        """Store a step's outcome if the row still stands where the step began."""
        with self.state.session() as s:
            current = s.get(ChallengeRow, row.id)
            if current is None or current.stage != expected:
                return
            for name, value in fields.items():
                setattr(current, name, value)
