"""Stored market events: the raw row of each event with where it sits on the chain, and the event
back from its row (the projections are rebuilt from these rows alone)."""

from dataclasses import dataclass

from marketplace.db.chain_models import ChainEvent
from tilefarm.adapters.chain import events as ev


@dataclass(frozen=True)
class Position:
    """Where the event being applied sits on the chain."""

    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int


def address_of(event: ev.MarketEvent) -> str | None:
    """The first address argument of an event: whose history it belongs to (none for tiles a
    round did not sell, which name no worker)."""
    for name in ("worker", "bidder", "artist", "account", "opener"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            return None if int(value, 16) == 0 else value
    return None


def stored(event: ev.MarketEvent, at: Position, block_hash: str) -> ChainEvent:
    """The raw row of an event."""
    args = event.model_dump(mode="json", exclude={"block_number", "transaction_hash", "log_index"})
    return ChainEvent(
        block_number=at.block_number,
        log_index=at.log_index,
        tx_hash=at.tx_hash,
        block_hash=block_hash,
        timestamp=at.timestamp,
        name=type(event).__name__,
        job_id=getattr(event, "job_id", None),
        actor=address_of(event),
        args=args,
    )


def loaded(row: ChainEvent) -> tuple[ev.MarketEvent, Position]:
    """The event model and position of a stored row."""
    model = ev.EVENT_MODELS[row.name]
    event = model.model_validate(
        {
            **row.args,
            "block_number": row.block_number,
            "log_index": row.log_index,
            "transaction_hash": row.tx_hash,
        }
    )
    return event, Position(row.block_number, row.log_index, row.tx_hash, row.timestamp)
