"""What the market's views return, as models: jobs, seats, accounts, disputes, the config, and
a mined transaction with the events it emitted."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tilefarm.adapters.chain.errors import ChainError
from tilefarm.adapters.chain.events import ChainModel, MarketEvent
from tilefarm.types import Hex32

JOB_STATUSES = ("None", "Bidding", "Active", "Completed", "Cancelled", "Expired")
SEAT_STATES = (
    "None",
    "Revealed",
    "Outbid",
    "Assigned",
    "Submitted",
    "Accepted",
    "Failed",
    "Disputed",
    "Contested",
    "Rejected",
    "TimedOut",
    "Reclaimed",
    "Unverified",
    "Paid",
    "Forfeited",
    "Sealed",
    "Opened",
    "Challenged",
)


class Job(ChainModel):
    escrow: int
    fees_due: int
    tile_count: int
    open_seats: int
    status: int
    verify_window: int
    artist: str
    verify_fee_per_tile: int
    bid_end: int
    reveal_end: int
    max_price_per_tile: int
    bid_bond: int
    render_window: int
    render_deadline: int
    commits: int
    reveals: int
    kept: int
    tie_seed: int
    root: int = 0  # a re-offer round: the posted job it sells tiles of; a posted job: 0
    round: int = 0
    latest: int = 0  # a posted job: its latest round's id (0 while it has none)
    open_rounds: int = 0

    @property
    def posted_job(self) -> bool:
        return self.root == 0

    @property
    def status_name(self) -> str:
        return JOB_STATUSES[self.status]

    @property
    def terminal(self) -> bool:
        return self.status_name in ("Completed", "Cancelled", "Expired")


class Reoffer(ChainModel):
    """A posted job's reserve (escrow no seat is owed) and re-offer rules."""

    reserve: int
    max_price_per_tile: int  # the most the next round pays per tile
    final_deadline: int
    bid_window: int
    rounds_left: int


class Seat(ChainModel):
    hash: Hex32
    price_per_tile: int
    first_tile: int
    tile_count: int
    state: int
    round: int
    anchor_block: int
    verifier_id: int
    deadline: int
    # The backend class the worker had declared when it committed its results (0: none, or not
    # committed yet): what its verifier draws and its panel's first seat prefer.
    backend: int = 0

    @property
    def state_name(self) -> str:
        return SEAT_STATES[self.state]


class Account(ChainModel):
    stake: int
    balance: int
    tiles_accepted: int
    tiles_rejected: int
    unstaking: int
    unlock_at: int
    timeouts: int
    slashes: int
    account_id: int
    pool_index: int
    duties: int
    locked: int
    backend: int = 0  # the backend class it declared (`hardware_codes.BACKEND_CODES`); 0 if none
    vram_mib: int = Field(default=0, alias="vramMiB")  # its GPU memory as declared


class Dispute(ChainModel):
    disputer: str
    bond: int
    anchor_block: int
    deadline: int
    member0: int
    member1: int
    member2: int
    votes_fraud: int
    votes_honest: int
    voted_mask: int  # bits 0-2: member k revealed; bits 4-6: it revealed "fraud"
    drawn: bool
    committed_mask: int  # bits 0-2: member k sealed a vote


class MarketConfig(ChainModel):
    treasury: str
    protocol_fee_bps: int
    min_stake: int
    unstake_delay: int
    draw_delay: int
    dispute_bond: int
    fraud_slash_bps: int
    late_slash_bps: int
    false_accusation_slash_bps: int
    silence_slash_bps: int
    collateral_bps: int
    bid_bond_bps: int
    draw_bounty_bps: int

    def min_bid_bond(self, tile_count: int, max_price_per_tile: int) -> int:
        """The least bid bond the market accepts for such a job (the contract's rule)."""
        return max(1, tile_count * max_price_per_tile * self.bid_bond_bps // 10_000)

    def collateral(self, tiles: int, price_per_tile: int) -> int:
        """The stake a bid or seat of `tiles` tiles at `price_per_tile` locks."""
        return tiles * price_per_tile * self.collateral_bps // 10_000

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for the constructor."""
        return tuple(getattr(self, name) for name in type(self).model_fields)


class Receipt(BaseModel):
    """A mined transaction of the market and the events it emitted."""

    model_config = ConfigDict(frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int
    events: list[MarketEvent]

    def event(self, cls: type[MarketEvent]) -> Any:
        """The first event of type `cls` (raises ChainError if there is none)."""
        for ev in self.events:
            if isinstance(ev, cls):
                return ev
        raise ChainError(f"transaction {self.tx_hash} emitted no {cls.__name__}")


RecordT = TypeVar("RecordT", bound=ChainModel)


def record(model: type[RecordT], values: Sequence[Any]) -> RecordT:
    """A struct returned by a view, by position, as its model."""
    return model.model_validate(dict(zip(model.model_fields, values, strict=True)))
