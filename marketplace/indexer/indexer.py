"""The chain indexer: the market's events into the database, block by block.

`Indexer.step` reads one batch of confirmed logs with
`tilefarm.adapters.chain.follower.LogFollower`, decodes them, and in ONE transaction stores each
event row, applies it to the projections and saves the cursor. A crash between two steps therefore
loses nothing and doubles nothing: the next step starts from the cursor saved with the last rows. On
a reorganisation (`batch.reorged_from`) the rows of the abandoned blocks are deleted and every
projection is rebuilt from the remaining event rows before the new blocks are applied, in that same
transaction; the frames assembled for jobs with abandoned events are dropped, to be assembled again
from what the chain now says.

`IndexerRunner` runs steps in a background thread, woken by new heads over WebSocket when a URL
is given, else (and as a fallback) every `poll_interval` seconds. Servers sharing one database run
it on one of them only (`marketplace.indexer.writer`), and give it a `Fence`: each batch's
transaction locks the cursor row and checks that this server still holds the writer lock, so a
server that lost the lock while a batch was in flight cannot commit it.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from marketplace.db.chain_models import (
    AccountView,
    ChainEvent,
    DisputeView,
    IndexerCursor,
    JobView,
    LedgerEntry,
    SeatView,
)
from marketplace.db.frame_models import DERIVED_FROM_JOBS
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.indexer.projection import Position, Projector, loaded, stored
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import check_market
from tilefarm.adapters.chain.follower import (
    BlockRef,
    Cursor,
    HeadWatcher,
    LogFollower,
    ReorgTooDeep,
)
from tilefarm.adapters.chain.records import MarketConfig

log = logging.getLogger(__name__)

PROJECTIONS = (LedgerEntry, DisputeView, SeatView, JobView, AccountView)

# Whether this server still holds the database's writer lock, asked inside the transaction about
# to commit (`marketplace.indexer.writer.Fence.holds`).
Fence = Callable[[Session], bool]


class NotTheWriter(RuntimeError):
    """This server no longer holds the database's writer lock: its batch was not stored."""

    def __init__(self) -> None:
        super().__init__(
            "this server no longer holds the database's writer lock; the batch was dropped "
            "(the server holding it indexes)"
        )


@dataclass(frozen=True)
class StepReport:
    """What one step did."""

    events: int
    next_block: int
    head: int
    reorged_from: int | None

    @property
    def caught_up(self) -> bool:
        return self.events == 0


class Indexer:
    """Follows one JobMarket into one database."""

    def __init__(
        self,
        db: Database,
        client: JobMarketClient,
        start_block: int,
        *,
        confirmations: int = 0,
        max_range: int = 2000,
        hub: EventHub | None = None,
        chain_id: int | None = None,
    ) -> None:
        """`chain_id` is the deployments file's: a node serving another chain is refused."""
        self.db = db
        self.client = client
        self.start_block = start_block
        self.chain_id = chain_id
        self._chain_checked = False  # again after any failure: the node may have been replaced
        self.confirmations = confirmations
        self.hub = hub or EventHub()
        self.follower = LogFollower(
            client.w3, client.address, confirmations=confirmations, max_range=max_range
        )
        self.market = client.address
        self._config: MarketConfig | None = None
        self._claimed = False  # the first sync claims the database, in the writer only

    @property
    def config(self) -> MarketConfig:
        """The market's fixed parameters (read once: they are immutable)."""
        if self._config is None:
            self._config = self.client.config()
        return self._config

    def _claim_database(self, fence: Fence | None) -> None:
        """The chain tables follow one market: data of another (a redeployed devnet, a changed
        deployments file) is dropped, to be indexed afresh from this market's events. Run by the
        writer only (a reading server with another deployments file leaves them alone)."""
        with self.db.session() as session:
            self._check(session, fence)
            others = session.scalars(
                select(IndexerCursor.market).where(IndexerCursor.market != self.market)
            ).all()
            if others:
                log.warning(
                    "the database indexed market(s) %s; dropping their rows to follow %s",
                    ", ".join(others),
                    self.market,
                )
                self._wipe(session)

    @staticmethod
    def _check(session: Session, fence: Fence | None) -> None:
        if fence is not None and not fence(session):
            raise NotTheWriter()

    @staticmethod
    def _wipe(session: Session) -> None:
        for table in (*PROJECTIONS, ChainEvent, IndexerCursor, *DERIVED_FROM_JOBS):
            session.execute(delete(table))

    @property
    def known_config(self) -> MarketConfig | None:
        """The config if it was read already (never calls the chain)."""
        return self._config

    # -- cursor

    def cursor(self, session: Session) -> Cursor:
        row = session.get(IndexerCursor, self.market)
        if row is None:
            return Cursor(next_block=self.start_block)
        return Cursor(
            next_block=row.next_block, recent=[BlockRef.model_validate(r) for r in row.recent]
        )

    def _save(self, session: Session, cursor: Cursor, head: int) -> None:
        row = session.get(IndexerCursor, self.market)
        recent = [ref.model_dump() for ref in cursor.recent]
        if row is None:
            session.add(
                IndexerCursor(
                    market=self.market, next_block=cursor.next_block, recent=recent, head=head
                )
            )
        else:
            row.next_block = cursor.next_block
            row.recent = recent
            row.head = head

    # -- steps

    def step(self, fence: Fence | None = None) -> StepReport:
        """Index one batch; returns what it did. With `fence`, the batch is stored only while
        it says this server holds the writer lock (else `NotTheWriter`, nothing stored)."""
        config = self.config
        with self.db.session() as session:
            cursor = self.cursor(session)
        try:
            batch = self.follower.poll(cursor)
        except ReorgTooDeep as exc:
            # The chain changed below every block the cursor remembers: a restarted devnet at
            # the same address, or a reorganisation deeper than we keep. Everything here is
            # derived from the chain, so index it again from the deployment block.
            log.warning("%s; indexing again from block %d", exc, self.start_block)
            with self.db.session() as session:
                self._check(session, fence)
                self._wipe(session)
            self.hub.publish(reorged_from=self.start_block)
            return StepReport(0, self.start_block, 0, self.start_block)
        decoded = []
        timestamps: dict[str, int] = {}
        for raw in batch.logs:
            block_hash = "0x" + bytes(raw["blockHash"]).hex()
            if block_hash not in timestamps:
                # By hash, so the time is that of the very block the log came from.
                timestamps[block_hash] = int(
                    self.client.w3.eth.get_block(raw["blockHash"])["timestamp"]
                )
            decoded.append((self.client._decode(raw), block_hash))
        with self.db.session() as session:
            # The cursor row stays locked until this transaction ends (PostgreSQL): an indexer of
            # another server waits here, then sees the cursor this one saved.
            row = session.get(IndexerCursor, self.market, with_for_update=True)
            self._check(session, fence)
            if (row.next_block if row else self.start_block) != cursor.next_block:
                # Another indexer on this database applied blocks meanwhile: drop this batch
                # rather than apply it twice or move the cursor back.
                return StepReport(0, cursor.next_block, batch.head, None)
            if batch.reorged_from is not None:
                abandoned = ChainEvent.block_number >= batch.reorged_from
                dropped = session.scalar(
                    select(func.count()).select_from(ChainEvent).where(abandoned)
                )
                # What was derived from those jobs' events (their frames) may be wrong now.
                jobs = select(ChainEvent.job_id).where(abandoned, ChainEvent.job_id.is_not(None))
                for table in DERIVED_FROM_JOBS:
                    session.execute(delete(table).where(table.job_id.in_(jobs)))
                session.execute(delete(ChainEvent).where(abandoned))
                log.warning(
                    "chain reorganised from block %d; %d market events dropped",
                    batch.reorged_from,
                    dropped,
                )
                if dropped:  # the views only change when events of ours were abandoned
                    self._rebuild(session, config)
            projector = Projector(session, config)
            for event, block_hash in decoded:
                at = Position(
                    event.block_number,
                    event.log_index,
                    event.transaction_hash,
                    timestamps[block_hash],
                )
                session.add(stored(event, at, block_hash))
                projector.apply(event, at)
            self._save(session, batch.cursor, batch.head)
        if decoded or batch.reorged_from is not None:
            self.hub.publish(batch.reorged_from)
        return StepReport(len(decoded), batch.cursor.next_block, batch.head, batch.reorged_from)

    def sync(
        self,
        max_steps: int = 10_000,
        *,
        stop: threading.Event | None = None,
        fence: Fence | None = None,
    ) -> int:
        """Step until the confirmed head is indexed, or `stop` is set; returns how many events
        were applied. The first sync claims the database for this market. Raises `WrongChain`
        for a node of another chain, or without the market's contract; `NotTheWriter` when
        `fence` says this server no longer holds the writer lock."""
        if not self._chain_checked:
            w3 = self.client.w3
            node = str(getattr(w3.provider, "endpoint_uri", None) or "the chain node")
            check_market(w3, self.market, node, self.chain_id)
            self._chain_checked = True
        if not self._claimed:
            self._claim_database(fence)
            self._claimed = True
        total = 0
        try:
            for _ in range(max_steps):
                if stop is not None and stop.is_set():
                    break
                report = self.step(fence)
                total += report.events
                if report.next_block > report.head - self.confirmations:
                    break
        except Exception:
            self._chain_checked = False
            raise
        return total

    def rebuild(self) -> None:
        """Recompute every projection from the stored events (one transaction)."""
        with self.db.session() as session:
            self._rebuild(session, self.config)

    def _rebuild(self, session: Session, config: MarketConfig) -> None:
        for table in PROJECTIONS:
            session.execute(delete(table))
        session.flush()
        projector = Projector(session, config)
        rows = session.scalars(
            select(ChainEvent).order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        for row in rows:
            event, at = loaded(row)
            projector.apply(event, at)

    def status(self) -> dict[str, Any]:
        """Where the indexer stands."""
        with self.db.session() as session:
            row = session.get(IndexerCursor, self.market)
            next_block = row.next_block if row else self.start_block
            head = row.head if row else 0
        return {"market": self.market, "next_block": next_block, "head": head}


class IndexerRunner:
    """Runs an indexer in a background thread until `stop`."""

    def __init__(
        self,
        indexer: Indexer,
        poll_interval: float = 1.0,
        ws_url: str | None = None,
        *,
        fence: Fence | None = None,
    ) -> None:
        """`fence`: the writer lock's check, for servers sharing one database."""
        self.indexer = indexer
        self.fence = fence
        self.poll_interval = poll_interval
        self.watcher = HeadWatcher(ws_url) if ws_url else None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chain-indexer", daemon=True)

    def start(self) -> "IndexerRunner":
        if self.watcher is not None:
            self.watcher.start()
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.watcher is not None:
            self.watcher.stop()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether its thread still runs (a step may be in flight after `stop`)."""
        return self._thread.is_alive()

    def _wait(self, seconds: float) -> None:
        if self.watcher is not None and self.watcher.connected:
            # A new head wakes us at once; the timeout still polls in case a message is lost.
            self.watcher.wait(seconds)
        else:
            self._stop.wait(seconds)

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            try:
                self.indexer.sync(stop=self._stop, fence=self.fence)
                self.error = None
                backoff = self.poll_interval
            except Exception as exc:  # keep serving what is indexed; retry later
                self.error = f"{type(exc).__name__}: {exc}"
                log.warning("indexer step failed (%s); retrying in %.1f s", self.error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self._wait(self.poll_interval)


def wait_until_indexed(indexer: Indexer, block: int, timeout: float = 10.0) -> None:
    """Block until `indexer` has applied every block up to `block` (for tests and benches)."""
    deadline = time.monotonic() + timeout
    while indexer.status()["next_block"] <= block:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the indexer did not reach block {block} in {timeout} s")
        time.sleep(0.02)
