"""The parts of an audit report: checks, seats and frames (`tilefarm.checks.audit.job.AuditReport`
puts them together with the job's books)."""

from typing import Literal

from pydantic import BaseModel, Field

CheckKind = Literal[
    "chain", "manifest", "results", "merkle", "tiles", "evidence", "rerender", "frames", "money",
    "rounds",
]  # fmt: skip


class Check(BaseModel):
    """One check: what was checked, whether it held, and what was found."""

    kind: CheckKind
    name: str
    ok: bool
    detail: str


class SeatAudit(BaseModel):
    """One worker's assignment and what the chain and IPFS say about it."""

    worker: str
    job_id: int = Field(0, description="the job the seat is in: the posted job or a round of it")
    round: int = Field(0, description="0 for the posted job's own sale, 1.. for its rounds")
    first_tile: int
    tile_count: int
    price_per_tile: str
    state: str = Field(description="the contract's seat state now")
    results_cid: str | None = Field(
        None, description="the results list the worker revealed last (none until revealed)"
    )
    merkle_root: str | None = Field(None, description="the committed Merkle root")
    verifier: str | None = None
    seed: str | None = None
    passed: bool | None = Field(None, description="the attested verdict, if any")
    evidence_cids: list[str] = []


class FrameAudit(BaseModel):
    """A frame recomputed from its committed tiles: the CIDs its files must have."""

    frame: int
    png_cid: str | None = None
    exr_cid: str | None = None
    claimed_png_cid: str | None = None
    claimed_exr_cid: str | None = None
    note: str = ""


class FrameClaim(BaseModel):
    """What a server says it stored for a frame (checked against the recomputed CIDs)."""

    frame: int
    png_cid: str | None
    exr_cid: str | None
