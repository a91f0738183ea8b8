"""`render-worker run`: follow the market, bid, render, publish, commit, verify, get paid.

Verification is blind (docs/protocol.md): the worker commits only its results' Merkle root and
reveals its results list once its drawn verifier has sealed its evidence
(`render_worker/work/seat.py`); as a verifier it seals evidence rendered before it may see a tile
(`render_worker/duties/verify_duty.py`) and attests with it.

Three threads share the worker's database:
- the chain loop (`step`): reads confirmed market events into the database (cursor in the same
  transaction: `render_worker/chain/follow.py`), then acts on what the database says is due:
  commit or reveal a bid, settle (`render_worker/work/bidding.py`), commit results, draw a
  verifier, reveal its results list, seal evidence and attest, check, seal and reveal panel votes
  (`render_worker/duties/panel.py`), challenge passes their own evidence contradicts
  (`render_worker/duties/challenges.py`), withdraw. Every transaction goes through `TxSender`,
  keyed by purpose, so a restart never sends one twice. A pass does not wait for its
  transactions: it first collects the receipts of those sent at earlier passes
  (`TxSender.collect`), then sends what is due, the bidding first and in the order of its
  deadlines (a bid before the bid window of its job closes, a reveal before the reveal window
  closes), so that a burst of jobs is bid on in the next block, not one job a block.
- the render thread and the judging thread (`render_worker/work/threads.py`): renders of won
  tiles, evidence and panel checks, and render-free verdicts, each result stored as soon as it
  exists.

It also does the permissionless actions that keep a job moving when someone else stops (a dead
worker's seat claimed late, a silent verifier replaced, a failed or unrevealed seat finalised:
`render_worker/duties/seats.py`; a bidding nobody settled settled, unsold tiles re-offered in a new
round: `render_worker/duties/rounds.py`), and undoes what a chain reorganisation removed
(`render_worker/chain/reorg.py`, `TxSender.reconcile`).

Decisions about a job are taken from the database, never from memory, so `kill -9` at any point
and a restart resume where the database stands.
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import Web3Exception

from render_worker.chain import calls
from render_worker.chain.follow import ChainFollow
from render_worker.chain.projection import OPEN_DUTY
from render_worker.chain.purposes import Action, Purpose
from render_worker.chain.sender import RPC_ERRORS, TxFailed, TxPending, TxSender
from render_worker.chain.wakeups import seconds_to_sleep
from render_worker.duties import challenges, verify_duty
from render_worker.duties.challenges import Challenger
from render_worker.duties.panel import PanelVoter
from render_worker.duties.rounds import RoundDuties
from render_worker.duties.seats import SeatDuties
from render_worker.duties.verifier import Verifier
from render_worker.duties.verify_duty import VerifierDuty
from render_worker.metrics import WorkerMetrics
from render_worker.settings import DaemonSettings
from render_worker.state.models import JobRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.assignment import AssignmentRenderer
from render_worker.work.bidding import SETTLE_GRACE, SETTLES, Bidder
from render_worker.work.children import IDLE_SECONDS, JobChildren
from render_worker.work.give_back import GiveBack, give_back_for
from render_worker.work.machine import MachineProfile, declare_hardware, describe
from render_worker.work.manifests import Manifests
from render_worker.work.seat import OwnSeat
from render_worker.work.threads import Threads
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.follower import HeadWatcher
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.errors import TilefarmError

log = logging.getLogger("render_worker")

# The stages the chain loop acts on.
ACTED_ON = (
    Stage.SEEN, Stage.CANCELLED_BID, Stage.RENDERED, Stage.COMMITTED, Stage.SEALED, Stage.FAILED,
    Stage.APPEALED, *SETTLES,
)  # fmt: skip
# What the keys of the automatic withdrawals start with (`withdraw:<block>:<balance>`).
WITHDRAW_PREFIX = f"{Action.WITHDRAW.value}:"


class WorkerDaemon:
    """One worker: one key, one database, one market."""

    def __init__(
        self,
        settings: DaemonSettings,
        account: LocalAccount,
        w3: Web3,
        market: JobMarketClient,
        ipfs: KuboClient,
        state: WorkerState,
        *,
        start_block: int,
        machine: MachineProfile,
        metrics: WorkerMetrics | None = None,
        declare_hardware: bool = False,
    ) -> None:
        """`declare_hardware`: the first pass declares `machine.hardware` on chain where the
        chain records other hardware (`render-worker run`; tests and benches that set the speed
        themselves need not)."""
        self.settings = settings
        self.account = account
        self.me = me = account.address
        self.w3 = w3
        self.market = market
        self.ipfs = ipfs
        self.state = state
        self.machine = machine
        self.metrics = metrics = metrics or WorkerMetrics()
        self.sender = sender = TxSender(
            w3, market, account, state,
            max_fee_wei=settings.max_fee_wei, receipt_timeout=settings.receipt_timeout_s,
        )  # fmt: skip
        self.chain = ChainFollow(
            w3, market, me, state, sender, metrics, start_block=start_block,
            confirmations=settings.confirmations, rechecks=settings.recheck_passes,
            stale=self._stale,
        )  # fmt: skip
        self.threads = Threads(self._wake)
        work_dir = settings.state_dir / "work"
        manifests = Manifests(ipfs)
        self.children = JobChildren(settings)
        self.renderer = AssignmentRenderer(
            ipfs, manifests, state, work_dir, settings.max_scene_bytes, self.children,
            backend=machine.backend,
        )  # fmt: skip
        self.verifier = Verifier(
            ipfs, market, work_dir, self.children, self.renderer.scene, manifests.get
        )
        self.bidder = Bidder(
            me, settings.pricing, machine, state, market, manifests, sender,
            self._warm_while_bidding, metrics,
        )  # fmt: skip
        self.seat = OwnSeat(
            me, market, ipfs, state, sender, self.renderer,
            appeal_failures=settings.appeal_failures,
        )  # fmt: skip
        self.duties = SeatDuties(me, market, state, sender)
        self.rounds = RoundDuties(me, market, state, sender)
        self.verifying = VerifierDuty(me, state, sender, lambda: self.verifier, self.threads.start)
        self.panel = PanelVoter(
            me, bytes(account.key), market, state, sender, lambda: self.verifier, self.threads
        )
        self.challenger = Challenger(
            me, market, ipfs, state, sender, self.threads.start, work_dir, settings.max_rechecks
        )
        self.stopping = threading.Event()
        self._watcher: HeadWatcher | None = None
        self._undeclared = declare_hardware

    # ---- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; then finish the tile in progress and return."""
        log.info("worker %s starting; market %s", self.me, self.market.address)
        self.chain.check()  # one a crash cut short, before anything stored is sent again
        self.sender.recover()
        self.bidder.resume()  # a restart is what its operator does once the GPU is checked
        watcher = self._watcher = HeadWatcher(self.settings.websocket_url).start()
        try:
            while not stop.is_set():
                try:
                    self.step()
                except RPC_ERRORS as exc:
                    log.warning("chain RPC failed (%s); retrying", exc)
                except Web3Exception as exc:
                    # e.g. logs asked up to a head that a reorganisation has just taken away
                    log.warning("the chain node refused a request (%s); retrying", exc)
                except (TilefarmError, OSError) as exc:
                    log.error("%s", exc)
                watcher.wait(self._sleep_seconds(watcher.connected))
        finally:
            watcher.stop()
            self.stopping.set()
            self.threads.shutdown()
            self.children.close()
            log.info("worker %s stopped", self.me)

    def step(self) -> None:
        """Read new events, then do whatever is due."""
        self.follow()
        self.act()

    def follow(self) -> None:
        """Read the market's confirmed events up to the head into the database."""
        self.chain.follow()

    def _sleep_seconds(self, heads: bool) -> float:
        # A job still `seen` has its bid in flight (or is about to be skipped): its reveal is due
        # at the end of its bid window too.
        return seconds_to_sleep(
            self.state.jobs(Stage.SEEN, *SETTLES), time.time(), self.settings.poll_seconds,
            heads, SETTLE_GRACE,
        )  # fmt: skip

    def _wake(self) -> None:
        if self._watcher is not None:
            self._watcher.wake()

    def _stale(self, purpose: Purpose) -> bool:
        """Whether a removed seal, attestation or challenge answers a draw or a pass the worker
        no longer holds."""
        return verify_duty.stale(self.state, purpose) or challenges.stale(self.state, purpose)

    # ---- database -> actions ----------------------------------------------------------------

    def act(self) -> None:
        # What was sent at earlier passes and is mined now: the steps below move on from it.
        self.sender.collect()
        if self._undeclared:
            self._declare_hardware()
        # The next block's timestamp is at least the wall clock, so deadlines are judged by it;
        # the contract re-checks every one of them, and a call it would refuse is not sent.
        now = max(self.chain.head_timestamp, int(time.time()))
        # One read a pass (this runs at every block): a job moved on by this pass is taken up
        # by the next, which its own transaction's block starts.
        jobs: dict[str, list[JobRow]] = defaultdict(list)
        for job in self.state.jobs(*ACTED_ON):
            jobs[job.stage].append(job)
        self.bidder.start_pass()
        for _deadline, _order, job, bidding_step in sorted(
            self._bidding(jobs), key=lambda due: (*due[:2], due[2].job_id)
        ):
            bidding_step(job, now)
        # A bid this pass found mined, its bid window over: revealed now, not a wake-up later.
        for seen in jobs[Stage.SEEN]:
            job_now = self.state.job(seen.job_id)
            if job_now is not None and job_now.stage == Stage.BID:
                self.bidder.reveal(job_now, now)
        for job in jobs[Stage.CANCELLED_BID]:
            self.bidder.reclaim_bond(job)
        for job in jobs[Stage.WON]:
            self._render_in_background(job)
        for job in jobs[Stage.RENDERED]:
            self.seat.commit_results(job)
        for job in jobs[Stage.COMMITTED]:
            self.seat.draw_verifier(job)
        for job in jobs[Stage.SEALED]:
            self._reveal_results(job)
        for job in jobs[Stage.FAILED]:
            self.seat.appeal(job)
        for job in jobs[Stage.APPEALED]:
            self.seat.follow_dispute(job)
        duties = self.state.duties(*OPEN_DUTY)
        self.verifying.act(duties)
        self.panel.act(duties, now)
        if self.settings.recheck_passes:
            self.challenger.act(now)
        self.duties.perform(now)
        self.rounds.perform(now)
        self._withdraw_if_due()
        if self.children.idle_seconds() > IDLE_SECONDS and not self.threads.working():
            self.threads.render("close-child", self.children.close)

    def _bidding(
        self, jobs: dict[str, list[JobRow]]
    ) -> list[tuple[int, int, JobRow, Callable[[JobRow, int], None]]]:
        """The bidding steps of this pass, each with the deadline it must be mined by: a bid by
        its job's bid window's end, a reveal by the reveal window's end, a settlement (due once
        the reveals are in or their window is over) by the same. The steps of one job keep
        their order (the second number) where the deadlines tie."""
        steps: list[tuple[int, int, JobRow, Callable[[JobRow, int], None]]] = []
        steps += [(job.bid_end, 0, job, self.bidder.consider) for job in jobs[Stage.SEEN]]
        steps += [(job.reveal_end, 1, job, self.bidder.reveal) for job in jobs[Stage.BID]]
        for stage in SETTLES:
            steps += [(job.reveal_end, 2, job, self.bidder.settle) for job in jobs[stage]]
        return steps

    def _declare_hardware(self) -> None:
        """Declare the machine's hardware where the chain records another: once, at the first
        pass, through the sender, so after what `run` sent again at start (a transaction
        stored but never broadcast keeps its nonce). An RPC failure tries again at the next
        pass; a refusal is logged, and the worker bids by its hardware all the same."""
        hardware = self.machine.hardware
        try:
            declare_hardware(self.sender, self.state, hardware)
        except (ContractReverted, TxFailed) as exc:
            log.error("could not declare %s on chain: %s", describe(hardware), exc)
        self._undeclared = False

    def _reveal_results(self, job: JobRow) -> None:
        # A step of the daemon's own, which a drill holds back (tests/drills).
        self.seat.reveal_results(job)

    def _warm_while_bidding(self, job_id: int, manifest_cid: str) -> None:
        if not self.threads.working():  # never delays work already won
            self.threads.render(f"warm:{job_id}", lambda: self._warm(job_id, manifest_cid))

    def _warm(self, job_id: int, manifest_cid: str) -> None:
        try:
            self.renderer.warm(job_id, manifest_cid)
        except (TilefarmError, OSError) as exc:  # rendering, if won, tries again and reports
            log.warning("job %d: could not prepare the scene while bidding: %s", job_id, exc)

    def _render_in_background(self, job: JobRow) -> None:
        key = f"render:{job.job_id}"
        if self.threads.rendering(key):
            return
        failure = self.threads.forget(key)
        if failure is not None:
            given = give_back_for(failure)
            if given is not None:
                self._give_seat_back(job, given)
                return
            log.error("job %d: rendering failed: %s", job.job_id, failure)
            self.state.move(job.job_id, Stage.ERROR, f"rendering failed: {failure}")
            return

        def work() -> None:
            assert job.first_tile is not None
            complete = self.renderer.render(
                job.job_id, job.manifest_cid, job.first_tile, job.assigned_tiles, self.stopping,
                on_tile=lambda row: self.metrics.tile_rendered(row.seconds),
            )  # fmt: skip
            # An event or a reorganisation may have moved the job on meanwhile.
            if complete and not self.state.move(job.job_id, Stage.RENDERED, only_from=Stage.WON):
                log.warning("job %d: rendered, but the job has moved on meanwhile", job.job_id)

        log.info("job %d: rendering tiles %d..%d", job.job_id, job.first_tile or 0,
                 (job.first_tile or 0) + job.assigned_tiles - 1)  # fmt: skip
        self.threads.render(key, work)

    def _give_seat_back(self, job: JobRow, given: GiveBack) -> None:
        """This machine cannot render the job (`render_worker/work/give_back.py`): its tiles go
        back to the artist now rather than at the render deadline. The stage moves first, so
        that the job is never rendered again; a seat the chain does not take back is claimed
        late at the deadline instead."""
        log.error("job %d: %s; giving the seat back", job.job_id, given.reason)
        self.bidder.after_give_back(job.job_id, given)
        if not self.state.move(job.job_id, Stage.ABANDONED, given.reason, only_from=Stage.WON):
            return  # an event moved it on meanwhile
        try:
            # Waited for: an abandoned job is not acted on again, so nothing would try later.
            self.sender.send(calls.abandon_seat(job.job_id, given.cause))
            return
        except TxPending as exc:  # in flight: `collect` records it once mined
            log.warning("job %d: %s", job.job_id, exc)
            return
        except (TilefarmError, *RPC_ERRORS) as exc:
            log.warning("job %d: abandonSeat failed: %s", job.job_id, exc)
        log.warning("job %d: the seat stays; its tiles return at the render deadline",
                    job.job_id)  # fmt: skip

    def _withdraw_if_due(self) -> None:
        threshold = self.settings.auto_withdraw_wei
        if threshold is None:
            return
        if not self.chain.new_events:
            return
        # Its purpose names the block the balance was seen at, so a withdrawal still in flight
        # would be sent again under another name: none is sent while one is in flight (its
        # event, once mined, has the balance read again).
        if any(row.purpose.startswith(WITHDRAW_PREFIX) for row in self.sender.in_flight()):
            return
        balance = self.market.balance_of(self.me)
        if balance > 0 and balance >= threshold:
            block = self.w3.eth.block_number
            try:
                self.sender.submit(calls.withdraw(block, balance))
            except (ContractReverted, TxFailed) as exc:
                log.warning("withdrawing %d wei: %s", balance, exc)
                return  # tried again at the next pass
            self.metrics.withdrawn.inc(balance)
        self.chain.new_events = False
