"""The worker's state file changes schema through Alembic migrations only: a worker upgraded in
place keeps its ledger of sent transactions and its jobs, and the newest revision builds exactly
the tables the models describe. Pure: SQLite files, no chain."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from render_worker.state.models import Base
from render_worker.state.store import MIGRATIONS, WorkerState
from tilefarm.adapters.database import SchemaError, head, revision

RAW = "0x02f8" + "ab" * 100
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def test_the_newest_migration_builds_exactly_the_models_tables(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    with state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert revision(state.engine) == head(MIGRATIONS)


def test_a_worker_upgraded_in_place_keeps_its_ledger_and_jobs(tmp_path: Path) -> None:
    """A state file as the worker wrote it before it had migrations (`create_all`), holding a
    signed transaction not yet mined: the upgraded worker finds it, to broadcast it again rather
    than sign another with a new nonce."""
    path = tmp_path / "worker.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            Base.metadata.tables["jobs"].insert().values(
                job_id=7, manifest_cid="bafy-m", artist="0x" + "11" * 20, tile_count=4,
                max_price_per_tile=10**15, bid_end=100, reveal_end=160, render_window=600,
                stage="committed", reason="", assigned_tiles=0, price_per_tile=0,
                render_deadline=0, earned=0, settled=False, updated_at=WHEN,
            )
        )  # fmt: skip
        conn.execute(
            Base.metadata.tables["txs"].insert().values(
                purpose="commitBid:7", nonce=12, tx_hash="0x" + "cd" * 32, raw=RAW,
                status="sent", created_at=WHEN,
            )
        )  # fmt: skip
    engine.dispose()

    state = WorkerState(path)
    assert revision(state.engine) == head(MIGRATIONS)
    (tx,) = state.txs()
    assert (tx.purpose, tx.nonce, tx.raw, tx.status) == ("commitBid:7", 12, RAW, "sent")
    job = state.job(7)
    assert job is not None and (job.stage, job.max_price_per_tile) == ("committed", 10**15)


def test_a_missing_column_that_cannot_be_added_to_the_rows_is_named(tmp_path: Path) -> None:
    path = tmp_path / "worker.db"
    with sqlite3.connect(path) as db:  # a txs table without its (not null) nonce
        db.execute("CREATE TABLE txs (purpose VARCHAR(96) PRIMARY KEY, raw TEXT NOT NULL)")
    with pytest.raises(SchemaError, match="table txs lacks the column nonce"):
        WorkerState(path)
