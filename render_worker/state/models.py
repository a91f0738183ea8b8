"""The worker's tables: one SQLite file, so that a `kill -9` at any moment followed by a restart
resumes without losing or repeating work.

Rules that make that true:
- the chain cursor is saved in the same transaction as what the worker learned from those blocks;
- a transaction is written here (its nonce and signed bytes, under a unique purpose key such as
  `commitResults:7`: `render_worker/chain/purposes.py`) BEFORE it is broadcast, so after a crash
  it is re-broadcast, never re-signed with a new nonce; a purpose key is sent at most once;
- a tile's result (EXR on disk, CID, pixel hash) is stored as soon as it exists, and a tile whose
  result is stored is never rendered again.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from render_worker.state.stages import DutyStage, RecheckStage, Stage, WatchStage


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Small named values: the chain cursor, the last benchmark."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class JobRow(Base):
    """A job this worker saw, and where it stands for this worker."""

    __tablename__ = "jobs"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    manifest_cid: Mapped[str] = mapped_column(String(128))
    artist: Mapped[str] = mapped_column(String(42))
    tile_count: Mapped[int] = mapped_column(Integer)
    max_price_per_tile: Mapped[int] = mapped_column(BigInteger)
    bid_end: Mapped[int] = mapped_column(BigInteger)
    reveal_end: Mapped[int] = mapped_column(BigInteger)
    render_window: Mapped[int] = mapped_column(BigInteger)
    # A `Stage`'s value, changed only through `render_worker/state/store.py`'s `move`.
    stage: Mapped[str] = mapped_column(String(16), default=Stage.SEEN.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    first_tile: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assigned_tiles: Mapped[int] = mapped_column(Integer, default=0)
    price_per_tile: Mapped[int] = mapped_column(BigInteger, default=0)
    render_deadline: Mapped[int] = mapped_column(BigInteger, default=0)
    # The results list's CID: kept from the commitment on, put on IPFS and named on chain only
    # once the verifier has sealed its evidence.
    results_cid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    merkle_root: Mapped[str | None] = mapped_column(String(66), nullable=True)
    earned: Mapped[int] = mapped_column(BigInteger, default=0)
    settled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


class RoundRow(Base):
    """A re-offer round this worker saw: its job row (`jobs`, under the round's own id) sells tiles
    of posted job `job_id`, whose manifest it renders (docs/protocol.md, "Rounds")."""

    __tablename__ = "rounds"

    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    round: Mapped[int] = mapped_column(Integer)
    # The tiles it sells, as the contract packs them (`first_tile << 16 | tile_count`).
    ranges: Mapped[Any] = mapped_column(JSON)


class BidRow(Base):
    """The sealed bid: its secret salt must survive a crash between commit and reveal."""

    __tablename__ = "bids"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.job_id"), primary_key=True)
    price_per_tile: Mapped[int] = mapped_column(BigInteger)
    tile_count: Mapped[int] = mapped_column(Integer)
    salt: Mapped[str] = mapped_column(String(66))
    commitment: Mapped[str] = mapped_column(String(66))


class TileRow(Base):
    """One rendered and published tile of an assignment."""

    __tablename__ = "tiles"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.job_id"), primary_key=True)
    job_tile: Mapped[int] = mapped_column(Integer, primary_key=True)
    exr_path: Mapped[str] = mapped_column(Text)
    pixel_hash: Mapped[str] = mapped_column(String(64))
    cid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # What it was rendered on (`tilefarm.hardware.RenderedOn` as JSON); None in rows of workers
    # that did not record it (their results lists leave the tile's device unsaid: the CPU).
    rendered_on: Mapped[Any] = mapped_column(JSON, nullable=True)


class DutyRow(Base):
    """A verification this worker was drawn for: a seat's (`render_worker/duties/verify_duty.py`)
    or a dispute panel's (`render_worker/duties/panel.py`), each with its stages."""

    __tablename__ = "duties"
    __table_args__ = (UniqueConstraint("job_id", "worker", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(42))
    round: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(66))
    kind: Mapped[str] = mapped_column(String(8), default="verify")  # verify or panel
    stage: Mapped[str] = mapped_column(String(16), default=DutyStage.DRAWN.value)
    passed: Mapped[bool | None] = mapped_column(nullable=True)
    # A verifier's evidence, stored before it is sealed; a panel member's, before its vote is.
    evidence_cid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class TxRow(Base):
    """A transaction, recorded before it is broadcast."""

    __tablename__ = "txs"

    purpose: Mapped[str] = mapped_column(String(96), primary_key=True)
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    raw: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="sent")  # sent, mined, reverted
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


# The worker of a watch on a job itself, not on one of its seats (`settle`, `reoffer`).
NO_SEAT = "0x0000000000000000000000000000000000000000"


class WatchRow(Base):
    """A seat of a job this worker takes part in (or a job itself: worker `NO_SEAT`), and the
    action due when its deadline passes (`render_worker/duties/seats.py`)."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("job_id", "worker", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(42))
    action: Mapped[str] = mapped_column(String(20))
    # Unix time after which the action may be due (0: not known yet, read the seat); the chain
    # judges: the row only saves reading the seat before then.
    due: Mapped[int] = mapped_column(BigInteger, default=0)
    stage: Mapped[str] = mapped_column(String(8), default=WatchStage.OPEN.value)


class ChallengeRow(Base):
    """An attested pass of another worker's seat, and where the worker's recheck of it stands
    (`render_worker/duties/challenges.py`)."""

    __tablename__ = "challenges"
    __table_args__ = (UniqueConstraint("job_id", "worker", "evidence_cid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(42))
    verifier: Mapped[str] = mapped_column(String(42))
    evidence_cid: Mapped[str] = mapped_column(String(128))
    round: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the seat's, at recheck
    stage: Mapped[str] = mapped_column(String(16), default=RecheckStage.WATCHING.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_cid: Mapped[str | None] = mapped_column(String(128), nullable=True)


class JournalRow(Base):
    """A job's rows as they were before the events of `block` changed them
    (`render_worker/chain/reorg.py`)."""

    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("job_id", "block"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    block: Mapped[int] = mapped_column(BigInteger, index=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[Any] = mapped_column(JSON)
