"""The marketplace's database: a SQLite file by default, PostgreSQL by URL."""

from marketplace.db.models import Base
from tilefarm.adapters.database import Transactions, open_engine


class Database(Transactions):
    """The marketplace's tables, one session per transaction."""

    def __init__(self, url: str) -> None:
        super().__init__(open_engine(url, Base.metadata))
