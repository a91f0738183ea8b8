"""The server's database schema comes from its Alembic migrations, on SQLite and PostgreSQL: the
newest revision builds exactly the tables the models describe, a database made before migrations
existed keeps its rows, servers opening one database together migrate it once, and a database a
newer version wrote is refused with a reason."""

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, make_url, select
from sqlalchemy.schema import CreateIndex, CreateTable

from marketplace.db.chain_models import ChainEvent, IndexerCursor, JobView
from marketplace.db.models import ManifestRecord, SceneRecord
from marketplace.db.schema import MIGRATIONS, metadata
from marketplace.db.session import Database
from tests.marketplace.conftest import BOTH_DATABASES
from tilefarm.adapters.database import SchemaError, head, revision
from tilefarm_cli.devnet.postgres import Cluster

MARKET = "0x5FbDB2315678afecb367f032d7b3aa0Ef3d5F2a6"


@pytest.mark.parametrize("database_url", BOTH_DATABASES, indirect=True)
def test_the_newest_migration_builds_exactly_the_models_tables(database_url: str) -> None:
    db = Database(database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.engine.dispose()
    assert diff == []
    assert revision(db.engine) == head(MIGRATIONS)


def _rows() -> list[object]:
    job = JobView(
        job_id=1, artist=MARKET, manifest_cid="bafy-manifest", status="Bidding", tile_count=4,
        frame_count=1, max_price_per_tile=2**200, verify_fee_per_tile=1, bid_bond=1,
        bid_window=60, reveal_window=60, render_window=600, verify_window=600, deposit=2**201,
        escrow=2**201, fees_due=0, open_seats=0, commits=0, reveals=0, bid_end=100,
        reveal_end=160, render_deadline=0, posted_block=5, posted_at=1_700_000_000,
        updated_block=5, root=0, round=0, latest=1, open_rounds=1, max_rounds=0, rounds_left=0,
        final_deadline=0, reserve=0, next_max_price_per_tile=0, unsold=[], offered=[[0, 4]],
    )  # fmt: skip
    return [
        SceneRecord(cid="bafy-scene", filename="a.blend", size=1234, info={"frames": [1]}),
        ManifestRecord(cid="bafy-manifest", scene_cid="bafy-scene", body="{}"),
        ChainEvent(
            block_number=5,
            log_index=0,
            tx_hash="0x" + "11" * 32,
            block_hash="0x" + "22" * 32,
            timestamp=1_700_000_000,
            name="JobPosted",
            job_id=1,
            actor=MARKET,
            args={"deposit": 2**201},  # over 64 bits, in JSON
        ),
        job,
        IndexerCursor(market=MARKET, next_block=6, recent=[{"number": 5, "hash": "0x22"}], head=6),
    ]


def _old_layout(engine: Engine) -> None:
    """The tables as a server wrote them before it had migrations: this version's, but with the
    CIDs in VARCHAR(128), as they were then (same names, other types)."""
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            ddl = str(CreateTable(table).compile(dialect=conn.dialect))
            conn.exec_driver_sql(re.sub(r"(\w*cid) TEXT", r"\1 VARCHAR(128)", ddl))
            for index in table.indexes:
                conn.execute(CreateIndex(index))


@pytest.mark.parametrize("database_url", BOTH_DATABASES, indirect=True)
def test_a_database_made_before_migrations_keeps_its_scenes_and_indexes_the_chain_again(
    database_url: str,
) -> None:
    """A server database made before migrations existed: its scenes and manifests stay; the
    tables made from the chain, of an older layout, are made again in this version's."""
    engine = create_engine(database_url)
    _old_layout(engine)
    with engine.begin() as conn:
        before = datetime(2026, 1, 2, tzinfo=UTC)
        for row in _rows():
            table = row.__table__  # type: ignore[attr-defined]
            values = {c.key: getattr(row, c.key) for c in table.columns}
            values.update({k: before for k in ("created_at",) if k in values})
            conn.execute(table.insert().values(values))
    engine.dispose()

    db = Database(database_url)
    assert revision(db.engine) == head(MIGRATIONS)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    with db.session() as s:
        assert s.get(SceneRecord, "bafy-scene").info == {"frames": [1]}  # type: ignore[union-attr]
        assert s.get(ManifestRecord, "bafy-manifest").created_at == before  # type: ignore[union-attr]
        for table in (JobView, ChainEvent, IndexerCursor):
            assert s.scalar(select(func.count()).select_from(table)) == 0  # to index again
    with db.session() as s:  # a CID longer than the old columns took
        job = _rows()[3]
        assert isinstance(job, JobView)
        job.manifest_cid = "bafy" + "k" * 300
        s.add(job)
    db.engine.dispose()


def test_servers_opening_a_new_database_together_migrate_it_once(postgres: Cluster) -> None:
    url = postgres.create_database()
    opened: list[Database] = []
    failed: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(Database(url))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failed == [] and len(opened) == 3
    with opened[0].session() as s:
        s.add_all(_rows())
    with opened[1].session() as s:
        assert s.get(JobView, 1) is not None
    for db in opened:
        db.engine.dispose()
    postgres.drop_database(url)


def test_a_database_written_by_a_newer_version_is_refused_with_a_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'market.db'}"
    db = Database(url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 's9999'")
    db.engine.dispose()
    with pytest.raises(SchemaError, match="revision s9999, which this version of tilefarm"):
        Database(url)


def test_the_first_revision_is_not_undone_and_keeps_the_scenes(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'market.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # One transaction for the whole downgrade, as the server runs its upgrades (pysqlite sends
    # no BEGIN before DDL): the later revisions it undoes first come back with the refusal.
    with db.engine.connect() as pooled:
        conn = pooled.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN")
        config.attributes["connection"] = conn
        with pytest.raises(NotImplementedError, match=r"cannot be undone: .* scenes"):
            command.downgrade(config, "base")
        conn.exec_driver_sql("ROLLBACK")
    assert revision(db.engine) == head(MIGRATIONS)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SceneRecord)) == 0  # the table is there
    db.engine.dispose()


def test_times_come_back_in_utc_from_a_database_in_another_time_zone(postgres: Cluster) -> None:
    url = postgres.create_database()
    db = Database(url)
    with db.engine.begin() as conn:  # the server's default for new sessions: Berlin time
        conn.exec_driver_sql(
            f"ALTER DATABASE \"{make_url(url).database}\" SET timezone = 'Europe/Berlin'"
        )
    db.engine.dispose()
    db = Database(url)
    sent = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.session() as s:
        s.add(ManifestRecord(cid="bafy-m", scene_cid="bafy-s", body="{}", created_at=sent))
    with db.session() as s:
        record = s.get(ManifestRecord, "bafy-m")
        assert record is not None and record.created_at == sent
        assert record.created_at.tzinfo == UTC and str(record.created_at).endswith("+00:00")
    db.engine.dispose()
    postgres.drop_database(url)


def test_a_session_on_postgresql_reads_one_snapshot_while_the_indexer_writes(
    postgres: Cluster,
) -> None:
    """One answer is read from one state of the database, as on SQLite in WAL mode: rows the
    indexer commits meanwhile show in the next session, not halfway through this one."""
    url = postgres.create_database()
    reader, indexer = Database(url), Database(url)
    rows = _rows()
    with reader.session() as s:
        before = s.scalar(select(func.count()).select_from(ChainEvent))
        with indexer.session() as w:
            w.add(rows[2])  # the event, committed by another session
        assert s.scalar(select(func.count()).select_from(ChainEvent)) == before == 0
    with reader.session() as s:
        assert s.scalar(select(func.count()).select_from(ChainEvent)) == 1
    reader.engine.dispose()
    indexer.engine.dispose()
    postgres.drop_database(url)
