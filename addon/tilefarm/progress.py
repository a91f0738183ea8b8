"""A submitted scene's job as the panel shows it, from the server's answers. Plain Python, no
bpy (tests/addon checks it).

The add-on uploads the scene; the artist posts the job from the page (the wallet signs there),
so the add-on learns of the job by asking for the jobs of its scene (`GET /api/jobs?scene_cid=`)
and then for the newest one's tiles (`GET /api/jobs/{id}/status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FINISHED = ("Completed", "Cancelled", "Expired")


@dataclass(frozen=True)
class Progress:
    """What the panel shows of a scene's newest job; `job_id` None while none is posted."""

    job_id: int | None
    status: str
    tile_count: int = 0
    tiles_assigned: int = 0
    tiles_submitted: int = 0
    tiles_accepted: int = 0
    tiles_rejected: int = 0
    jobs: int = 0

    @property
    def finished(self) -> bool:
        """Nothing more will happen to the job: the panel stops asking."""
        return self.status in FINISHED

    @property
    def fraction(self) -> float:
        """Tiles verified, of all the job's tiles (0..1)."""
        return self.tiles_accepted / self.tile_count if self.tile_count else 0.0

    def lines(self) -> list[str]:
        """The panel's lines."""
        if self.job_id is None:
            return ["No job yet: post it on the job page (your wallet signs it there)"]
        head = f"Job {self.job_id}: {self.status}"
        if self.jobs > 1:
            head += f" (the newest of {self.jobs} jobs of this scene)"
        tiles = (
            f"{self.tiles_accepted} of {self.tile_count} tiles verified, "
            f"{self.tiles_submitted} rendered, {self.tiles_assigned} sold"
        )
        rejected = [f"{self.tiles_rejected} rejected"] if self.tiles_rejected else []
        return [head, tiles, *rejected]


def summarise(jobs: dict[str, Any], status: dict[str, Any] | None) -> Progress:
    """The newest job of `jobs` (a `JobList`) with its `status` (a `JobStatusPublic`, None when
    there is no job or it was not asked)."""
    items = jobs.get("items") or []
    if not items:
        return Progress(job_id=None, status="waiting")
    newest = items[0]
    body = status if status is not None and status.get("job_id") == newest["job_id"] else {}
    return Progress(
        job_id=int(newest["job_id"]),
        status=str(body.get("status", newest["status"])),
        tile_count=int(body.get("tile_count", newest["tile_count"])),
        tiles_assigned=int(body.get("tiles_assigned", 0)),
        tiles_submitted=int(body.get("tiles_submitted", 0)),
        tiles_accepted=int(body.get("tiles_accepted", 0)),
        tiles_rejected=int(body.get("tiles_rejected", 0)),
        jobs=int(jobs.get("total", len(items))),
    )
