"""Which of a scene's jobs are this submission's. Plain Python, no bpy (tests/addon checks it).

The add-on uploads the scene and the artist posts the job from the page, where the wallet signs:
the add-on never learns the job's id. It asks for the jobs whose manifest renders the scene
(`GET /api/jobs?scene_cid=`), but anyone may post a job naming a scene's CID (it is public once
uploaded), and the same scene uploaded twice has the same CID, so that list can hold jobs that
are not the artist's. The panel therefore takes only:

- jobs posted after this upload: in a block after the last one the server's indexer had seen
  when the upload began (`GET /api/indexer`). Block numbers, not clocks: the artist's clock and
  the chain's time need not agree;
- where the artist gave their address (the add-on's preference "Your address"), only jobs that
  address posted (asked of the server too, so that other people's jobs cannot crowd it out).

One such job is followed; several are listed for the artist to choose from, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import AddonError

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def artist_address(text: str) -> str | None:
    """The "Your address" preference as an address (None when empty); anything else is an
    error that says what to write."""
    text = text.strip()
    if not text:
        return None
    if ADDRESS.fullmatch(text) is None:
        raise AddonError(
            f"Your address {text!r} (the add-on's preferences) is not an Ethereum address: "
            "write the wallet's address (0x and 40 hex digits), or clear it to see every job "
            "of the scene"
        )
    return text


def short_address(address: str) -> str:
    """`0x7099...79C8`: enough to tell addresses apart in a narrow panel."""
    return f"{address[:6]}...{address[-4:]}" if len(address) > 12 else address


@dataclass(frozen=True)
class Scope:
    """The jobs that may be this submission's: posted after block `since_block`, by `artist`
    when it is known."""

    since_block: int
    artist: str | None = None

    def admits(self, job: dict[str, Any]) -> bool:
        if int(job["posted_block"]) <= self.since_block:
            return False
        return self.artist is None or str(job["artist"]).lower() == self.artist.lower()


@dataclass(frozen=True)
class Candidate:
    """A job of the scene posted since the upload, as the panel lists it."""

    job_id: int
    artist: str
    status: str
    tile_count: int

    def line(self) -> str:
        tiles = f"{self.tile_count} tile{'' if self.tile_count == 1 else 's'}"
        return f"Job {self.job_id} by {short_address(self.artist)}: {self.status}, {tiles}"


def candidates(jobs: dict[str, Any], scope: Scope) -> list[Candidate]:
    """The jobs of a `JobList` (newest first) that `scope` admits, newest first."""
    return [
        Candidate(
            job_id=int(job["job_id"]),
            artist=str(job["artist"]),
            status=str(job["status"]),
            tile_count=int(job["tile_count"]),
        )
        for job in jobs.get("items") or []
        if scope.admits(job)
    ]


def followed(found: Sequence[Candidate], chosen: int | None) -> Candidate | None:
    """The job to follow: the one the artist chose (while it is still a candidate), else the
    only candidate; None while there is none, or several and no choice."""
    if chosen is not None:
        return next((c for c in found if c.job_id == chosen), None)
    return found[0] if len(found) == 1 else None
