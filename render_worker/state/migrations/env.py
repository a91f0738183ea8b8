"""Alembic's entry point for the worker's state file: `render-worker` runs it on opening the
file; `alembic -n worker ...` runs it from the repository (see docs/database.md)."""

from alembic import context

from render_worker.state.models import Base
from tilefarm.adapters.database import run_migrations

run_migrations(context, Base.metadata)
