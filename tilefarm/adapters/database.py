"""One way to open a database for every program: SQLAlchemy, SQLite files in WAL mode (readers
never wait for a writer), foreign keys on, and one session per transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def open_engine(
    url: str, metadata: MetaData, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
) -> Engine:
    """An engine for `url` with `metadata`'s tables created. `synchronous=FULL` makes every
    committed transaction survive a power loss (the worker's ledger of sent transactions)."""
    sqlite = url.startswith("sqlite")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Threads share the file (server requests, the indexer; the worker's loops); SQLite
    # serialises the writes, and a writer waits up to 30 s for another.
    args = {"check_same_thread": False, "timeout": 30} if sqlite else {}
    engine = create_engine(url, connect_args=args)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    metadata.create_all(engine)
    return engine


class Transactions:
    """Sessions of one engine, each one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
