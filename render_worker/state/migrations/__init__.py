"""Alembic revisions of the worker's state file (see docs/database.md)."""
