"""What the market's views return, as models: jobs, seats, accounts, disputes, the config, and
a mined transaction with the events it emitted."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from tilefarm.chain.errors import ChainError
from tilefarm.chain.events import ChainModel, Hex32, MarketEvent

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
    commits: int
    reveals: int
    render_window: int
    render_deadline: int

    @property
    def status_name(self) -> str:
        return JOB_STATUSES[self.status]

    @property
    def terminal(self) -> bool:
        return self.status_name in ("Completed", "Cancelled", "Expired")


class Seat(ChainModel):
    hash: Hex32
    price_per_tile: int
    first_tile: int
    tile_count: int
    state: int
    round: int
    anchor_block: int
    verifier_slot: int
    deadline: int

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
    pool_slot: int


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
    voted_mask: int
    drawn: bool


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
