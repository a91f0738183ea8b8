"""Bodies the API sends and receives (`XCreate` in, `XPublic` out)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tilefarm.blender.protocol import SceneInfo
from tilefarm.manifest import RenderManifest


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


class ScenePublic(BaseModel):
    cid: str
    filename: str
    size: int
    info: SceneInfo
    created_at: datetime


class ManifestPublic(BaseModel):
    cid: str
    manifest: RenderManifest
    created_at: datetime


class Health(BaseModel):
    status: str
    ipfs: str
    chain: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 404, 413, 415, 422, 503)
}


# ---------------------------------------------------------------------------- chain read API
# Wei amounts are decimal strings: they exceed what JSON numbers hold exactly in a browser.

Wei = Annotated[
    str, Field(pattern=r"^[0-9]+$", description="an amount in wei, as a decimal string")
]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class Page(BaseModel):
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="offset of the next page, null on the last")


class JobSummary(BaseModel):
    job_id: int
    artist: Address
    manifest_cid: str
    status: str = Field(description="the contract's JobStatus name")
    tile_count: int
    frame_count: int
    max_price_per_tile: Wei
    verify_fee_per_tile: Wei
    deposit: Wei
    escrow: Wei
    open_seats: int
    bid_end: int
    reveal_end: int
    render_deadline: int
    posted_block: int
    posted_at: int
    updated_block: int


class JobList(Page):
    items: list[JobSummary]


class JobStatusPublic(BaseModel):
    """The compact status a page polls."""

    job_id: int
    status: str
    tile_count: int
    tiles_assigned: int
    tiles_submitted: int
    tiles_accepted: int = Field(
        description="tiles a verdict accepted (seats Accepted or Paid): verified, ready to assemble"
    )
    tiles_paid: int = Field(description="accepted tiles whose pay was released (seats Paid)")
    tiles_rejected: int
    escrow: Wei
    updated_block: int
    indexed_block: int = Field(description="the last block the indexer has applied")


class DisputePublic(BaseModel):
    disputer: Address
    appeal: bool = Field(
        description="true: the worker appealed a fail; false: the artist contested a pass"
    )
    bond: Wei
    reason_cid: str
    anchor_block: int
    deadline: int
    panel: list[Address]
    votes: dict[str, bool] = Field(description="panel member -> voted fraud")
    resolved: bool
    fraud: bool | None


class VerificationPublic(BaseModel):
    verifier: Address | None
    round: int
    anchor_block: int
    seed: str | None = Field(None, description="the draw's seed; it also selects the patches")
    attested_by: Address | None
    passed: bool | None
    evidence_cid: str | None
    deadline: int


class SeatPublic(BaseModel):
    """One worker's assignment: its tile range, results commitment, verification and pay."""

    worker: Address
    state: str = Field(description="the contract's SeatState name")
    price_per_tile: Wei
    first_tile: int
    tile_count: int
    last_tile: int | None
    merkle_root: str | None
    results_cid: str | None
    verification: VerificationPublic
    dispute: DisputePublic | None
    payment: Wei = Field(description="credited to the worker at release (state Paid)")
    verifier_fee: Wei = Field(description="credited to the verifier at release or rejection")
    slashed: Wei


class BidPublic(BaseModel):
    bidder: Address
    commitment: str
    committed_block: int
    revealed: bool
    price_per_tile: Wei | None
    tile_count: int | None
    outcome: str = Field(description="the seat's state: None (sealed), Revealed, Outbid, ...")


class LedgerEntryPublic(BaseModel):
    block_number: int
    log_index: int
    direction: str = Field(description="in: paid into the job; out: credited from it")
    party: Address
    role: str
    reason: str
    amount: Wei


class EventPublic(BaseModel):
    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int
    name: str = Field(description="the contract's event name")
    job_id: int | None
    actor: Address | None
    args: dict[str, Any]


class EventList(Page):
    items: list[EventPublic]


class JobDetail(JobSummary):
    fees_due: Wei
    bid_bond: Wei
    commits: int
    reveals: int
    bid_window: int
    reveal_window: int
    render_window: int
    verify_window: int
    bids: list[BidPublic]
    seats: list[SeatPublic] = Field(description="assignments: the bids that won tiles")
    payments: list[LedgerEntryPublic]
    events: list[EventPublic]


class WorkerSummary(BaseModel):
    address: Address
    stake: Wei
    unstaking: Wei
    unlock_at: int
    balance: Wei
    earned: Wei = Field(description="everything ever credited: pay, fees, refunds, slash shares")
    withdrawn: Wei
    eligible: bool = Field(description="stake >= minStake: may bid and is in the verifier pool")
    account_id: int = Field(
        description="the contract's permanent account id, in order of first stake (0: never "
        "staked); seats and dispute panels name verifiers by it"
    )
    tiles_accepted: int
    tiles_rejected: int
    timeouts: int
    slashes: int


class WorkerList(Page):
    items: list[WorkerSummary]


class WorkerJob(BaseModel):
    job_id: int
    state: str
    first_tile: int
    tile_count: int
    price_per_tile: Wei
    payment: Wei
    slashed: Wei


class WorkerVerification(BaseModel):
    job_id: int
    worker: Address
    passed: bool | None
    evidence_cid: str | None
    fee: Wei


class WorkerDetail(WorkerSummary):
    jobs: list[WorkerJob]
    verifications: list[WorkerVerification]
    history: list[EventPublic]


class WinningBid(BaseModel):
    job_id: int
    worker: Address
    price_per_tile: Wei
    tile_count: int
    block_number: int
    timestamp: int


class PriceList(BaseModel):
    items: list[WinningBid]
    median_price_per_tile: Wei | None
    tiles: int = Field(description="tiles behind the median (weighted by tile count)")


class Estimate(BaseModel):
    manifest_cid: str | None
    tile_count: int
    price_per_tile: Wei = Field(description="median winning price per tile over recent jobs")
    protocol_fee_per_tile: Wei
    verify_fee_per_tile: Wei
    render_cost: Wei
    protocol_fee: Wei
    verification_budget: Wei
    total: Wei
    based_on_bids: int


class JobLedger(BaseModel):
    """Where one job's money came from and went; `paid_in == paid_out + held`."""

    job_id: int
    status: str
    paid_in: Wei
    deposit: Wei
    bid_bonds_in: Wei
    dispute_bonds_in: Wei
    slashed: Wei
    paid_out: Wei
    to_artist: Wei
    refunded: Wei = Field(
        description="what the artist got back at cancellation, settlement (with the forfeited "
        "bonds of unrevealed bids) and completion; part of to_artist, which also counts slash "
        "shares and its own dispute bond back"
    )
    to_workers: Wei
    to_verifiers: Wei
    to_treasury: Wei
    to_bidders: Wei = Field(description="bid bonds returned")
    to_drawers: Wei = Field(description="draw bounties: whoever drew a seat's verifier")
    held: Wei = Field(description="still in the job: escrow, unrevealed bonds, open dispute bonds")
    balanced: bool = Field(description="paid_in == paid_out + held and held == what the job holds")


class Ledger(Page):
    items: list[JobLedger]
    paid_in: Wei
    paid_out: Wei
    held: Wei


class JobLedgerDetail(JobLedger):
    entries: list[LedgerEntryPublic]


class IndexerStatus(BaseModel):
    enabled: bool
    market: Address | None
    next_block: int
    head: int
    lag_blocks: int
    error: str | None
