"""The marketplace database as it was when migrations began, or adopted as found.

A database made before then (no `alembic_version` table) keeps its scenes and manifests. The other
tables are all derived from the chain and IPFS: they are dropped and made in this layout (their
columns may have older types, such as CIDs in VARCHAR(128)), and the indexer and the assembler
fill them again.

Revision ID: s0001
Revises:
Create Date: 2026-12-06
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tilefarm.adapters.database import adopt_tables

revision: str = "s0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("marketplace.db.migrations")

# The tables as this revision made them: a copy, not the models, which later revisions change.
baseline = sa.MetaData()
sa.Table(
    "accounts",
    baseline,
    sa.Column("address", sa.String(length=42), primary_key=True),
    sa.Column("stake", sa.String(length=80), nullable=False),
    sa.Column("unstaking", sa.String(length=80), nullable=False),
    sa.Column("balance", sa.String(length=80), nullable=False),
    sa.Column("unlock_at", sa.BigInteger(), nullable=False),
    sa.Column("tiles_accepted", sa.Integer(), nullable=False),
    sa.Column("tiles_rejected", sa.Integer(), nullable=False),
    sa.Column("timeouts", sa.Integer(), nullable=False),
    sa.Column("slashes", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=False),
    sa.Column("withdrawn", sa.String(length=80), nullable=False),
    sa.Column("earned", sa.String(length=80), nullable=False),
    sa.Column("backend", sa.Integer(), nullable=False),
    sa.Column("vram_mib", sa.BigInteger(), nullable=False),
)
sa.Table(
    "assembled_frames",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("frame", sa.Integer(), primary_key=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("png_cid", sa.String(length=128), nullable=True),
    sa.Column("exr_cid", sa.String(length=128), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("assembled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("missing_tiles", sa.JSON(), nullable=False),
)
sa.Table(
    "assembly_jobs",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("manifest_cid", sa.Text(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("done", sa.Boolean(), nullable=False),
)
sa.Table(
    "chain_events",
    baseline,
    sa.Column("block_number", sa.BigInteger(), primary_key=True),
    sa.Column("log_index", sa.Integer(), primary_key=True),
    sa.Column("tx_hash", sa.String(length=66), nullable=False),
    sa.Column("block_hash", sa.String(length=66), nullable=False),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("name", sa.String(length=40), nullable=False),
    sa.Column("job_id", sa.BigInteger(), nullable=True),
    sa.Column("actor", sa.String(length=42), nullable=True),
    sa.Column("args", sa.JSON(), nullable=False),
    sa.Index("ix_chain_events_actor", "actor"),
    sa.Index("ix_chain_events_job_id", "job_id"),
    sa.Index("ix_chain_events_name", "name"),
)
sa.Table(
    "disputes",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("worker", sa.String(length=42), primary_key=True),
    sa.Column("disputer", sa.String(length=42), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("appeal", sa.Boolean(), nullable=False),
    sa.Column("bond", sa.String(length=80), nullable=False),
    sa.Column("reason_cid", sa.Text(), nullable=False),
    sa.Column("anchor_block", sa.BigInteger(), nullable=False),
    sa.Column("deadline", sa.BigInteger(), nullable=False),
    sa.Column("members", sa.JSON(), nullable=False),
    sa.Column("votes", sa.JSON(), nullable=False),
    sa.Column("votes_fraud", sa.Integer(), nullable=False),
    sa.Column("votes_honest", sa.Integer(), nullable=False),
    sa.Column("voted_mask", sa.Integer(), nullable=False),
    sa.Column("drawn", sa.Boolean(), nullable=False),
    sa.Column("committed_mask", sa.Integer(), nullable=False),
    sa.Column("commitments", sa.JSON(), nullable=False),
    sa.Column("resolved", sa.Boolean(), nullable=False),
    sa.Column("fraud", sa.Boolean(), nullable=True),
    sa.Column("resolved_tx", sa.String(length=66), nullable=True),
    sa.Column("fee_each", sa.String(length=80), nullable=False),
    sa.Column("bonds_each", sa.String(length=80), nullable=False),
    sa.Column("remainder", sa.String(length=80), nullable=False),
    sa.Column("beneficiary", sa.String(length=42), nullable=True),
    sa.Column("forfeited", sa.String(length=80), nullable=False),
    sa.Column("to_treasury", sa.String(length=80), nullable=False),
)
sa.Table(
    "frame_previews",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("frame", sa.Integer(), primary_key=True),
    sa.Column("sources", sa.JSON(), nullable=False),
    sa.Column("tiles", sa.JSON(), nullable=False),
    sa.Column("verified", sa.JSON(), nullable=False),
    sa.Column("tiles_total", sa.Integer(), nullable=False),
    sa.Column("png", sa.LargeBinary(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "indexer_cursors",
    baseline,
    sa.Column("market", sa.String(length=42), primary_key=True),
    sa.Column("next_block", sa.BigInteger(), nullable=False),
    sa.Column("recent", sa.JSON(), nullable=False),
    sa.Column("head", sa.BigInteger(), nullable=False),
)
sa.Table(
    "job_films",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("fps", sa.Float(), nullable=False),
    sa.Column("frames", sa.Integer(), nullable=False),
    sa.Column("mp4_cid", sa.String(length=128), nullable=True),
    sa.Column("zip_cid", sa.String(length=128), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "jobs",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("artist", sa.String(length=42), nullable=False),
    sa.Column("manifest_cid", sa.Text(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("tile_count", sa.Integer(), nullable=False),
    sa.Column("frame_count", sa.Integer(), nullable=False),
    sa.Column("max_price_per_tile", sa.String(length=80), nullable=False),
    sa.Column("verify_fee_per_tile", sa.String(length=80), nullable=False),
    sa.Column("bid_bond", sa.String(length=80), nullable=False),
    sa.Column("bid_window", sa.BigInteger(), nullable=False),
    sa.Column("reveal_window", sa.BigInteger(), nullable=False),
    sa.Column("render_window", sa.BigInteger(), nullable=False),
    sa.Column("verify_window", sa.BigInteger(), nullable=False),
    sa.Column("deposit", sa.String(length=80), nullable=False),
    sa.Column("escrow", sa.String(length=80), nullable=False),
    sa.Column("fees_due", sa.String(length=80), nullable=False),
    sa.Column("open_seats", sa.Integer(), nullable=False),
    sa.Column("commits", sa.Integer(), nullable=False),
    sa.Column("reveals", sa.Integer(), nullable=False),
    sa.Column("bid_end", sa.BigInteger(), nullable=False),
    sa.Column("reveal_end", sa.BigInteger(), nullable=False),
    sa.Column("render_deadline", sa.BigInteger(), nullable=False),
    sa.Column("posted_block", sa.BigInteger(), nullable=False),
    sa.Column("posted_at", sa.BigInteger(), nullable=False),
    sa.Column("updated_block", sa.BigInteger(), nullable=False),
    sa.Column("root", sa.BigInteger(), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("latest", sa.BigInteger(), nullable=False),
    sa.Column("open_rounds", sa.Integer(), nullable=False),
    sa.Column("max_rounds", sa.Integer(), nullable=False),
    sa.Column("rounds_left", sa.Integer(), nullable=False),
    sa.Column("final_deadline", sa.BigInteger(), nullable=False),
    sa.Column("reserve", sa.String(length=80), nullable=False),
    sa.Column("next_max_price_per_tile", sa.String(length=80), nullable=False),
    sa.Column("unsold", sa.JSON(), nullable=False),
    sa.Column("offered", sa.JSON(), nullable=False),
    sa.Index("ix_jobs_artist", "artist"),
    sa.Index("ix_jobs_root", "root"),
    sa.Index("ix_jobs_status", "status"),
)
sa.Table(
    "ledger_entries",
    baseline,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("job_id", sa.BigInteger(), nullable=False),
    sa.Column("round_id", sa.BigInteger(), nullable=False),
    sa.Column("block_number", sa.BigInteger(), nullable=False),
    sa.Column("log_index", sa.Integer(), nullable=False),
    sa.Column("direction", sa.String(length=3), nullable=False),
    sa.Column("party", sa.String(length=42), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("reason", sa.String(length=32), nullable=False),
    sa.Column("amount", sa.String(length=80), nullable=False),
    sa.Index("ix_ledger_entries_party", "party"),
    sa.Index("ix_ledger_entries_round_id", "round_id"),
    sa.Index("ix_ledger_job_position", "job_id", "block_number", "log_index"),
)
sa.Table(
    "manifests",
    baseline,
    sa.Column("cid", sa.String(length=128), primary_key=True),
    sa.Column("scene_cid", sa.String(length=128), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_manifests_scene_cid", "scene_cid"),
)
sa.Table(
    "preview_refusals",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("worker", sa.String(length=42), primary_key=True),
    sa.Column("results_cid", sa.Text(), primary_key=True),
    sa.Column("merkle_root", sa.String(length=66), primary_key=True),
    sa.Column("manifest_cid", sa.Text(), primary_key=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "scenes",
    baseline,
    sa.Column("cid", sa.String(length=128), primary_key=True),
    sa.Column("filename", sa.String(length=255), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("info", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "seats",
    baseline,
    sa.Column("job_id", sa.BigInteger(), primary_key=True),
    sa.Column("worker", sa.String(length=42), primary_key=True),
    sa.Column("state", sa.String(length=16), nullable=False),
    sa.Column("commitment", sa.String(length=66), nullable=False),
    sa.Column("hash", sa.String(length=66), nullable=False),
    sa.Column("declared_tiles", sa.Integer(), nullable=False),
    sa.Column("collateral", sa.String(length=80), nullable=False),
    sa.Column("price_per_tile", sa.String(length=80), nullable=False),
    sa.Column("bid_tiles", sa.Integer(), nullable=False),
    sa.Column("first_tile", sa.Integer(), nullable=False),
    sa.Column("tile_count", sa.Integer(), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("anchor_block", sa.BigInteger(), nullable=False),
    sa.Column("verifier", sa.String(length=42), nullable=True),
    sa.Column("deadline", sa.BigInteger(), nullable=False),
    sa.Column("merkle_root", sa.String(length=66), nullable=True),
    sa.Column("evidence_seal", sa.String(length=66), nullable=True),
    sa.Column("results_cid", sa.Text(), nullable=True),
    sa.Column("seed", sa.String(length=66), nullable=True),
    sa.Column("attested_by", sa.String(length=42), nullable=True),
    sa.Column("passed", sa.Boolean(), nullable=True),
    sa.Column("evidence_cid", sa.Text(), nullable=True),
    sa.Column("committed_block", sa.BigInteger(), nullable=False),
    sa.Column("payment", sa.String(length=80), nullable=False),
    sa.Column("verifier_fee", sa.String(length=80), nullable=False),
    sa.Column("slashed", sa.String(length=80), nullable=False),
    sa.Column("abandon_cause", sa.Integer(), nullable=True),
)


KEPT = ("scenes", "manifests")  # what the server was sent: no other copy exists
DERIVED = [name for name in baseline.tables if name not in KEPT]


def upgrade() -> None:
    for done in adopt_tables(op.get_bind(), baseline, derived=DERIVED, owner="the server"):
        log.warning("an existing marketplace database: %s", done)


def downgrade() -> None:
    raise NotImplementedError(
        "the first revision cannot be undone: it would drop every table of "
        "the server's database, the scenes and manifests it was sent with it; "
        "move the file or database aside instead"
    )
