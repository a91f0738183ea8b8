"""What the demo prints at the end (as a table, or `--json`): the job's tiles, workers, prices,
verifications, gas and time, and where its final frames are."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from web3 import Web3


class WorkerResult(BaseModel):
    address: str
    round: int = 0  # the job's round the seat was sold in (0: the first)
    tiles: str
    tile_count: int
    frames: list[int]
    price_per_tile_wei: int
    paid_wei: int
    state: str
    verified_by: str | None
    verdict: str
    verifier_fee_wei: int


class FrameResult(BaseModel):
    frame: int
    status: str
    missing_tiles: list[int] = []  # tiles of its grid no round delivered (transparent)
    png_cid: str | None = None
    exr_cid: str | None = None
    png_file: Path | None = None
    exr_file: Path | None = None
    png_url: str | None = None
    exr_url: str | None = None


class TileRound(BaseModel):
    """Where one tile of the job ended: the round that sold it, its worker and seat state."""

    tile: int
    frame: int
    round: int
    worker: str
    state: str


class KilledWorker(BaseModel):
    number: int
    address: str
    after_seconds: float | None  # from posting; None if it never won tiles to be killed with


class GasUsed(BaseModel):
    transactions: int
    gas_used: int
    gas_per_tile: float
    by_event: dict[str, int]


class DemoSummary(BaseModel):
    job_id: int
    status: str
    server_url: str
    page_url: str
    job_api_url: str
    scene: str
    scene_cid: str
    manifest_cid: str
    frames: list[int]
    resolution: str
    tile_grid: str
    samples: int
    tiles: int
    artist: str
    deposit_wei: int
    paid_to_workers_wei: int
    paid_to_verifiers_wei: int
    refunded_wei: int | None
    workers: list[WorkerResult]
    gas: GasUsed
    wall_seconds: float
    seconds_from_post: dict[str, float]
    frame_files: list[FrameResult]
    frames_complete: bool  # every frame assembled with every one of its tiles
    tiles_by_round: list[TileRound]
    rounds: int  # re-offer rounds the job needed
    killed_worker: KilledWorker | None
    # Each party's IPFS node (Kubo RPC API); the artist talks HTTP to the server and has none.
    ipfs_nodes: dict[str, str] = {}
    notes: list[str]
    logs: Path


def _frames_of(first: int, count: int, frames: list[int], per_frame: int) -> list[int]:
    return sorted({frames[t // per_frame] for t in range(first, first + count)})


def worker_results(
    detail: Mapping[str, Any], frames: list[int], per_frame: int
) -> list[WorkerResult]:
    out = []
    for seat in detail["seats"]:
        first, count = int(seat["first_tile"]), int(seat["tile_count"])
        verification = seat["verification"]
        passed = verification.get("passed")
        verdict = "not checked" if passed is None else ("passed" if passed else "FAILED")
        out.append(
            WorkerResult(
                address=seat["worker"],
                round=int(seat.get("round", 0)),
                tiles=f"{first}-{first + count - 1}",
                tile_count=count,
                frames=_frames_of(first, count, frames, per_frame),
                price_per_tile_wei=int(seat["price_per_tile"]),
                paid_wei=int(seat["payment"]),
                state=seat["state"],
                verified_by=verification.get("attested_by") or verification.get("verifier"),
                verdict=verdict,
                verifier_fee_wei=int(seat["verifier_fee"]),
            )
        )
    return out


DELIVERED = ("Accepted", "Paid")


def tile_rounds(detail: Mapping[str, Any], frames: list[int], per_frame: int) -> list[TileRound]:
    """Each delivered tile of the job (seats of every round, accepted or paid), in tile order."""
    out = []
    for seat in detail["seats"]:
        if seat["state"] not in DELIVERED:
            continue
        first, count = int(seat["first_tile"]), int(seat["tile_count"])
        for t in range(first, first + count):
            where = {"frame": frames[t // per_frame], "round": int(seat.get("round", 0))}
            out.append(TileRound(tile=t, worker=seat["worker"], state=seat["state"], **where))
    return sorted(out, key=lambda t: t.tile)


def gas_used(w3: Web3, detail: Mapping[str, Any], tiles: int) -> GasUsed:
    """Gas of every transaction that emitted one of the job's events, from their receipts."""
    first_event: dict[str, str] = {}
    for event in detail["events"]:
        first_event.setdefault(event["tx_hash"], event["name"])
    total = 0
    by_event: dict[str, int] = {}
    for tx_hash, name in first_event.items():
        gas = int(w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])  # type: ignore[arg-type]
        total += gas
        by_event[name] = by_event.get(name, 0) + gas
    return GasUsed(
        transactions=len(first_event),
        gas_used=total,
        gas_per_tile=round(total / tiles, 1) if tiles else 0.0,
        by_event=by_event,
    )
