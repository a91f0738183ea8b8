"""`render-worker run`: follow the market, bid, render, publish, commit, verify, get paid.

Verification is blind (docs/protocol.md): the worker commits only its results' Merkle root and
reveals its results list once its drawn verifier has sealed its evidence; as a verifier it seals
evidence rendered before it may see a tile (`render_worker/verify_duty.py`) and attests with it.

Three threads share the worker's database:
- the chain loop (`step`): reads confirmed market events into the database (cursor in the same
  transaction), then acts on what the database says is due: commit or reveal a bid, settle
  (`render_worker/bidding.py`), commit results, draw a verifier, reveal its results list, seal
  evidence and attest, seal and reveal panel votes (`render_worker/panel.py`), challenge passes
  their own evidence contradicts (`render_worker/challenges.py`), withdraw. Every transaction
  goes through `TxSender`, keyed by purpose, so a restart never sends one twice.
- the render thread renders won tiles and the patches of evidence and panel checks (they share
  the CPU and the Blender child), storing each result as soon as it exists;
- the judging thread judges evidence against revealed tiles (its own as a verifier, others' to
  recheck a pass or vote on a challenge): render-free, so a long render never delays a verdict.

It also does the permissionless actions that keep a job moving when someone else stops (a dead
worker's seat claimed late, a silent verifier replaced, a failed or unrevealed seat finalised:
`render_worker/duties.py`; a bidding nobody settled settled, unsold tiles re-offered in a new
round: `render_worker/round_duties.py`), and undoes what a chain reorganisation removed
(`render_worker/reorg.py`, `TxSender.reconcile`).

Decisions about a job are taken from the database, never from memory, so `kill -9` at any point
and a restart resume where the database stands.
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import Web3Exception

from render_worker import challenges, reorg, verify_duty
from render_worker.assignment import AssignmentRenderer, results_document
from render_worker.bidding import SETTLE_GRACE, SETTLES, Bidder
from render_worker.chain_check import ChainCheck, merged
from render_worker.challenges import Challenger
from render_worker.children import IDLE_SECONDS, JobChildren
from render_worker.duties import SeatDuties
from render_worker.errors import WorkerError
from render_worker.metrics import WorkerMetrics
from render_worker.panel import PanelVoter
from render_worker.projection import OPEN_DUTY, apply_event
from render_worker.round_duties import RoundDuties
from render_worker.settings import DaemonSettings
from render_worker.state import Base, DutyRow, JobRow, WorkerState
from render_worker.transactions import RPC_ERRORS, TxFailed, TxSender
from render_worker.verifier import Verifier
from render_worker.verify_duty import VerifierDuty
from render_worker.wakeups import seconds_to_sleep
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.follower import Cursor, HeadWatcher, LogFollower
from tilefarm.adapters.ipfs import KuboClient, cid_of_bytes
from tilefarm.errors import TilefarmError
from tilefarm.manifest import canonical_json

log = logging.getLogger("render_worker")

NOT_YET = {
    "RevealNotOpen", "RevealNotOver", "RandomnessNotReady", "WindowStillOpen", "VotingStillOpen",
    "RenderDeadlineNotReached", "RevealsNotOpen",
}  # fmt: skip
CHORES = ("warm:", "close-child")  # background work whose outcome is not read back
ACTED_ON = (
    "seen", "cancelled_bid", "rendered", "committed", "sealed", "failed", "appealed", *SETTLES,
)  # fmt: skip
CHAIN_CHECK = "chain_check"  # meta key of the `ChainCheck` still due


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
        pixel_samples_per_minute: float,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.account = account
        self.me = account.address
        self.w3 = w3
        self.market = market
        self.ipfs = ipfs
        self.state = state
        self.start_block = start_block
        self.metrics = metrics or WorkerMetrics()
        self.sender = TxSender(
            w3, market, account, state,
            max_fee_wei=settings.max_fee_wei, receipt_timeout=settings.receipt_timeout_s,
        )  # fmt: skip
        self.follower = LogFollower(w3, market.address, confirmations=settings.confirmations)
        Base.metadata.create_all(state.engine)  # the watches and journal tables, if new
        self.duties = SeatDuties(self.me, market, state, self.sender, NOT_YET.__contains__)
        self.rounds = RoundDuties(self.me, market, state, self.sender, NOT_YET.__contains__)
        self.panel = PanelVoter(
            self.me, bytes(account.key), market, state, self.sender, NOT_YET.__contains__
        )
        self.bidder = Bidder(
            self.me, settings.pricing, pixel_samples_per_minute, state, market, ipfs, self.sender,
            self._try, self._warm_while_bidding, self.metrics,
        )  # fmt: skip
        work_dir = settings.state_dir / "work"
        self.children = JobChildren(settings)
        self.renderer = AssignmentRenderer(
            ipfs, state, work_dir, settings.max_scene_bytes, self.children
        )
        self.verifier = Verifier(ipfs, market, work_dir, self.children, self.renderer.scene)
        self.verifying = VerifierDuty(
            self.me, state, self.sender, lambda: self.verifier, self._background,
            NOT_YET.__contains__,
        )  # fmt: skip
        self.challenger = Challenger(
            self.me, market, ipfs, state, self.sender, NOT_YET.__contains__, self._try,
            self._background, work_dir, settings.max_rechecks,
        )  # fmt: skip
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._judging = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge")
        self._busy: dict[str, Future[Any]] = {}
        self._judged: dict[str, Future[Any]] = {}
        self._watcher: HeadWatcher | None = None
        # The market's balance for us changes only with events: read it after new ones only.
        self._balance_may_have_changed = True
        self._head_timestamp = 0  # of the newest block `follow` saw

    # ---- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; then finish the tile in progress and return."""
        log.info("worker %s starting; market %s", self.me, self.market.address)
        self.check_chain()  # one a crash cut short, before anything stored is sent again
        self.sender.recover()
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
            self._judging.shutdown(wait=True, cancel_futures=True)
            self._pool.shutdown(wait=True)
            self.children.close()
            log.info("worker %s stopped", self.me)

    def step(self) -> None:
        """Read new events, then do whatever is due."""
        self.follow()
        self.act()

    def _sleep_seconds(self, heads: bool) -> float:
        return seconds_to_sleep(
            self.state.jobs(*SETTLES), time.time(), self.settings.poll_seconds, heads, SETTLE_GRACE
        )

    def _submit(self, key: str, work: Callable[[], None]) -> None:
        """Run `work` on the background thread; the chain loop wakes as soon as it is done."""
        # Finished chores (warm-ups, stopping an idle child) have nothing left to report.
        for done in [k for k, f in self._busy.items() if f.done() and k.startswith(CHORES)]:
            del self._busy[done]
        future = self._pool.submit(work)
        future.add_done_callback(self._wake)
        self._busy[key] = future

    def _background(self, key: str, work: Callable[[], None], render_free: bool) -> bool:
        """Run `work` under `key` on the render thread, or the judging thread if `render_free`,
        unless it is running or queued already; once it has finished, the next call for `key`
        only forgets it (the row it worked on has moved on, or asks again at the next pass).
        True when `work` was queued now."""
        busy = self._judged if render_free else self._busy
        if key in busy:
            if busy[key].done():
                del busy[key]
            return False
        if render_free:
            future = self._judging.submit(work)
            future.add_done_callback(self._wake)
            self._judged[key] = future
        else:
            self._submit(key, work)
        return True

    def _wake(self, _: object = None) -> None:
        if self._watcher is not None:
            self._watcher.wake()

    # ---- events -> database -----------------------------------------------------------------

    def follow(self) -> None:
        stored = self.state.get_meta("cursor")
        cursor = Cursor(**stored) if stored else Cursor(next_block=self.start_block)
        while True:
            batch = self.follower.poll(cursor)
            first = cursor.next_block if batch.reorged_from is None else batch.reorged_from
            unposted: set[int] = set()
            due = self.state.get_meta(CHAIN_CHECK)  # a check not done yet is widened, not lost
            with self.state.session() as s:
                if batch.reorged_from is not None:
                    unposted = reorg.unposted(s, batch.reorged_from)
                    jobs = reorg.roll_back(s, batch.reorged_from)
                    log.warning(
                        "chain reorganised from block %d; jobs %s rolled back, re-reading",
                        batch.reorged_from, jobs,
                    )  # fmt: skip
                self._balance_may_have_changed |= bool(batch.logs)
                for raw in batch.logs:
                    event = self.market.decode_log(raw)
                    for job_id in reorg.touched(s, event):
                        reorg.remember(s, job_id, event.block_number)
                    apply_event(s, event, self.me, self.metrics,
                                rechecks=self.settings.recheck_passes)  # fmt: skip
                self.state.put_meta(s, "cursor", batch.cursor.model_dump())
                if batch.cursor.recent:
                    reorg.forget_before(s, batch.cursor.recent[0].number)
                # Our transactions in the blocks just read (or in every block after a
                # reorganisation) must be on this chain (`render_worker/chain_check.py`).
                last = None if batch.reorged_from is not None else batch.cursor.next_block - 1
                check = ChainCheck(first=first, last=last, unposted=sorted(unposted))
                check = merged(ChainCheck(**due) if due else None, check)
                self.state.put_meta(s, CHAIN_CHECK, check.model_dump())
            self.check_chain()
            self.metrics.block.set(batch.cursor.next_block - 1)
            self._head_timestamp = batch.head_timestamp
            cursor = batch.cursor
            if cursor.next_block > batch.head - self.settings.confirmations:
                return

    def check_chain(self) -> None:
        """Send again our transactions the chain no longer holds in the blocks still to check
        (voiding those about a removed posting). A failing node leaves the check stored, and
        the worker goes on: it is tried again after the next blocks are read."""
        stored = self.state.get_meta(CHAIN_CHECK)
        if not stored:
            return
        check = ChainCheck(**stored)
        try:
            self.sender.reconcile(check.first, check.last, void=self._voids(set(check.unposted)))
            if check.failed:  # the failed attempt may have left rows marked to send again
                self.sender.recover()
        except (*RPC_ERRORS, Web3Exception, WorkerError) as exc:
            log.warning(
                "checking our transactions from block %d against the chain failed (%s); "
                "trying again after the next blocks", check.first, exc,
            )  # fmt: skip
            with self.state.session() as s:
                failed = check.model_copy(update={"failed": True})
                self.state.put_meta(s, CHAIN_CHECK, failed.model_dump())
            return
        with self.state.session() as s:
            self.state.put_meta(s, CHAIN_CHECK, None)

    def _voids(self, unposted: set[int]) -> Callable[[str], bool]:
        """Which transactions the chain lost are not to be sent again: those about a job whose
        posting was removed, as the follower's reorganisation (`unposted`) or, when the
        transaction is found missing before the follower has seen it, the chain itself says (it
        no longer holds the job as the worker knows it). The next job posted may have its
        number, and an old bid would land on it."""

        def void(purpose: str) -> bool:
            job_id = reorg.purpose_job(purpose)
            if job_id is None:
                return False
            if job_id in unposted:
                return True
            # A seal, an attestation or a challenge answers a draw or a pass of the removed
            # blocks that the new chain does not hold as the worker knew it.
            if verify_duty.stale(self.state, purpose) or challenges.stale(self.state, purpose):
                return True
            chain, known = self.market.job(job_id), self.state.job(job_id)
            if known is None:
                return chain.status_name == "None"
            held = (chain.artist.lower(), chain.tile_count, chain.max_price_per_tile)
            return held != (known.artist.lower(), known.tile_count, known.max_price_per_tile)

        return void

    # ---- database -> actions ----------------------------------------------------------------

    def act(self) -> None:
        # The next block's timestamp is at least the wall clock, so deadlines are judged by it;
        # the contract re-checks every one of them, and a call it would refuse is not sent.
        now = max(self._head_timestamp, int(time.time()))
        # One read a pass (this runs at every block): a job moved on by this pass is taken up
        # by the next, which its own transaction's block starts.
        jobs: dict[str, list[JobRow]] = defaultdict(list)
        for job in self.state.jobs(*ACTED_ON):
            jobs[job.stage].append(job)
        for job in jobs["seen"]:
            self.bidder.consider(job, now)
        for job in jobs["bid"]:
            self.bidder.reveal(job, now)
        for job in sorted((j for stage in SETTLES for j in jobs[stage]), key=lambda j: j.job_id):
            self.bidder.settle(job, now)
        for job in jobs["cancelled_bid"]:
            self._try(f"reclaimBond:{job.job_id}", "reclaimBond", job.job_id)
            self.state.update_job(job.job_id, stage="cancelled")
        for job in jobs["won"]:
            self._render_in_background(job)
        for job in jobs["rendered"]:
            self._commit_results(job)
        for job in jobs["committed"]:
            self._draw_verifier(job)
        for job in jobs["sealed"]:
            self._reveal_results(job)
        for job in jobs["failed"]:
            self._appeal(job)
        for job in jobs["appealed"]:
            self._follow_dispute(job)
        duties = self.state.duties(*OPEN_DUTY)
        self.verifying.act(duties)
        for duty in (d for d in duties if d.kind == "panel" and d.stage == "drawn"):
            self._panel_check(duty)
        self.panel.act(duties, now)
        if self.settings.recheck_passes:
            self.challenger.act(now)
        self.duties.perform(now)
        self.rounds.perform(now)
        self._withdraw_if_due()
        if self.children.idle_seconds() > IDLE_SECONDS and not self._working():
            self._submit("close-child", self.children.close)

    def _working(self) -> bool:
        """True while the background thread has work running or queued."""
        return any(not future.done() for future in self._busy.values())

    def _warm_while_bidding(self, job_id: int, manifest_cid: str) -> None:
        if not self._working():  # never delays work already won
            self._submit(f"warm:{job_id}", lambda: self._warm(job_id, manifest_cid))

    def _warm(self, job_id: int, manifest_cid: str) -> None:
        try:
            self.renderer.warm(job_id, manifest_cid)
        except (TilefarmError, OSError) as exc:  # rendering, if won, tries again and reports
            log.warning("job %d: could not prepare the scene while bidding: %s", job_id, exc)

    def _render_in_background(self, job: JobRow) -> None:
        key = f"render:{job.job_id}"
        if key in self._busy and not self._busy[key].done():
            return
        if key in self._busy:
            failure = self._busy.pop(key).exception()
            if failure is not None:
                log.error("job %d: rendering failed: %s", job.job_id, failure)
                self.state.update_job(
                    job.job_id, stage="error", reason=f"rendering failed: {failure}"
                )
                return

        def work() -> None:
            assert job.first_tile is not None
            complete = self.renderer.render(
                job.job_id, job.manifest_cid, job.first_tile, job.assigned_tiles, self.stopping,
                on_tile=lambda row: self.metrics.tile_rendered(row.seconds),
            )  # fmt: skip
            if complete:
                self.state.update_job(job.job_id, stage="rendered")

        log.info("job %d: rendering tiles %d..%d", job.job_id, job.first_tile or 0,
                 (job.first_tile or 0) + job.assigned_tiles - 1)  # fmt: skip
        self._submit(key, work)

    def _commit_results(self, job: JobRow) -> None:
        """Commit the Merkle root only. The results list's CID is kept in the job's row before
        the commitment is signed (the reveal names it after a restart too); the list itself
        reaches IPFS only with the reveal, so nobody learns a tile's CID from it before."""
        results = self.renderer.results(job.job_id, self.me, job.manifest_cid)
        root, cid = results.root(), cid_of_bytes(results_document(results))
        if (job.results_cid, job.merkle_root) != (cid, "0x" + root.hex()):
            self.state.update_job(job.job_id, results_cid=cid, merkle_root="0x" + root.hex())
        if self._try(f"commitResults:{job.job_id}", "commitResults", job.job_id, root):
            self.state.update_job(job.job_id, stage="committed")
            log.info(
                "job %d: committed %d tiles, root 0x%s", job.job_id, len(results.tiles), root.hex()
            )

    def _reveal_results(self, job: JobRow) -> None:
        """The verifier sealed its evidence: publish the results list and reveal its CID, in
        each round (a new verifier seals anew)."""
        seat = self.market.seat(job.job_id, self.me)
        if seat.state_name != "Sealed":
            return  # revealed already (its event moves the job on), or the seat moved on
        results = self.renderer.results(job.job_id, self.me, job.manifest_cid)
        cid = self.ipfs.add_bytes(results_document(results), name="results.json")
        if job.results_cid is not None and cid != job.results_cid:
            reason = f"the results list is {cid} now, not the committed {job.results_cid}"
            log.error("job %d: %s; its tiles in the worker's database changed", job.job_id, reason)
            self.state.update_job(job.job_id, stage="error", reason=reason)
            return
        purpose = f"revealResults:{job.job_id}:{seat.round}"
        if self._try(purpose, "revealResults", job.job_id, cid):
            self.state.update_job(job.job_id, stage="opened")
            log.info("job %d: revealed the results list %s (round %d)", job.job_id, cid,
                     seat.round)  # fmt: skip

    def _draw_verifier(self, job: JobRow) -> None:
        seat = self.market.seat(job.job_id, self.me)
        if seat.state_name != "Submitted" or seat.verifier_id != 0:
            return
        if self.w3.eth.block_number < seat.anchor_block:
            return
        self._try(f"drawVerifier:{job.job_id}:{seat.round}", "drawVerifier", job.job_id, self.me)

    def _appeal(self, job: JobRow) -> None:
        """A failed verdict on work this worker rendered as the manifest says: ask a panel."""
        if not self.settings.appeal_failures:
            return
        reason = canonical_json(
            {
                "job_id": job.job_id,
                "worker": self.me,
                "results_cid": job.results_cid,
                "appeal": "rendered as the manifest says; re-render any patch to check",
            }
        )
        reason_cid = self.ipfs.add_bytes(reason, name="appeal.json")
        bond = self.market.config().dispute_bond
        purpose = f"openDispute:{job.job_id}"
        if self._try(purpose, "openDispute", job.job_id, self.me, reason_cid, value=bond):
            self.state.update_job(job.job_id, stage="appealed")
            log.info("job %d: appealed the failed verdict (bond %d wei)", job.job_id, bond)

    def _follow_dispute(self, job: JobRow) -> None:
        dispute = self.market.dispute(job.job_id, self.me)
        if not dispute.drawn:
            if self.w3.eth.block_number >= dispute.anchor_block:
                self._try(f"drawPanel:{job.job_id}", "drawPanel", job.job_id, self.me)
            return
        self._try(f"resolveDispute:{job.job_id}", "resolveDispute", job.job_id, self.me)

    def _panel_check(self, duty: DutyRow) -> None:
        """A panel member's check: render-free on a challenge (does the pass contradict its
        evidence?), a re-render of the panel seed's patches on an appeal or a contest."""
        key = f"panel:{duty.id}:{duty.seed}"
        for busy in (self._busy, self._judged):
            if key in busy:
                if busy[key].done():
                    del busy[key]  # its outcome is stored; the row has moved on
                return
        challenged = self.market.seat(duty.job_id, duty.worker).state_name == "Challenged"

        def work() -> None:
            try:
                if challenged:
                    verdict = self.verifier.panel_recheck(duty.job_id, duty.worker)
                else:
                    seed = bytes.fromhex(duty.seed.removeprefix("0x"))
                    verdict = self.verifier.panel_check(duty.job_id, duty.worker, seed)
            except Exception as exc:
                log.error("duty %d: the panel check failed to run: %s", duty.id, exc)
                self._panel_done(duty, stage="error", reason=str(exc))
                return
            self._panel_done(
                duty, stage="checked", passed=verdict.passed,
                evidence_cid=verdict.evidence_cid, reason=verdict.reason,
            )  # fmt: skip
            log.info("panel on job %d worker %s: %s (%s)", duty.job_id, duty.worker,
                     "honest" if verdict.passed else "FRAUD", verdict.reason)  # fmt: skip

        self._background(key, work, challenged)

    def _panel_done(self, duty: DutyRow, **fields: object) -> None:
        """Store a panel check's outcome; the chain loop seals the vote, this thread only checks."""
        with self.state.session() as s:
            row = s.get(DutyRow, duty.id)
            # A reorganisation may have replaced the duty meanwhile (another draw, another seed,
            # possibly under the same id): an outcome for another seed is not its outcome.
            if row is None or row.seed != duty.seed or row.stage != "drawn":
                return
            for name, value in fields.items():
                setattr(row, name, value)

    def _withdraw_if_due(self) -> None:
        threshold = self.settings.auto_withdraw_wei
        if threshold is None:
            return
        if not self._balance_may_have_changed:
            return
        balance = self.market.balance_of(self.me)
        if balance > 0 and balance >= threshold:
            block = self.w3.eth.block_number
            if not self._try(f"withdraw:{block}:{balance}", "withdraw"):
                return  # tried again at the next pass
            self.metrics.withdrawn.inc(balance)
        self._balance_may_have_changed = False

    # ---- helpers ----------------------------------------------------------------------------

    def _try(self, purpose: str, function: str, *args: Any, value: int = 0) -> bool:
        """Send once for `purpose`; a revert is logged with the contract's reason, not raised."""
        try:
            self.sender.send(purpose, function, *args, value=value)
            return True
        except ContractReverted as exc:
            # "Not yet" answers are expected while a window opens; anything else is news.
            level = logging.DEBUG if exc.error in NOT_YET else logging.INFO
            log.log(level, "%s not sent: %s", purpose, exc)
        except TxFailed as exc:
            log.warning("%s", exc)
        return False
