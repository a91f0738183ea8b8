"""Several servers, one database: which of them writes.

The indexer and the assembler write the chain's projections, frames, previews and films. Servers
sharing one PostgreSQL database answer the same API from it, but only one of them runs those
writers: the one holding the database's advisory lock `WRITER_LOCK`, taken with
`pg_try_advisory_lock` on a connection of its own, kept open while it writes. When that server
stops or dies, its session ends, PostgreSQL releases the lock, and another server, trying every
`poll_interval`, takes it and starts its writers where the cursor stands. A server whose lock
session ends under it (a PostgreSQL restart, `pg_terminate_backend`) stops its writers, makes
fresh ones, and tries the lock again like the others. Each batch of the indexer checks, in the
transaction that stores it, that the lock session it started under still holds the lock (`Fence`):
writers a server stopped too late cannot store anything once the lock changed hands.

The others serve reads: they watch the indexer's cursor and wake their live streams (`EventHub`)
when it moves, announcing a reorganisation when a block they saw was replaced, as the indexer
does in its own server. A SQLite file is one server's: it writes from the start, with no lock.
"""

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from marketplace.db.chain_models import IndexerCursor
from marketplace.db.session import Database
from marketplace.indexer.indexer import Fence as FenceCheck
from marketplace.indexer.indexer import Indexer

log = logging.getLogger(__name__)

WRITER_LOCK = 0x74696C66  # "tilf": one writer per database


class Runner(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


# Builds the writers of one turn of holding the lock (threads start once: each turn has new ones),
# given the turn's lock check (None on SQLite).
RunnerFactory = Callable[[FenceCheck | None], list[Runner]]


class Fence:
    """One turn of holding the writer lock: its check passes while the database session that took
    the lock still holds it. A later turn has a fence of its own: an old turn's writers fail it."""

    def __init__(self, backend: int) -> None:
        self.backend = backend  # the lock session's process id

    def holds(self, session: Session) -> bool:
        """Whether the lock session of this turn holds the lock, asked in `session`."""
        held = session.execute(
            text(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
                "AND objid = :k AND objsubid = 1 AND pid = :pid AND granted"
            ),
            {"k": WRITER_LOCK, "pid": self.backend},
        ).first()
        return held is not None


class WriterLock:
    """The database's writer lock, held on one dedicated connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self.backend: int | None = None  # the lock session's process id

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        """Take the lock if no other session holds it; True when this one holds it."""
        if self._conn is not None:
            return True
        conn = self.db.engine.connect()
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": WRITER_LOCK}).scalar()
            )
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            conn.commit()  # the lock belongs to the session, not to a transaction
        except Exception:
            conn.close()
            raise
        if got:
            self._conn, self.backend = conn, backend
        else:
            conn.close()
        return got

    def alive(self) -> bool:
        """Whether the session holding the lock still exists (it ends with its connection)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception as exc:
            log.error("the database connection holding the writer lock ended (%s)", exc)
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": WRITER_LOCK})
            self._conn.commit()
        except Exception:  # the session is gone, and the lock with it
            pass
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()  # never back into the pool: the session may be dead
                self._conn.close()
            except Exception:
                pass
            self._conn = self.backend = None


class Writer:
    """Starts the runners `make_runners` builds (the indexer's, the assembler's) in the server
    that holds the writer lock and stops them at `stop`; meanwhile, in the others, keeps their
    reads current."""

    def __init__(
        self,
        db: Database,
        indexer: Indexer,
        make_runners: RunnerFactory,
        poll_interval: float = 1.0,
    ) -> None:
        self.db, self.indexer, self.make_runners = db, indexer, make_runners
        self.poll_interval = poll_interval
        self.lock = WriterLock(db) if db.shared else None
        self.writing = False
        self.losses = 0  # how often the lock session ended under this server
        self.runners: list[Runner] = []
        self._cursor: tuple[int, dict[int, str]] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="database-writer", daemon=True)

    def start(self) -> "Writer":
        if self.lock is None:
            self.runners = self.make_runners(None)
            self._start_runners()
        else:
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._stop_runners()
        if self.lock is not None:
            self.lock.release()

    def _start_runners(self) -> None:
        for runner in self.runners:
            runner.start()
        self.writing = True

    def _stop_runners(self) -> None:
        if self.writing:
            for runner in reversed(self.runners):  # the assembler first, as it reads the index
                runner.stop()
            self.writing = False

    def _run(self) -> None:
        assert self.lock is not None
        while not self._stop.is_set():
            try:
                self._turn(self.lock)
            except Exception as exc:  # the database is away: try again later
                log.warning("the writer lock could not be checked (%s); trying again", exc)
            self._stop.wait(self.poll_interval)

    def _turn(self, lock: WriterLock) -> None:
        if self.writing:
            if not lock.alive():
                self._stop_runners()
                self.losses += 1
                log.error(
                    "this server lost the database's writer lock: another server may index "
                    "now; this one serves reads and tries the lock again"
                )
            return
        # A writer stopped after a loss that is still finishing a step: a later turn tries the
        # lock (its batch could not be stored anyway: its fence is the old session's).
        finishing = any(getattr(r, "running", False) for r in self.runners)
        if not finishing and lock.acquire():
            log.info("this server holds the database's writer lock: it indexes and assembles")
            assert lock.backend is not None
            self.runners = self.make_runners(Fence(lock.backend).holds)
            self._start_runners()
            return
        self._follow()

    def _follow(self) -> None:
        """Read what the writing server does: the market's config once, and the cursor, waking
        this server's live streams when it moved."""
        if self.indexer.known_config is None:
            try:
                self.indexer.config  # noqa: B018  (read once and kept: the API shows it)
            except Exception as exc:  # the chain is away: the writer's runner says so
                log.debug("market config not read yet (%s)", exc)
        with self.db.session() as session:
            row = session.get(IndexerCursor, self.indexer.market)
            seen = (
                (row.next_block, {int(r["number"]): str(r["hash"]) for r in row.recent})
                if row is not None
                else (self.indexer.start_block, {})
            )
        before, self._cursor = self._cursor, seen
        if before is None or before == seen:
            return
        replaced = [n for n, h in before[1].items() if seen[1].get(n, h) != h]
        if seen[0] < before[0] and not replaced:
            replaced = [self.indexer.start_block]  # indexed again from the start
        self.indexer.hub.publish(min(replaced) if replaced else None)
