"""Alembic revisions of the marketplace database (see docs/database.md)."""
