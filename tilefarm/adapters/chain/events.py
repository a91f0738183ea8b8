"""The market's events as pydantic models. Each class is named exactly as the contract's event and
its fields are the event's arguments in snake_case (aliases keep the ABI's camelCase); the ABI
itself still comes from the build, so a renamed or missing event shows up in `decode_log`."""

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel
from web3 import Web3

from tilefarm.types import Hex32


@lru_cache(maxsize=65_536)
def checksum_address(value: str) -> str:
    """`value` as a checksummed address (cached: a market's logs and views name the same few
    parties again and again, and each checksum is a keccak)."""
    return Web3.to_checksum_address(value)


def _address(value: Any) -> str:
    return checksum_address(value) if isinstance(value, str) else Web3.to_checksum_address(value)


Address = Annotated[str, BeforeValidator(_address)]


class ChainModel(BaseModel):
    """Fields in snake_case, read from the ABI's camelCase names."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class JobParams(ChainModel):
    """What an artist chooses when posting a job (the contract's `JobParams`)."""

    tile_count: int
    frame_count: int
    max_price_per_tile: int
    verify_fee_per_tile: int
    bid_bond: int
    bid_window: int
    reveal_window: int
    render_window: int
    verify_window: int
    max_rounds: int = 0  # re-offer rounds after the first (0: unsold and failed tiles are refunded)
    final_deadline: int = 0  # unix time after which no round opens (0 without rounds)

    def as_tuple(self) -> tuple[int, ...]:
        """The ABI tuple, in the struct's field order."""
        return tuple(getattr(self, name) for name in type(self).model_fields)


class MarketEvent(ChainModel):
    """Where an event was emitted; every event model extends this."""

    block_number: int = 0
    transaction_hash: Hex32 = ""
    log_index: int = 0

    def get(self, name: str, default: Any = None) -> Any:
        """Field `name` of this event, or `default` when its kind has none (a dict read, where
        `getattr` on a model without the field is a slow miss through pydantic)."""
        return self.__dict__.get(name, default)


class Staked(MarketEvent):
    worker: Address
    amount: int
    total_stake: int


class UnstakeRequested(MarketEvent):
    worker: Address
    amount: int
    unlock_at: int


class StakeWithdrawn(MarketEvent):
    worker: Address
    amount: int


class Slashed(MarketEvent):
    worker: Address
    job_id: int
    reason: int  # an index into SLASH_REASONS
    amount: int


class HardwareDeclared(MarketEvent):
    """An account declared the backend class it renders on (a `BACKEND_CODES` value of
    `tilefarm.hardware_codes`) and its GPU memory."""

    account: Address
    backend: int
    vram_mib: int = Field(alias="vramMiB")


class JobPosted(MarketEvent):
    job_id: int
    artist: Address
    manifest_cid: str
    params: JobParams
    deposit: int
    bid_end: int
    reveal_end: int


class JobCancelled(MarketEvent):
    job_id: int
    refund: int


class JobCompleted(MarketEvent):
    job_id: int
    artist_refund: int
    protocol_fee: int


class Withdrawn(MarketEvent):
    account: Address
    amount: int


class BidCommitted(MarketEvent):
    """A sealed bid: its price is hidden, its tile count declared (it locks their collateral at the
    job's maximum price until revealed)."""

    job_id: int
    bidder: Address
    commitment: Hex32
    tile_count: int


class BidForfeited(MarketEvent):
    """A sealed bid was never revealed: the collateral it locked was slashed to the artist."""

    job_id: int
    bidder: Address
    slashed: int


class BidRevealed(MarketEvent):
    job_id: int
    bidder: Address
    price_per_tile: int
    tile_count: int


class TilesAssigned(MarketEvent):
    job_id: int
    worker: Address
    first_tile: int
    tile_count: int
    price_per_tile: int


class BidOutbid(MarketEvent):
    job_id: int
    bidder: Address


class BidsSettled(MarketEvent):
    job_id: int
    assigned_tiles: int
    winners: int
    artist_refund: int
    render_deadline: int


class TilesReturned(MarketEvent):
    """Tiles went back to the job's unsold tiles: unsold by round `round_id` (no worker, cause 0),
    or the worker's seat in that round ended `cause` (a `SeatState` index: TimedOut, Rejected or
    Unverified)."""

    job_id: int
    round_id: int
    worker: Address
    first_tile: int
    tile_count: int
    cause: int


class RoundOpened(MarketEvent):
    """A re-offer round of job `job_id`: its own job id `round_id` sells `tiles` tiles (packed
    `ranges`, each `first_tile << 16 | tile_count`, of the job's tile indices)."""

    job_id: int
    round_id: int
    round: int
    tiles: int
    max_price_per_tile: int
    bid_bond: int
    bid_end: int
    reveal_end: int
    ranges: list[int]
    opener: Address
    bounty: int

    def tile_ranges(self) -> list[tuple[int, int]]:
        """`(first_tile, tile_count)` of every range the round sells."""
        return unpack_ranges(self.ranges)


class JobToppedUp(MarketEvent):
    job_id: int
    amount: int
    max_price_per_tile: int


class ReofferingEnded(MarketEvent):
    job_id: int
    tiles_left: int


def unpack_ranges(packed: list[int]) -> list[tuple[int, int]]:
    """The contract's packed tile ranges (`first_tile << 16 | tile_count`) as pairs."""
    return [(value >> 16, value & 0xFFFF) for value in packed]


class BondReclaimed(MarketEvent):
    job_id: int
    bidder: Address
    amount: int


class ResultsCommitted(MarketEvent):
    """The worker's Merkle root; its results list stays hidden until `ResultsRevealed`."""

    job_id: int
    worker: Address
    merkle_root: Hex32
    anchor_block: int


class EvidenceSealed(MarketEvent):
    """The drawn verifier sealed its evidence before seeing the tiles (`evidence_seal`)."""

    job_id: int
    worker: Address
    verifier: Address
    seal: Hex32


class ResultsRevealed(MarketEvent):
    """The worker revealed its results list once its verifier had sealed its evidence."""

    job_id: int
    worker: Address
    results_cid: str


class VerifierDrawn(MarketEvent):
    job_id: int
    worker: Address
    verifier: Address
    seed: Hex32
    round: int
    caller: Address  # who drew, and was credited the bounty
    bounty: int


class VerifierDrawMissed(MarketEvent):
    """Nobody drew the seat's verifier while its anchor hash was readable: the seat lapsed."""

    job_id: int
    worker: Address
    anchor_block: int
    slashed: int


class ResultsAttested(MarketEvent):
    job_id: int
    worker: Address
    verifier: Address
    passed: bool
    evidence_cid: str


class ResultsAccepted(MarketEvent):
    job_id: int
    worker: Address
    payment: int
    verifier_fee: int


class PaymentReleased(MarketEvent):
    """An accepted seat was paid: its contest window closed or the artist waived it."""

    job_id: int
    worker: Address
    payment: int
    verifier_fee: int


class ResultsUnverified(MarketEvent):
    """Every drawn verifier stayed silent: the seat closed unpaid."""

    job_id: int
    worker: Address


class ResultsRejected(MarketEvent):
    job_id: int
    worker: Address
    slashed: int


class WorkerTimedOut(MarketEvent):
    job_id: int
    worker: Address
    slashed: int


class SeatAbandoned(MarketEvent):
    """The worker gave its seat back at once (`abandonSeat`): slashed and its tiles returned as a
    late worker's; `cause` is an `AbandonCause` of `tilefarm.hardware_codes`."""

    job_id: int
    worker: Address
    cause: int
    slashed: int


class VerifierReplaced(MarketEvent):
    job_id: int
    worker: Address
    silent_verifier: Address
    round: int


class DisputeOpened(MarketEvent):
    job_id: int
    worker: Address
    disputer: Address
    bond: int
    reason_cid: str


class PanelDrawn(MarketEvent):
    job_id: int
    worker: Address
    members: tuple[Address, Address, Address]
    seed: Hex32


class VoteCommitted(MarketEvent):
    """A panel member sealed its vote (revealed later by VoteCast)."""

    job_id: int
    worker: Address
    voter: Address
    commitment: Hex32


class VoteCast(MarketEvent):
    """A panel member revealed its sealed vote."""

    job_id: int
    worker: Address
    voter: Address
    fraud: bool
    evidence_cid: str


class DisputeResolved(MarketEvent):
    job_id: int
    worker: Address
    fraud: bool
    votes_fraud: int
    votes_honest: int


class PanelPaid(MarketEvent):
    """The panel's pay: `fee_each` to every member who revealed, `bonds_each` more to every member
    who revealed for the outcome, `remainder` to `beneficiary` (the artist on fraud, else the
    worker)."""

    job_id: int
    worker: Address
    beneficiary: Address
    fee_each: int
    bonds_each: int
    remainder: int


EVENT_MODELS: dict[str, type[MarketEvent]] = {
    cls.__name__: cls
    for cls in (
        Staked,
        UnstakeRequested,
        StakeWithdrawn,
        Slashed,
        HardwareDeclared,
        JobPosted,
        JobCancelled,
        JobCompleted,
        Withdrawn,
        BidCommitted,
        BidRevealed,
        TilesAssigned,
        BidOutbid,
        BidsSettled,
        BondReclaimed,
        BidForfeited,
        TilesReturned,
        RoundOpened,
        JobToppedUp,
        ReofferingEnded,
        ResultsCommitted,
        EvidenceSealed,
        ResultsRevealed,
        VerifierDrawn,
        VerifierDrawMissed,
        ResultsAttested,
        ResultsAccepted,
        PaymentReleased,
        ResultsUnverified,
        ResultsRejected,
        WorkerTimedOut,
        SeatAbandoned,
        VerifierReplaced,
        DisputeOpened,
        PanelDrawn,
        VoteCommitted,
        VoteCast,
        DisputeResolved,
        PanelPaid,
    )
}

SlashReasonName = Literal["Fraud", "Late", "FalseAccusation", "Silence", "Outvoted", "Unrevealed"]
# The contract's SlashReason, in order: "Silence" is a drawn verifier or panel member that did not
# answer in time, "Outvoted" a panel member that revealed a vote against the panel's outcome,
# "Unrevealed" a sealed bid that was never revealed (`BidForfeited`).
SLASH_REASONS: tuple[SlashReasonName, ...] = (
    "Fraud",
    "Late",
    "FalseAccusation",
    "Silence",
    "Outvoted",
    "Unrevealed",
)


def event_model(name: str, args: dict[str, Any], meta: dict[str, Any]) -> MarketEvent:
    """Build the model of event `name` from web3's decoded `args` and the log's position."""
    try:
        model = EVENT_MODELS[name]
    except KeyError:
        from tilefarm.errors import TilefarmError

        raise TilefarmError(
            f"the contract emitted {name}, which tilefarm.adapters.chain.events does not model; "
            "rebuild the contracts and update events.py"
        ) from None
    return model.model_validate({**dict(args), **meta})
