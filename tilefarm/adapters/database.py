"""One way to open a database for every program: SQLAlchemy, SQLite files in WAL mode (readers
never wait for a writer) or PostgreSQL (psycopg 3) by URL, foreign keys on, one session per
transaction, and the program's schema brought to its newest Alembic revision on opening.

Each program keeps its migration scripts in a package folder of its own (`env.py` calls
`run_migrations`); no alembic.ini is needed to open a database. A database made before the
program had migrations has no `alembic_version` table: its first revision adopts the tables it
finds (`adopt_tables`) instead of creating them, so the rows in them stay.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from tilefarm.errors import TilefarmError

# Two programs opening one PostgreSQL database at once migrate it one after the other.
MIGRATION_LOCK = 0x74696C65  # "tile"


class SchemaError(TilefarmError):
    """A database whose tables cannot be brought to the program's schema."""


def open_engine(
    url: str, migrations: Path, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
) -> Engine:
    """An engine for `url`, its schema upgraded with the scripts in `migrations`.
    `synchronous=FULL` makes every committed SQLite transaction survive a power loss (the
    worker's ledger of sent transactions)."""
    sqlite = url.startswith("sqlite")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Threads share the file (server requests, the indexer; the worker's loops); SQLite
    # serialises the writes, and a writer waits up to 30 s for another.
    args = {"check_same_thread": False, "timeout": 30} if sqlite else {}
    # On PostgreSQL each transaction reads one snapshot, as a SQLite transaction in WAL mode
    # does: an answer never mixes rows from before and after an indexer's batch. A write that
    # meets a row another transaction changed meanwhile fails (a serialization failure) and is
    # retried by its loop; the indexer's batches lock the cursor row first, so they never do.
    extra: dict[str, Any] = {} if sqlite else {"isolation_level": "REPEATABLE READ"}
    engine = create_engine(url, connect_args=args, pool_pre_ping=not sqlite, **extra)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    upgrade(engine, migrations)
    return engine


@cache
def _scripts(migrations: Path) -> ScriptDirectory:
    """The revisions in `migrations`, read once per process (every open checks the head)."""
    return ScriptDirectory.from_config(_config(migrations))


def _config(migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    return config


@cache
def _known(migrations: Path) -> frozenset[str]:
    return frozenset(r.revision for r in _scripts(migrations).walk_revisions())


def head(migrations: Path) -> str | None:
    """The newest revision of the scripts in `migrations`."""
    return _scripts(migrations).get_current_head()


def revision(engine: Engine) -> str | None:
    """The revision the database of `engine` is at (None: unversioned)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, migrations: Path) -> None:
    """Bring the database of `engine` to the newest revision in `migrations`, in one transaction
    (on SQLite as well: see `_upgrade_sqlite`); a database already there costs one query."""
    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine, migrations)
        return
    # READ COMMITTED: the statements after the lock see what a program that held it before
    # committed (a snapshot would be older than the lock).
    with engine.connect() as pooled:
        conn = pooled.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            _migrate(conn, migrations)


def _migrate(conn: Connection, migrations: Path) -> None:
    """Run the revisions the database of `conn` lacks, in the transaction `conn` is in."""
    newest = head(migrations)
    current = MigrationContext.configure(conn).get_current_revision()
    if current == newest:
        return
    if current is not None and current not in _known(migrations):
        raise SchemaError(
            f"the database {conn.engine.url.render_as_string(hide_password=True)} is at schema "
            f"revision {current}, which this version of tilefarm does not know: a newer "
            f"version wrote it (this one's newest is {newest}); run that version, or upgrade"
        )
    config = _config(migrations)
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _upgrade_sqlite(engine: Engine, migrations: Path) -> None:
    """SQLite alters a table by copying it (create a new table, copy the rows, drop the old one,
    rename the new): with foreign keys on, dropping a table other rows point to fails halfway, and
    pysqlite sends no BEGIN before DDL, so a failure would leave the file half migrated. Here the
    upgrade runs on a connection of its own, with pysqlite's transaction handling off, foreign keys
    off, in one `BEGIN IMMEDIATE` transaction (the file's write lock: two programs opening it
    migrate it one after the other), checked with `PRAGMA foreign_key_check` before it commits;
    any error rolls it all back."""
    if revision(engine) == head(migrations):
        return
    with engine.connect() as pooled:
        conn = pooled.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _migrate(conn, migrations)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    table, row, parent, _ = broken[0]
                    raise SchemaError(
                        f"migrating {engine.url.render_as_string(hide_password=True)} left "
                        f"{len(broken)} row(s) pointing nowhere (the first: row {row} of "
                        f"{table}, to {parent}); nothing was changed"
                    )
                conn.exec_driver_sql("COMMIT")
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def run_migrations(context: EnvironmentContext | ModuleType, metadata: MetaData) -> None:
    """The body of a program's migrations `env.py` (`context`: `alembic.context`, the running
    environment): on the connection `upgrade` hands over, or, from the `alembic` command, on
    `-x url=...` (else the config's `sqlalchemy.url`)."""
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "render_as_batch": True,  # SQLite alters a table by copying it
        "compare_type": True,
    }
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        context.configure(connection=given, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SchemaError(
            "no database to migrate: name one with `alembic -x url=sqlite:///path.db ...` "
            "(see docs/database.md)"
        )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def adopt_tables(
    conn: Connection, baseline: MetaData, *, derived: Collection[str] = (), owner: str
) -> list[str]:
    """The first revision of a database that may predate migrations: create each table of
    `baseline` that is missing; a table that exists keeps its rows and gains the nullable
    columns it lacks. The tables named in `derived` (rows made again from elsewhere, such as the
    chain) are dropped and created empty whenever they exist, to be made again: their columns
    may have older types (a CID in VARCHAR(128)) that the names alone do not show. Returns what
    was done, for the log. Raises `SchemaError` for a kept table that lacks a column which cannot
    be added to its rows."""
    found = inspect(conn)
    existing = {t for t in baseline.tables if found.has_table(t)}
    done = []
    stale = sorted(existing & set(derived))
    if stale:
        baseline.drop_all(conn, tables=[baseline.tables[name] for name in stale])
        existing -= set(derived)
        done.append(f"dropped {', '.join(stale)}, to be made again in this version's layout")
    for table in baseline.sorted_tables:
        if table.name not in existing:
            table.create(conn)
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable or column.primary_key:
                raise SchemaError(
                    f"{owner}'s table {table.name} lacks the column {column.name}, which cannot "
                    "be added to its rows: move the database aside and start afresh, or add the "
                    "column by hand"
                )
            kind = column.type.compile(conn.dialect)
            conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
            done.append(f"added {table.name}.{column.name}")
    return done


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
