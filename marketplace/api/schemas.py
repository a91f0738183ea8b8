"""Bodies the API sends and receives (`XCreate` in, `XPublic` out).

A body the server sends is read from the attributes of what it describes (`Model.model_validate(
row)`: a database row, the ledger's sums), so that field names are the rows' own. Wei amounts are
`tilefarm.types.Wei`: Python ints here, decimal strings in JSON (they exceed what a browser's JSON
numbers hold exactly); 32-byte values (roots, seeds, commitments, hashes) are `Hex32`.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from marketplace.scene_memory import (
    CYCLES_WORKING_MIB,
    ROUND_MIB,
    SAFETY_FACTOR,
    suggested_min_vram_mib,
)
from tilefarm.adapters.blender.protocol import SceneInfo
from tilefarm.hardware import BackendClass
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest
from tilefarm.types import Hex32, Wei


class RowBody(BaseModel):
    """A body read from the attributes of a row (or any object with the same names)."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


class ScenePublic(RowBody):
    cid: str
    filename: str
    size: int
    info: SceneInfo = Field(
        description="what Blender read from it; `memory` is an estimate of what its textures "
        "and geometry need to render (null for a scene read before estimates were made)"
    )
    created_at: datetime

    @computed_field(  # type: ignore[prop-decorator]
        description="the least GPU memory (MiB) to require of a job of this scene: the memory "
        f"estimate x {SAFETY_FACTOR} plus Cycles' working memory ({CYCLES_WORKING_MIB} MiB) and "
        f"the frame's buffers, rounded up to {ROUND_MIB} MiB; 0 means nothing is known"
    )
    @property
    def min_vram_mib(self) -> int:
        return suggested_min_vram_mib(self.info)


class ManifestPublic(RowBody):
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

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class Page(RowBody):
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="offset of the next page, null on the last")


TileRange = Annotated[
    tuple[int, int], Field(description="[first_tile, tile_count], in the posted job's tile indices")
]


class JobSummary(RowBody):
    job_id: int
    artist: Address
    manifest_cid: str
    status: str = Field(description="the contract's JobStatus name")
    tile_count: int = Field(description="tiles the job sells (a round: the tiles it re-offers)")
    frame_count: int
    max_price_per_tile: Wei
    verify_fee_per_tile: Wei
    deposit: Wei
    escrow: Wei = Field(description="held for the job; a round's money is held by its posted job")
    open_seats: int
    bid_end: int
    reveal_end: int
    render_deadline: int
    posted_block: int
    posted_at: int
    updated_block: int
    root: int = Field(
        0, description="a re-offer round: the posted job it re-offers tiles of (0: a posted job)"
    )
    round: int = Field(0, description="0 for a posted job, 1.. for its re-offer rounds")
    latest: int = Field(0, description="a posted job: its latest round's id (0 while none)")
    open_rounds: int = Field(0, description="a posted job: its rounds bidding or with open seats")
    max_rounds: int = Field(0, description="a posted job: the re-offer rounds it may have")
    rounds_left: int = Field(0, description="a posted job: rounds that may still open")
    final_deadline: int = Field(0, description="a posted job: no round opens after it (0: none)")
    reserve: Wei = Field(
        0, description="a posted job: its escrow no seat is owed, which funds its next rounds"
    )
    next_max_price_per_tile: Wei = Field(
        0, description="a posted job: the most its next round pays per tile"
    )
    unsold: list[TileRange] = Field(
        default_factory=list, description="a posted job: its tiles waiting for a round"
    )
    offered: list[TileRange] = Field(
        default_factory=list, description="a round: the tiles it re-offers"
    )


class JobList(Page):
    items: list[JobSummary]


class JobStatusPublic(RowBody):
    """The compact status a page polls."""

    job_id: int
    status: str
    tile_count: int
    tiles_assigned: int
    tiles_submitted: int = Field(
        description="tiles whose results were committed (a Merkle root), in any state since"
    )
    tiles_accepted: int = Field(
        description="tiles a verdict accepted (seats Accepted or Paid): verified, ready to assemble"
    )
    tiles_paid: int = Field(description="accepted tiles whose pay was released (seats Paid)")
    tiles_rejected: int
    escrow: Wei
    updated_block: int
    indexed_block: int = Field(description="the last block the indexer has applied")


class PanelMemberPublic(RowBody):
    address: Address
    state: Literal["drawn", "sealed", "revealed", "silent"] = Field(
        description="drawn: no vote sealed yet; sealed: committed, not revealed; revealed; "
        "silent: the dispute was resolved without its revealed vote"
    )
    fraud: bool | None = Field(description="its revealed vote, when revealed")


class PanelPayPublic(RowBody):
    """`PanelPaid`: the fee shared by the members who revealed, the forfeited stakes of silent
    and outvoted members shared by those who revealed for the outcome, the rest to `beneficiary`."""

    beneficiary: Address = Field(
        description="the artist on fraud, else the worker; on a challenge the challenger when "
        "upheld, else the verifier"
    )
    fee_each: Wei = Field(description="to every member who revealed a vote")
    bonds_each: Wei = Field(description="more to every member who revealed for the outcome")
    remainder: Wei = Field(description="rounding, or shares nobody could take, to beneficiary")
    forfeited: Wei = Field(description="what the silent and outvoted members were slashed")
    to_treasury: Wei = Field(
        description="the forfeited stakes, when no member revealed a vote for the outcome: "
        "they go to the treasury, not to the side the panel's silence favoured"
    )


class DisputePublic(RowBody):
    disputer: Address
    kind: Literal["appeal", "contest", "challenge"] = Field(
        description="appeal: the worker appealed a fail; contest: the artist contested a pass "
        "(the tiles are fraudulent); challenge: anyone else challenged a pass as contradicting "
        "its verifier's own sealed evidence (the panel recomputes the verdict without "
        "rendering; fraud: true means contradicted)"
    )
    appeal: bool = Field(description="kind == appeal")
    bond: Wei
    reason_cid: str
    anchor_block: int
    deadline: int
    panel: list[Address]
    committed: list[Address] = Field(
        description="panel members who sealed a vote (commit), in panel order"
    )
    votes: dict[str, bool] = Field(description="panel member -> revealed a fraud vote")
    members: list[PanelMemberPublic] = Field(description="each panel member and where it stands")
    resolved: bool
    fraud: bool | None = Field(
        description="the verdict: fraudulent tiles (appeal, contest), or a pass contradicted by "
        "its evidence (challenge)"
    )
    pay: PanelPayPublic | None = Field(description="the panel's pay, once resolved (PanelPaid)")


class VerificationPublic(RowBody):
    """The current verification round (a new round clears the draw, the seal and the verdict)."""

    verifier: Address | None
    round: int
    anchor_block: int
    seed: Hex32 | None = Field(None, description="the draw's seed; it also selects the patches")
    evidence_seal: Hex32 | None = Field(
        None,
        description="the seal of the verifier's evidence (EvidenceSealed), made before the "
        "worker revealed its results: keccak256(abi.encode(jobId, worker, verifier, "
        "evidenceCid))",
    )
    attested_by: Address | None
    passed: bool | None
    evidence_cid: str | None = Field(description="the sealed evidence the verdict names")
    deadline: int = Field(
        description="when the current step's window closes: the draw's, the seal's, the "
        "reveal's, the verdict's or the contest window"
    )


# The contract's SeatState names (tilefarm.adapters.chain.records.SEAT_STATES).
SEAT_STATE_DESCRIPTION = (
    "the contract's SeatState name: None (a sealed bid), Revealed, Outbid, Assigned, Submitted "
    "(Merkle root committed), Sealed (the verifier sealed its evidence; the worker must reveal), "
    "Opened (results revealed; the verifier must attest), Accepted (pay held for the contest "
    "window), Failed, Disputed (an appeal), Contested (the artist's contest), Challenged (a pass "
    "challenged as contradicting its evidence), Rejected, TimedOut, Reclaimed, Unverified, Paid, "
    "Forfeited"
)


CAUSE_DESCRIPTION = (
    "why the worker gave the seat back (SeatAbandoned; the seat is then TimedOut, as a late "
    "one), as `cause_text` says it: "
    + "; ".join(f"{cause.value}: {cause.describe()}" for cause in AbandonCause)
    + "; null unless it did"
)
CAUSE_TEXT_DESCRIPTION = (
    f"the cause in words (for {AbandonCause.GPU_OUT_OF_MEMORY.value}: "
    f"{AbandonCause.GPU_OUT_OF_MEMORY.describe()})"
)


class SeatPublic(RowBody):
    """One worker's assignment: its tile range, results commitment, verification and pay."""

    worker: Address
    state: str = Field(description=SEAT_STATE_DESCRIPTION)
    price_per_tile: Wei
    first_tile: int
    tile_count: int
    last_tile: int | None
    merkle_root: Hex32 | None = Field(description="the committed Merkle root, once committed")
    results_cid: str | None = Field(
        description="the results list the worker revealed (its latest ResultsRevealed), null "
        "until revealed: verification is blind, so the tiles stay hidden until the verifier "
        "sealed its evidence"
    )
    verification: VerificationPublic
    dispute: DisputePublic | None
    payment: Wei = Field(description="credited to the worker at release (state Paid)")
    verifier_fee: Wei = Field(description="credited to the verifier at release or rejection")
    slashed: Wei
    cause: int | None = Field(None, description=CAUSE_DESCRIPTION)
    cause_text: str | None = Field(None, description=CAUSE_TEXT_DESCRIPTION)


class BidPublic(RowBody):
    bidder: Address
    commitment: Hex32
    committed_block: int
    declared_tiles: int = Field(description="the tile count the sealed bid declared in the open")
    collateral: Wei = Field(
        description="the stake the sealed bid locked (its declared tiles at the job's maximum "
        "price) until revealed; forfeited to the artist if it never is"
    )
    revealed: bool
    price_per_tile: Wei | None
    tile_count: int | None
    outcome: str = Field(
        description="the seat's state: None (sealed), Revealed, Outbid, ..., Forfeited (never "
        "revealed: its collateral was slashed to the artist)"
    )
    forfeited: Wei = Field(description="slashed to the artist when the bid was forfeited")


class LedgerEntryPublic(RowBody):
    block_number: int
    log_index: int
    round_id: int = Field(
        0, description="the job the event named: a re-offer round's id, or the posted job's"
    )
    direction: str = Field(description="in: paid into the job; out: credited from it")
    party: Address
    role: str
    reason: str
    amount: Wei


class EventPublic(RowBody):
    block_number: int
    log_index: int
    tx_hash: Hex32
    timestamp: int
    name: str = Field(description="the contract's event name")
    job_id: int | None
    actor: Address | None
    args: dict[str, Any]


class EventList(Page):
    items: list[EventPublic]


class RoundPublic(RowBody):
    """One re-offer round of a posted job (its own job id: see `/api/jobs/{round_id}`)."""

    round_id: int
    round: int
    status: str = Field(description="the contract's JobStatus name")
    tiles: int = Field(description="tiles it re-offers")
    max_price_per_tile: Wei
    paid: Wei = Field(description="paid to its workers")
    tiles_paid: int = Field(description="of its tiles, those whose pay was released")


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
    rounds: list[RoundPublic] = Field(
        default_factory=list, description="a posted job: its re-offer rounds, in order"
    )


class WorkerSummary(RowBody):
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
    backend: BackendClass | None = Field(
        None, description="the Cycles backend it declared it renders on; null: never declared"
    )
    vram_mib: int = Field(0, description="the GPU memory it declared, in MiB (0 for the CPU)")


class WorkerList(Page):
    items: list[WorkerSummary]


class WorkerJob(RowBody):
    job_id: int
    state: str = Field(description=SEAT_STATE_DESCRIPTION)
    first_tile: int
    tile_count: int
    price_per_tile: Wei
    payment: Wei
    slashed: Wei
    cause: int | None = Field(None, description=CAUSE_DESCRIPTION)
    cause_text: str | None = Field(None, description=CAUSE_TEXT_DESCRIPTION)


class WorkerVerification(RowBody):
    job_id: int
    worker: Address
    passed: bool | None
    evidence_cid: str | None
    fee: Wei


class WorkerDetail(WorkerSummary):
    jobs: list[WorkerJob] = Field(description="its latest seats, newest job first (at most 200)")
    jobs_total: int = Field(description="how many seats it has had in all")
    verifications: list[WorkerVerification] = Field(
        description="the latest seats it verified, newest job first (at most 200)"
    )
    verifications_total: int = Field(description="how many seats it has verified in all")
    history: list[EventPublic] = Field(description="its latest events, newest first (at most 200)")


class WinningBid(RowBody):
    job_id: int
    worker: Address
    price_per_tile: Wei
    tile_count: int
    block_number: int
    timestamp: int


class PriceList(RowBody):
    items: list[WinningBid]
    median_price_per_tile: Wei | None
    tiles: int = Field(description="tiles behind the median (weighted by tile count)")


class Estimate(RowBody):
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


class JobLedger(RowBody):
    """Where one posted job's money came from and went, its rounds' included (the posted job's
    escrow holds them); `paid_in == paid_out + held`."""

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
        description="what the artist got back of its escrow at cancellation and completion; "
        "part of to_artist, which also counts the bonds of unrevealed bids, a false pass's "
        "slash and its own dispute bond back"
    )
    forfeits: Wei = Field(
        description="the collateral of sealed bids never revealed, slashed to the artist "
        "(forfeitBid); part of to_artist"
    )
    to_workers: Wei
    to_verifiers: Wei
    to_treasury: Wei
    protocol_fee: Wei = Field(description="the protocol fee; part of to_treasury")
    panels_to_treasury: Wei = Field(
        description="stakes forfeited by panels where no member revealed a vote for the outcome; "
        "part of to_treasury"
    )
    to_bidders: Wei = Field(description="bid bonds returned")
    to_drawers: Wei = Field(description="draw bounties: whoever drew a seat's verifier")
    to_panels: Wei = Field(
        description="dispute panels: each revealed member's share of the panel fee, and the "
        "stakes forfeited by silent and outvoted members to those who voted for the outcome"
    )
    to_challengers: Wei = Field(
        description="challengers of a pass that contradicted its evidence: their bond back and "
        "the verifier's slash less the panel's fee, when upheld"
    )
    held: Wei = Field(description="still in the job: escrow, unrevealed bonds, open dispute bonds")
    balanced: bool = Field(
        description="paid_in == paid_out + held, held == what the job holds, and no tile was "
        "paid twice"
    )
    top_ups: Wei = Field(0, description="added to the reserve by the artist; part of paid_in")
    unrevealed_bonds: Wei = Field(
        0,
        description="bonds of bids never revealed, the artist's at settlement; part of to_artist",
    )
    to_openers: Wei = Field(0, description="bounties of whoever opened a re-offer round")
    rounds: int = Field(0, description="re-offer rounds opened")
    tiles_paid_twice: list[int] = Field(
        default_factory=list, description="tiles two paid seats of its rounds hold (none)"
    )


class Ledger(Page):
    items: list[JobLedger]
    paid_in: Wei
    paid_out: Wei
    held: Wei


class JobLedgerDetail(JobLedger):
    entries: list[LedgerEntryPublic]


class IndexerStatus(RowBody):
    enabled: bool
    market: Address | None
    next_block: int
    head: int
    lag_blocks: int
    error: str | None
