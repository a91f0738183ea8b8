"""Tables the chain indexer writes.

`chain_events` is the source of truth: every decoded JobMarket event, keyed by its position on the
chain `(block_number, log_index)`. Every other table here is a projection of those rows (jobs,
seats, disputes, accounts, the money ledger) that `marketplace.indexer.projection` can rebuild
from scratch at any time; that is how a reorganisation is undone. The cursor lives in
`indexer_cursors` and is written in the same transaction as the rows derived from its batch.

Wei amounts exceed SQLite's and PostgreSQL's 64-bit integers, so they are stored as zero-padded
decimal strings (`Wei`): exact, and still ordered correctly by the database. The strings an event
carries (CIDs) are whatever its sender chose: `ChainText`, of any length, without NUL characters
(which PostgreSQL refuses), so that no event can stop the indexer.
"""

from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Dialect,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db.models import Base

WEI_DIGITS = 80  # 2**256 has 78 decimal digits

# A worker's appeal of a fail, the artist's contest of a pass, anyone else's challenge of a pass.
DisputeKind = Literal["appeal", "contest", "challenge"]


class Wei(TypeDecorator[int]):
    """A non-negative integer of any size, stored as a fixed-width decimal string."""

    impl = String(WEI_DIGITS)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value < 0:
            raise ValueError(f"a wei amount cannot be negative ({value})")
        return str(value).zfill(WEI_DIGITS)

    def process_result_value(self, value: str | None, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class ChainText(TypeDecorator[str]):
    """A string as an event's sender wrote it, of any length; NUL, which PostgreSQL cannot store
    in text, becomes U+FFFD on every database (no CID contains either)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.replace("\x00", "\ufffd")


class IndexerCursor(Base):
    """Where the indexer of one market stands (see `tilefarm.adapters.chain.follower.Cursor`)."""

    __tablename__ = "indexer_cursors"

    market: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_block: Mapped[int] = mapped_column(BigInteger)
    recent: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    head: Mapped[int] = mapped_column(BigInteger, default=0)


class ChainEvent(Base):
    """One decoded market event, exactly as emitted."""

    __tablename__ = "chain_events"
    # A name's or an actor's events in chain order, newest first a page at a time (the price
    # estimate's recent winning bids, a worker's history): read from the index's end, not sorted.
    __table_args__ = (
        Index("ix_chain_events_name_position", "name", "block_number", "log_index"),
        Index("ix_chain_events_actor_position", "actor", "block_number", "log_index"),
    )

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The first address argument (worker, bidder, account): whose history the event belongs to.
    actor: Mapped[str | None] = mapped_column(String(42))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobView(Base):
    """A job or a re-offer round as the contract's `job(id)` returns it, plus what was posted with
    it; a posted job also carries its `reofferOf(id)`, `unsoldTiles(id)` and a round its
    `offeredTiles(id)`. A round is a row of its own (its own id, bids, seats and deadlines) whose
    money the posted job (`root`) holds: its escrow and deposit stay 0, and it shows the posted
    job's manifest and frame count."""

    __tablename__ = "jobs"
    # The posted jobs (`root = 0`) newest first a page at a time, and a job's rounds: one range
    # of this index, already in order.
    __table_args__ = (Index("ix_jobs_root_job", "root", "job_id"),)

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    artist: Mapped[str] = mapped_column(String(42), index=True)
    manifest_cid: Mapped[str] = mapped_column(ChainText())
    status: Mapped[str] = mapped_column(String(16), index=True)
    tile_count: Mapped[int] = mapped_column(Integer)
    frame_count: Mapped[int] = mapped_column(Integer)
    max_price_per_tile: Mapped[int] = mapped_column(Wei())
    verify_fee_per_tile: Mapped[int] = mapped_column(Wei())
    bid_bond: Mapped[int] = mapped_column(Wei())
    bid_window: Mapped[int] = mapped_column(BigInteger)
    reveal_window: Mapped[int] = mapped_column(BigInteger)
    render_window: Mapped[int] = mapped_column(BigInteger)
    verify_window: Mapped[int] = mapped_column(BigInteger)
    deposit: Mapped[int] = mapped_column(Wei())
    escrow: Mapped[int] = mapped_column(Wei())
    fees_due: Mapped[int] = mapped_column(Wei(), default=0)
    open_seats: Mapped[int] = mapped_column(Integer, default=0)
    commits: Mapped[int] = mapped_column(Integer, default=0)
    reveals: Mapped[int] = mapped_column(Integer, default=0)
    bid_end: Mapped[int] = mapped_column(BigInteger)
    reveal_end: Mapped[int] = mapped_column(BigInteger)
    render_deadline: Mapped[int] = mapped_column(BigInteger, default=0)
    posted_block: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)
    # Rounds (the contract's `job(id)`): `root` is the posted job a round re-offers tiles of (0 for
    # a posted job) and `round` its number (0 for a posted job); a posted job's `latest` round id
    # and `open_rounds` (rounds bidding or with open seats).
    root: Mapped[int] = mapped_column(BigInteger, default=0)
    round: Mapped[int] = mapped_column(Integer, default=0)
    latest: Mapped[int] = mapped_column(BigInteger, default=0)
    open_rounds: Mapped[int] = mapped_column(Integer, default=0)
    # A posted job's re-offer rules (`reofferOf(id)`; all 0 for a round): the rounds it was
    # posted with and those still left, the final deadline, the reserve (escrow no seat is owed)
    # and the next round's maximum price per tile.
    max_rounds: Mapped[int] = mapped_column(Integer, default=0)
    rounds_left: Mapped[int] = mapped_column(Integer, default=0)
    final_deadline: Mapped[int] = mapped_column(BigInteger, default=0)
    reserve: Mapped[int] = mapped_column(Wei(), default=0)
    next_max_price_per_tile: Mapped[int] = mapped_column(Wei(), default=0)
    # Tile ranges `[first_tile, tile_count]`: a posted job's tiles waiting for a round
    # (`unsoldTiles`), a round's tiles on sale (`offeredTiles`).
    unsold: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    offered: Mapped[list[list[int]]] = mapped_column(JSON, default=list)

    @property
    def posted_id(self) -> int:
        """The posted job that holds this job's money: itself, or the job it is a round of."""
        return self.root or self.job_id


class SeatView(Base):
    """One bidder's bid and assignment in one job (the contract's `seat(job, worker)`)."""

    __tablename__ = "seats"
    # A worker's seats and the seats an account verified, in job order (`/api/workers/{address}`).
    __table_args__ = (
        Index("ix_seats_worker_job", "worker", "job_id"),
        Index("ix_seats_verifier_job", "verifier", "job_id"),
        Index("ix_seats_attested_by_job", "attested_by", "job_id"),
    )

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    worker: Mapped[str] = mapped_column(String(42), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    commitment: Mapped[str] = mapped_column(String(66))
    hash: Mapped[str] = mapped_column(String(66))
    # The sealed bid's tile count, declared in the open (`BidCommitted`), and the stake it locked
    # at the job's maximum price until revealed (forfeited to the artist if it never is).
    declared_tiles: Mapped[int] = mapped_column(Integer, default=0)
    collateral: Mapped[int] = mapped_column(Wei(), default=0)
    price_per_tile: Mapped[int] = mapped_column(Wei(), default=0)
    bid_tiles: Mapped[int] = mapped_column(Integer, default=0)
    first_tile: Mapped[int] = mapped_column(Integer, default=0)
    tile_count: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=0)
    anchor_block: Mapped[int] = mapped_column(BigInteger, default=0)
    verifier: Mapped[str | None] = mapped_column(String(42))
    deadline: Mapped[int] = mapped_column(BigInteger, default=0)
    # Blind verification: the worker commits its Merkle root only (`ResultsCommitted`); the drawn
    # verifier seals its evidence (`EvidenceSealed`, this round's seal, cleared by a new round);
    # then the worker reveals its results list (`ResultsRevealed`: the latest revealed CID, None
    # until the first reveal).
    merkle_root: Mapped[str | None] = mapped_column(String(66))
    evidence_seal: Mapped[str | None] = mapped_column(String(66))
    results_cid: Mapped[str | None] = mapped_column(ChainText())
    seed: Mapped[str | None] = mapped_column(String(66))
    attested_by: Mapped[str | None] = mapped_column(String(42))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    evidence_cid: Mapped[str | None] = mapped_column(ChainText())
    committed_block: Mapped[int] = mapped_column(BigInteger)
    payment: Mapped[int] = mapped_column(Wei(), default=0)
    verifier_fee: Mapped[int] = mapped_column(Wei(), default=0)
    slashed: Mapped[int] = mapped_column(Wei(), default=0)
    # Why the worker gave the seat back (`SeatAbandoned`: an `AbandonCause` of
    # `tilefarm.hardware_codes`); None unless it did.
    abandon_cause: Mapped[int | None] = mapped_column(Integer)


class DisputeView(Base):
    """An escalation of one seat's verdict (the contract's `dispute(job, worker)`)."""

    __tablename__ = "disputes"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    worker: Mapped[str] = mapped_column(String(42), primary_key=True)
    disputer: Mapped[str] = mapped_column(String(42))
    # "appeal": the worker appealed a fail; "contest": the artist contested a pass (the tiles are
    # fraudulent); "challenge": anyone else challenged a pass as contradicting its verifier's own
    # sealed evidence (a panel's "fraud" then means "contradicted").
    kind: Mapped[DisputeKind] = mapped_column(String(16))
    appeal: Mapped[bool] = mapped_column(Boolean)  # kind == "appeal"
    bond: Mapped[int] = mapped_column(Wei())
    reason_cid: Mapped[str] = mapped_column(ChainText())
    anchor_block: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[list[str]] = mapped_column(JSON, default=list)
    votes: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)  # voter -> fraud
    votes_fraud: Mapped[int] = mapped_column(Integer, default=0)
    votes_honest: Mapped[int] = mapped_column(Integer, default=0)
    # bits 0-2: member k revealed; bits 4-6: it revealed "fraud"
    voted_mask: Mapped[int] = mapped_column(Integer, default=0)
    drawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sealed votes: bits 0-2, member k committed; and each member's commitment.
    committed_mask: Mapped[int] = mapped_column(Integer, default=0)
    commitments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # voter -> hash
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    fraud: Mapped[bool | None] = mapped_column(Boolean)
    resolved_tx: Mapped[str | None] = mapped_column(String(66))
    # The panel's pay at resolution (`PanelPaid`): to every member who revealed, more to every
    # member who revealed for the outcome, and what was left to the party the outcome favours.
    fee_each: Mapped[int] = mapped_column(Wei(), default=0)
    bonds_each: Mapped[int] = mapped_column(Wei(), default=0)
    remainder: Mapped[int] = mapped_column(Wei(), default=0)
    beneficiary: Mapped[str | None] = mapped_column(String(42))
    # The silent and outvoted members' slashes at the verdict, and the part of them the treasury
    # got (all of them when nobody revealed a vote for the outcome).
    forfeited: Mapped[int] = mapped_column(Wei(), default=0)
    to_treasury: Mapped[int] = mapped_column(Wei(), default=0)


class AccountView(Base):
    """An account and its pull-payment balance (the contract's `account(who)`); eligible (in the
    verifier pool, may bid) while its stake is at least the market's `minStake`."""

    __tablename__ = "accounts"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    stake: Mapped[int] = mapped_column(Wei(), default=0)
    unstaking: Mapped[int] = mapped_column(Wei(), default=0)
    balance: Mapped[int] = mapped_column(Wei(), default=0)
    unlock_at: Mapped[int] = mapped_column(BigInteger, default=0)
    tiles_accepted: Mapped[int] = mapped_column(Integer, default=0)
    tiles_rejected: Mapped[int] = mapped_column(Integer, default=0)
    timeouts: Mapped[int] = mapped_column(Integer, default=0)
    slashes: Mapped[int] = mapped_column(Integer, default=0)
    # The contract's permanent account id, given at the first stake in staking order (0: never
    # staked); dispute panels and seats name their verifiers by it.
    account_id: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Wei(), default=0)
    earned: Mapped[int] = mapped_column(Wei(), default=0)
    # The hardware it declared (`declareHardware`): a `BACKEND_CODES` value of
    # `tilefarm.hardware_codes` (0: never declared) and its GPU memory in MiB.
    backend: Mapped[int] = mapped_column(Integer, default=0)
    vram_mib: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    """One movement of a job's money: into the job (`direction="in"`) from a party, or out of it
    (credited to a party's withdrawable balance). `job_id` is the posted job, whose escrow holds
    every round's money; `round_id` the job the event named (a round's own id, or the posted
    job's)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_job_position", "job_id", "block_number", "log_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    round_id: Mapped[int] = mapped_column(BigInteger, index=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(3))
    party: Mapped[str] = mapped_column(String(42), index=True)
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Wei())
