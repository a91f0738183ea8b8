"""Alembic's entry point for the marketplace database: `tilefarm serve` runs it on opening the
database; `alembic -n server ...` runs it from the repository (see docs/database.md)."""

from alembic import context

from marketplace.db.schema import metadata
from tilefarm.adapters.database import run_migrations

run_migrations(context, metadata)
