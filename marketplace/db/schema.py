"""Every table of the marketplace database, and the Alembic revisions that build them."""

from pathlib import Path

from marketplace.db import (
    chain_models,  # noqa: F401  (registers the indexer's tables)
    frame_models,  # noqa: F401  (registers the assembler's tables)
)
from marketplace.db.models import Base

metadata = Base.metadata
MIGRATIONS = Path(__file__).parent / "migrations"
