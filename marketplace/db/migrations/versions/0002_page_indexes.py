"""Indexes for the pages at scale: each page reads one range of an index, already in order,
rather than sorting every row that matches.

- `chain_events (name, block_number, log_index)` and `(actor, ...)`, replacing the one-column
  indexes on `name` and `actor`: the newest events of one name (the price estimate's recent
  winning bids) or of one account (a worker's history), and both in chain order (`/api/events`).
- `jobs (root, job_id)`, replacing the one on `root`: the posted jobs newest first (the job
  list), and a job's rounds.
- `seats (worker, job_id)`, `(verifier, job_id)` and `(attested_by, job_id)`: a worker's seats
  and the seats it verified (`/api/workers/{address}`); the primary key leads with the job.

Only indexes change: no row is touched, and both directions run on a filled database.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "s0002"
down_revision: str | Sequence[str] | None = "s0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the index this revision adds, its columns, the one-column index it replaces or None)
POSITION = ["block_number", "log_index"]
INDEXES: list[tuple[str, str, list[str], str | None]] = [
    ("chain_events", "ix_chain_events_name_position", ["name", *POSITION], "name"),
    ("chain_events", "ix_chain_events_actor_position", ["actor", *POSITION], "actor"),
    ("jobs", "ix_jobs_root_job", ["root", "job_id"], "root"),
    ("seats", "ix_seats_worker_job", ["worker", "job_id"], None),
    ("seats", "ix_seats_verifier_job", ["verifier", "job_id"], None),
    ("seats", "ix_seats_attested_by_job", ["attested_by", "job_id"], None),
]


def upgrade() -> None:
    for table, name, columns, replaced in INDEXES:
        if replaced is not None:
            op.drop_index(f"ix_{table}_{replaced}", table_name=table)
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _, replaced in reversed(INDEXES):
        op.drop_index(name, table_name=table)
        if replaced is not None:
            op.create_index(f"ix_{table}_{replaced}", table, [replaced])
