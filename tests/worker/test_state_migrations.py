"""The worker's state file changes schema through Alembic migrations only: a worker upgraded in
place keeps its ledger of sent transactions and its jobs, and the newest revision builds exactly
the tables the models describe. Pure: SQLite files, no chain."""

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine

from render_worker.state.models import Base
from render_worker.state.store import MIGRATIONS, WorkerState
from tilefarm.adapters.database import SchemaError, head, open_engine, revision

RAW = "0x02f8" + "ab" * 100
# The tiles table before tiles recorded what rendered them (no rendered_on).
OLD_TILES = """CREATE TABLE tiles (
    job_id BIGINT NOT NULL REFERENCES jobs (job_id),
    job_tile INTEGER NOT NULL,
    exr_path TEXT NOT NULL,
    pixel_hash VARCHAR(64) NOT NULL,
    cid VARCHAR(128),
    seconds FLOAT NOT NULL,
    PRIMARY KEY (job_id, job_tile)
)"""
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def test_the_newest_migration_builds_exactly_the_models_tables(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    with state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert revision(state.engine) == head(MIGRATIONS)


def test_a_worker_upgraded_in_place_keeps_its_ledger_and_jobs(tmp_path: Path) -> None:
    """A state file as the worker wrote it before it had migrations, holding a signed
    transaction not yet mined and a tile from before tiles recorded what rendered them: the
    upgraded worker finds the transaction, to broadcast it again rather than sign another with a
    new nonce, and keeps the tile."""
    path = tmp_path / "worker.db"
    engine = create_engine(f"sqlite:///{path}")
    tables = Base.metadata.tables
    Base.metadata.create_all(engine, tables=[t for t in tables.values() if t.name != "tiles"])
    with engine.begin() as conn:
        conn.exec_driver_sql(OLD_TILES)
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
        conn.exec_driver_sql(
            "INSERT INTO tiles VALUES (7, 0, '/work/7/0.exr', '" + "ab" * 32 + "', NULL, 12.5)"
        )
    engine.dispose()

    state = WorkerState(path)
    assert revision(state.engine) == head(MIGRATIONS)
    with state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    tile = state.tiles(7)[0]
    assert (tile.exr_path, tile.seconds, tile.rendered_on) == ("/work/7/0.exr", 12.5, None)
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


# A later revision that alters the worker's jobs table, which tiles point to: on SQLite, a batch
# alter copies the table and drops the old one.
REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "w9000"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("reason", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    {then}


def downgrade() -> None:
    raise NotImplementedError
"""


def _with_revision(tmp_path: Path, then: str = "pass") -> Path:
    """The worker's migrations with one more revision (w9000) after the newest."""
    folder = tmp_path / f"migrations-{abs(hash(then))}"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    body = REVISION.format(down=head(MIGRATIONS), then=then)
    (folder / "versions" / "9000_alter_jobs.py").write_text(body)
    return folder


def _worker_with_a_job_and_tile(path: Path) -> None:
    state = WorkerState(path)
    with state.engine.begin() as conn:
        conn.execute(
            Base.metadata.tables["jobs"].insert().values(
                job_id=7, manifest_cid="bafy-m", artist="0x" + "11" * 20, tile_count=4,
                max_price_per_tile=10**15, bid_end=100, reveal_end=160, render_window=600,
                stage="rendering", reason="", assigned_tiles=1, price_per_tile=0,
                render_deadline=0, earned=0, settled=False, updated_at=WHEN,
            )
        )  # fmt: skip
        conn.execute(
            Base.metadata.tables["tiles"]
            .insert()
            .values(job_id=7, job_tile=0, exr_path="/tmp/t.exr", pixel_hash="ab" * 32, seconds=1.5)
        )
    state.engine.dispose()


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    return sorted(r[0] for r in rows)


def test_a_revision_that_alters_a_table_other_rows_point_to_keeps_the_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "worker.db"
    _worker_with_a_job_and_tile(path)
    engine = open_engine(f"sqlite:///{path}", _with_revision(tmp_path))
    assert revision(engine) == "w9000"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT job_id, stage, note FROM jobs").all() == [
            (7, "rendering", None)
        ]
        assert conn.exec_driver_sql("SELECT job_id, job_tile FROM tiles").all() == [(7, 0)]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
    assert "_alembic_tmp_jobs" not in _tables(engine)
    engine.dispose()


def test_a_revision_that_fails_halfway_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "worker.db"
    _worker_with_a_job_and_tile(path)
    before = WorkerState(path)
    tables = _tables(before.engine)
    before.engine.dispose()
    failing = _with_revision(tmp_path, then='raise RuntimeError("the revision failed")')
    with pytest.raises(RuntimeError, match="the revision failed"):
        open_engine(f"sqlite:///{path}", failing)
    state = WorkerState(path)  # the next start opens it as before
    assert revision(state.engine) == head(MIGRATIONS)
    assert _tables(state.engine) == tables
    job = state.job(7)
    assert job is not None and job.stage == "rendering" and set(state.tiles(7)) == {0}
    with state.engine.connect() as conn:
        columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(jobs)").all()]
    assert "note" not in columns


def test_the_first_revision_is_not_undone_and_keeps_the_ledger(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with state.engine.begin() as conn:
        config.attributes["connection"] = conn
        with pytest.raises(NotImplementedError, match=r"cannot be undone: .* ledger"):
            command.downgrade(config, "base")
    assert revision(state.engine) == head(MIGRATIONS)
    assert "txs" in _tables(state.engine)
