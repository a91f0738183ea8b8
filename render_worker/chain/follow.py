"""Following the market: its confirmed events into the worker's database, and the worker's own
transactions checked against the chain the events came from.

`LogFollower` (`tilefarm/adapters/chain/follower.py`) hands over confirmed events, and reports a
reorganisation as the block it rewound to. Each batch updates the database together with the
cursor in one transaction: the rows a reorganisation removed are rolled back first
(`render_worker/chain/reorg.py`), then each event is journaled and applied
(`render_worker/chain/projection.py`). The blocks whose transactions of ours are to be checked
against the chain are stored with the cursor (`render_worker/chain/check.py`) and checked at once
(`TxSender.reconcile`): those the chain lost are sent again, except those about a job whose
posting was removed, or that answer a draw or a pass the new chain no longer holds (`void`).
"""

import logging
from collections.abc import Callable

from web3 import Web3
from web3.exceptions import Web3Exception

from render_worker.chain import reorg
from render_worker.chain.check import ChainCheck, merged
from render_worker.chain.projection import apply_event
from render_worker.chain.purposes import ACCOUNT, Purpose
from render_worker.chain.sender import RPC_ERRORS, TxSender
from render_worker.errors import WorkerError
from render_worker.metrics import WorkerMetrics
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.follower import Cursor, LogFollower

log = logging.getLogger("render_worker")

CHAIN_CHECK = "chain_check"  # meta key of the `ChainCheck` still due


class ChainFollow:
    """Reads the market's confirmed events into one worker's database."""

    def __init__(
        self,
        w3: Web3,
        market: JobMarketClient,
        me: str,
        state: WorkerState,
        sender: TxSender,
        metrics: WorkerMetrics,
        *,
        start_block: int,
        confirmations: int,
        rechecks: bool,
        stale: Callable[[Purpose], bool],
    ) -> None:
        """`rechecks`: the worker rechecks others' passes; `stale`: whether a removed transaction
        answers a draw or a pass the worker no longer holds (a verifier's seal or verdict, a
        challenge)."""
        self.market = market
        self.me = me
        self.state = state
        self.sender = sender
        self.metrics = metrics
        self.start_block = start_block
        self.confirmations = confirmations
        self.rechecks = rechecks
        self.stale = stale
        self.follower = LogFollower(w3, market.address, confirmations=confirmations)
        self.head_timestamp = 0  # of the newest block `follow` saw
        # The market's balance for us changes only with events: read it after new ones only.
        self.new_events = True

    def follow(self) -> None:
        """Read every confirmed event up to the head into the database."""
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
                self.new_events |= bool(batch.logs)
                for raw in batch.logs:
                    event = self.market.decode_log(raw)
                    for job_id in reorg.touched(s, event):
                        reorg.remember(s, job_id, event.block_number)
                    apply_event(s, event, self.me, self.metrics, rechecks=self.rechecks)
                self.state.put_meta(s, "cursor", batch.cursor.model_dump())
                if batch.cursor.recent:
                    reorg.forget_before(s, batch.cursor.recent[0].number)
                # Our transactions in the blocks just read (or in every block after a
                # reorganisation) must be on this chain.
                last = None if batch.reorged_from is not None else batch.cursor.next_block - 1
                check = ChainCheck(first=first, last=last, unposted=sorted(unposted))
                check = merged(ChainCheck(**due) if due else None, check)
                self.state.put_meta(s, CHAIN_CHECK, check.model_dump())
            self.check()
            self.metrics.block.set(batch.cursor.next_block - 1)
            self.head_timestamp = batch.head_timestamp
            cursor = batch.cursor
            if cursor.next_block > batch.head - self.confirmations:
                return

    def check(self) -> None:
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

    def _voids(self, unposted: set[int]) -> Callable[[Purpose], bool]:
        """Which transactions the chain lost are not to be sent again: those about a job whose
        posting was removed, as the follower's reorganisation (`unposted`) or, when the
        transaction is found missing before the follower has seen it, the chain itself says (it
        no longer holds the job as the worker knows it). The next job posted may have its
        number, and an old bid would land on it."""

        def void(purpose: Purpose) -> bool:
            job_id = purpose.job_id
            if purpose.action in ACCOUNT or job_id is None:
                return False
            if job_id in unposted:
                return True
            # A seal, an attestation or a challenge answers a draw or a pass of the removed
            # blocks that the new chain does not hold as the worker knew it.
            if self.stale(purpose):
                return True
            chain, known = self.market.job(job_id), self.state.job(job_id)
            if known is None:
                return chain.status_name == "None"
            held = (chain.artist.lower(), chain.tile_count, chain.max_price_per_tile)
            return held != (known.artist.lower(), known.tile_count, known.max_price_per_tile)

        return void
