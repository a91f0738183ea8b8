"""A submitted scene's job as the panel shows it, from the server's answers. Plain Python, no
bpy (tests/addon checks it).

The add-on uploads the scene; the artist posts the job from the page (the wallet signs there),
so the add-on learns of the job by asking for the jobs of its scene (`GET /api/jobs?scene_cid=`),
keeps those that may be this submission's (`job_choice`) and asks for the followed one's tiles
(`GET /api/jobs/{id}/status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .job_choice import Candidate, short_address

FINISHED = ("Completed", "Cancelled", "Expired")
NO_JOB = "No job yet: post it on the job page (your wallet signs it there)"


@dataclass(frozen=True)
class Progress:
    """What the panel shows of the submission's job: `job_id` None while none is followed (none
    posted yet, or several to choose from: `candidates`, the jobs posted since the upload)."""

    job_id: int | None
    status: str
    artist: str = ""
    tile_count: int = 0
    tiles_assigned: int = 0
    tiles_submitted: int = 0
    tiles_accepted: int = 0
    tiles_rejected: int = 0
    candidates: tuple[Candidate, ...] = ()
    # Whether only the artist's own jobs were asked for ("Your address" is set).
    by_artist: bool = False

    @property
    def finished(self) -> bool:
        """Nothing more will happen to the job: the panel stops asking."""
        return self.status in FINISHED

    @property
    def fraction(self) -> float:
        """Tiles verified, of all the job's tiles (0..1)."""
        return self.tiles_accepted / self.tile_count if self.tile_count else 0.0

    @property
    def choosing(self) -> bool:
        """Several jobs may be the artist's: the panel lists them to choose from."""
        return len(self.candidates) > 1

    def lines(self) -> list[str]:
        """The panel's lines (the candidates themselves are its buttons)."""
        ask = [] if self.by_artist else [
            "Set Your address in the add-on's preferences to see only your jobs"
        ]  # fmt: skip
        if self.job_id is None:
            if not self.candidates:
                return [NO_JOB]
            head = f"{len(self.candidates)} jobs of this scene were posted since the upload"
            return [f"{head}: choose yours", *ask]
        head = f"Job {self.job_id} by {short_address(self.artist)}: {self.status}"
        if self.choosing:
            head += f" (your choice of {len(self.candidates)} jobs posted since the upload)"
        tiles = (
            f"{self.tiles_accepted} of {self.tile_count} tiles verified, "
            f"{self.tiles_submitted} rendered, {self.tiles_assigned} sold"
        )
        rejected = [f"{self.tiles_rejected} rejected"] if self.tiles_rejected else []
        return [head, tiles, *rejected]


def summarise(
    found: list[Candidate],
    job: Candidate | None,
    status: dict[str, Any] | None,
    *,
    by_artist: bool = False,
) -> Progress:
    """What the panel shows: the `found` candidates and the followed `job` among them (None:
    none to follow) with its `status` (a `JobStatusPublic`; None when it was not asked)."""
    if job is None:
        return Progress(job_id=None, status="waiting", candidates=tuple(found), by_artist=by_artist)
    body = status if status is not None and status.get("job_id") == job.job_id else {}
    return Progress(
        job_id=job.job_id,
        status=str(body.get("status", job.status)),
        artist=job.artist,
        tile_count=int(body.get("tile_count", job.tile_count)),
        tiles_assigned=int(body.get("tiles_assigned", 0)),
        tiles_submitted=int(body.get("tiles_submitted", 0)),
        tiles_accepted=int(body.get("tiles_accepted", 0)),
        tiles_rejected=int(body.get("tiles_rejected", 0)),
        candidates=tuple(found),
        by_artist=by_artist,
    )
