"""Where a job stands, frame by frame, from what the server says about it (`/api/jobs/{id}`)
and how many tiles each worker reports rendered. Pure: no HTTP, no chain."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from tilefarm_cli.artist.tile_states import COMMITTED, RETURNED, SOLD, VERIFIED

# The seat states a tile has passed, as `tilefarm watch` counts them.
ASSIGNED = SOLD
SUBMITTED = COMMITTED


class FrameProgress(BaseModel):
    frame: int
    tiles: int
    assigned: int = 0
    rendered: int = 0
    committed: int = 0
    verified: int = 0
    assembled: bool = False


class JobProgress(BaseModel):
    job_id: int
    status: str
    stage: str
    bids_sealed: int
    bids_revealed: int
    tiles_offered: int
    frames: list[FrameProgress]

    @property
    def tiles_verified(self) -> int:
        return sum(f.verified for f in self.frames)


def _overlap(first: int, count: int, start: int, size: int) -> int:
    return max(0, min(first + count, start + size) - max(first, start))


def job_progress(
    detail: Mapping[str, Any],
    frames: list[int],
    tiles_per_frame: int,
    rendered: Mapping[str, int],
    assembled: set[int],
) -> JobProgress:
    """Per-frame tile counts, over the seats of every round of the job. A worker renders its
    range in order, so its `rendered` count covers the first tiles of its range; committed
    results cover the whole range. A seat whose tiles went back to the market counts for none."""
    rows = [FrameProgress(frame=f, tiles=tiles_per_frame, assembled=f in assembled) for f in frames]
    for seat in detail.get("seats", []):
        state, first, count = seat["state"], int(seat["first_tile"]), int(seat["tile_count"])
        if state in RETURNED:
            continue
        done = count if state in SUBMITTED else min(int(rendered.get(seat["worker"], 0)), count)
        for position, row in enumerate(rows):
            start = position * tiles_per_frame
            if state in ASSIGNED:
                row.assigned += _overlap(first, count, start, tiles_per_frame)
            row.rendered += _overlap(first, done, start, tiles_per_frame)
            if state in SUBMITTED:
                row.committed += _overlap(first, count, start, tiles_per_frame)
            if state in VERIFIED:
                row.verified += _overlap(first, count, start, tiles_per_frame)
    bids = detail.get("bids", [])
    progress = JobProgress(
        job_id=int(detail["job_id"]),
        status=str(detail["status"]),
        stage="",
        bids_sealed=int(detail.get("commits", len(bids))),
        bids_revealed=sum(1 for b in bids if b.get("revealed")),
        tiles_offered=sum(int(b.get("tile_count") or 0) for b in bids if b.get("revealed")),
        frames=rows,
    )
    progress.stage = stage(progress)
    return progress


def stage(p: JobProgress) -> str:
    """The job's stage in a few words."""
    total = sum(f.tiles for f in p.frames)
    if p.status == "Bidding":
        return "sealed bids" if p.bids_revealed == 0 else "revealing bids"
    if p.status in ("Cancelled", "Expired"):
        return p.status.lower()
    committed = sum(f.committed for f in p.frames)
    if p.status == "Active":
        if committed < total:
            return "rendering" if committed == 0 else "rendering and verifying"
        return "verifying"
    if not all(f.assembled for f in p.frames):
        return "assembling frames"
    return "done"
