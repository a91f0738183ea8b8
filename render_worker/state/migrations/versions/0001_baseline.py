"""The worker's state file as it was when migrations began, or adopted as found.

A file made before then (no `alembic_version` table) keeps every row, its ledger of sent
transactions first: a table it lacks is created, a nullable column added.

Revision ID: w0001
Revises:
Create Date: 2026-12-06
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tilefarm.adapters.database import adopt_tables

revision: str = "w0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("render_worker.state.migrations")

# The tables as this revision made them: a copy, not the models, which later revisions change.
baseline = sa.MetaData()
sa.Table(
    "challenges",
    baseline,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("worker", sa.String(length=42), nullable=False),
    sa.Column("verifier", sa.String(length=42), nullable=False),
    sa.Column("evidence_cid", sa.String(length=128), nullable=False),
    sa.Column("round", sa.Integer(), nullable=True),
    sa.Column("stage", sa.String(length=16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("reason_cid", sa.String(length=128), nullable=True),
    sa.UniqueConstraint("job_id", "worker", "evidence_cid"),
)
sa.Table(
    "duties",
    baseline,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("worker", sa.String(length=42), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("seed", sa.String(length=66), nullable=False),
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("stage", sa.String(length=16), nullable=False),
    sa.Column("passed", sa.Boolean(), nullable=True),
    sa.Column("evidence_cid", sa.String(length=128), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.UniqueConstraint("job_id", "worker", "round"),
)
sa.Table(
    "jobs",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("manifest_cid", sa.String(length=128), nullable=False),
    sa.Column("artist", sa.String(length=42), nullable=False),
    sa.Column("tile_count", sa.Integer(), nullable=False),
    sa.Column("max_price_per_tile", sa.BigInteger(), nullable=False),
    sa.Column("bid_end", sa.BigInteger(), nullable=False),
    sa.Column("reveal_end", sa.BigInteger(), nullable=False),
    sa.Column("render_window", sa.BigInteger(), nullable=False),
    sa.Column("stage", sa.String(length=16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("first_tile", sa.Integer(), nullable=True),
    sa.Column("assigned_tiles", sa.Integer(), nullable=False),
    sa.Column("price_per_tile", sa.BigInteger(), nullable=False),
    sa.Column("render_deadline", sa.BigInteger(), nullable=False),
    sa.Column("results_cid", sa.String(length=128), nullable=True),
    sa.Column("merkle_root", sa.String(length=66), nullable=True),
    sa.Column("earned", sa.BigInteger(), nullable=False),
    sa.Column("settled", sa.Boolean(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "journal",
    baseline,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("block", sa.BigInteger(), nullable=False),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("rows", sa.JSON(), nullable=False),
    sa.UniqueConstraint("job_id", "block"),
    sa.Index("ix_journal_block", "block"),
)
sa.Table(
    "meta",
    baseline,
    sa.Column("key", sa.String(length=64), primary_key=True),
    sa.Column("value", sa.JSON(), nullable=False),
)
sa.Table(
    "rounds",
    baseline,
    sa.Column("round_id", sa.BigInteger(), primary_key=True),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("ranges", sa.JSON(), nullable=False),
    sa.Index("ix_rounds_job_id", "job_id"),
)
sa.Table(
    "txs",
    baseline,
    sa.Column("purpose", sa.String(length=96), primary_key=True),
    sa.Column("nonce", sa.BigInteger(), nullable=False),
    sa.Column("tx_hash", sa.String(length=66), nullable=False),
    sa.Column("raw", sa.Text(), nullable=False),
    sa.Column("status", sa.String(length=12), nullable=False),
    sa.Column("block_number", sa.BigInteger(), nullable=True),
    sa.Column("gas_used", sa.BigInteger(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "watches",
    baseline,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("worker", sa.String(length=42), nullable=False),
    sa.Column("action", sa.String(length=20), nullable=False),
    sa.Column("due", sa.BigInteger(), nullable=False),
    sa.Column("stage", sa.String(length=8), nullable=False),
    sa.UniqueConstraint("job_id", "worker", "action"),
)
sa.Table(
    "bids",
    baseline,
    sa.Column("job_id", sa.BigInteger(), sa.ForeignKey("jobs.job_id"), primary_key=True),
    sa.Column("price_per_tile", sa.BigInteger(), nullable=False),
    sa.Column("tile_count", sa.Integer(), nullable=False),
    sa.Column("salt", sa.String(length=66), nullable=False),
    sa.Column("commitment", sa.String(length=66), nullable=False),
)
sa.Table(
    "tiles",
    baseline,
    sa.Column("job_id", sa.BigInteger(), sa.ForeignKey("jobs.job_id"), primary_key=True),
    sa.Column("job_tile", sa.Integer(), primary_key=True),
    sa.Column("exr_path", sa.Text(), nullable=False),
    sa.Column("pixel_hash", sa.String(length=64), nullable=False),
    sa.Column("cid", sa.String(length=128), nullable=True),
    sa.Column("seconds", sa.Float(), nullable=False),
    sa.Column("rendered_on", sa.JSON(), nullable=True),
)


def upgrade() -> None:
    for done in adopt_tables(op.get_bind(), baseline, owner="the worker"):
        log.warning("an existing worker database: %s", done)


def downgrade() -> None:
    raise NotImplementedError(
        "the first revision cannot be undone: it would drop every table of "
        "the worker's state file, its ledger of signed transactions with it; "
        "move the file or database aside instead"
    )
