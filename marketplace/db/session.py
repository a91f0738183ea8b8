"""The marketplace's database: a SQLite file by default, PostgreSQL by URL; opening it brings its
schema to the newest migration (`marketplace/db/migrations`)."""

from marketplace.db.schema import MIGRATIONS
from tilefarm.adapters.database import Transactions, open_engine


class Database(Transactions):
    """The marketplace's tables, one session per transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(open_engine(url, MIGRATIONS))

    @property
    def shared(self) -> bool:
        """Whether other servers may use this database too (PostgreSQL; a SQLite file is one
        server's)."""
        return self.engine.dialect.name != "sqlite"
