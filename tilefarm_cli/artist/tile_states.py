"""Where a job stands, tile by tile, from what the server says of it (`/api/jobs/{id}` with its
rounds' seats, `/frames`, `/film`), and whether watching it is over. Pure: no HTTP here.

A tile is counted in every state it has passed: sold (a seat holds it), committed (its worker's
Merkle root is on chain), revealed (its results are readable on IPFS) and verified (a verifier's
pass accepted it). What a worker rendered but has not committed is known only to that worker. A
seat whose tiles went back on the market (late, rejected, unverified) counts for nothing: a later
round sells those tiles again, by the same indices.
"""

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from tilefarm_cli.artist.answers import FilmAnswer, FrameAnswer, JobAnswer, SeatAnswer

VERIFIED = frozenset({"Accepted", "Paid"})
REVEALED = VERIFIED | {"Opened", "Failed", "Disputed", "Contested", "Challenged"}
COMMITTED = REVEALED | {"Submitted", "Sealed", "Rejected", "Unverified"}
SOLD = COMMITTED | {"Assigned", "TimedOut"}
RETURNED = frozenset({"TimedOut", "Rejected", "Unverified"})
TERMINAL = frozenset({"Completed", "Cancelled", "Expired"})
# Film states (`FilmPublic.status`) after which nothing more comes.
FILM_SETTLED = frozenset({"none", "ready", "failed"})

Until = Literal["frames", "completed"]


class JobState(BaseModel):
    """One look at a job. `done` once watching it is over (see `finish`), `ok` whether it ended
    with every frame whole (and its film, when it has one)."""

    job_id: int
    status: str
    stage: str
    tiles: int
    sold: int
    committed: int
    revealed: int
    verified: int
    frames: int
    frames_assembled: int
    frames_with_holes: list[int]
    film: str | None  # the film's status; None for one frame, or a server that makes no films
    film_error: str | None = None
    eta_seconds: float | None = None
    done: bool = False
    ok: bool | None = None
    message: str | None = None

    def change_key(self) -> tuple[Any, ...]:
        """What a change is made of (the estimate moves on every look; it is no change)."""
        return tuple(v for k, v in self.model_dump().items() if k != "eta_seconds")


def tile_counts(seats: Sequence[SeatAnswer]) -> dict[str, int]:
    """Tiles sold, committed, revealed and verified over a job's seats (every round's)."""
    counts = {"sold": 0, "committed": 0, "revealed": 0, "verified": 0}
    for seat in seats:
        if seat.state in RETURNED:
            continue
        for name, states in (
            ("sold", SOLD), ("committed", COMMITTED), ("revealed", REVEALED), ("verified", VERIFIED)
        ):  # fmt: skip
            if seat.state in states or (name == "revealed" and seat.results_cid):
                counts[name] += seat.tile_count
    return counts


def job_state(
    detail: JobAnswer, frames: Sequence[FrameAnswer], film: FilmAnswer | None
) -> JobState:
    """The job's state from its detail (seats of every round), frames and film (None: no film)."""
    assembled = [f for f in frames if f.status == "assembled"]
    state = JobState(
        job_id=detail.job_id,
        status=detail.status,
        stage="",
        tiles=detail.tile_count,
        frames=detail.frame_count or len(frames),
        frames_assembled=len(assembled),
        frames_with_holes=[f.frame for f in assembled if f.missing_tiles],
        film=film.status if film is not None else None,
        film_error=film.error if film is not None else None,
        **tile_counts(detail.seats),
    )
    state.stage = stage(state, detail.commits, detail.reveals)
    return state


def stage(s: JobState, bids: int, reveals: int) -> str:
    """The job's stage in a few words."""
    if s.status == "Bidding":
        if reveals:
            return f"bids being opened ({reveals} of {bids} revealed)"
        return f"taking sealed bids ({bids} so far)" if bids else "waiting for bids"
    if s.status in ("Cancelled", "Expired"):
        return "cancelled" if s.status == "Cancelled" else "expired: no bid bought it"
    if s.verified < s.tiles and s.status != "Completed":
        if s.sold < s.tiles:
            return "rendering; unsold tiles go back on the market"
        return "rendering" if s.committed == 0 else "rendering and verifying"
    if s.frames_assembled < s.frames:
        return "assembling frames"
    if s.film is not None and s.film not in FILM_SETTLED:
        return "encoding the film"
    return (
        "completed" if s.status == "Completed" else "frames done; pay waits for the contest window"
    )


def finish(s: JobState, until: Until = "frames") -> JobState:
    """`s` with `done`, `ok` and `message` set: over once every frame is assembled (and the film
    made, when there is one), or with `until="completed"` once the job is also completed on
    chain; over at once, not ok, when the job was cancelled or expired."""
    if s.status in ("Cancelled", "Expired"):
        return s.model_copy(
            update={"done": True, "ok": False, "message": f"job {s.job_id} {s.stage}"}
        )
    frames_done = s.frames > 0 and s.frames_assembled == s.frames
    film_done = s.film is None or s.film in FILM_SETTLED
    if not (frames_done and film_done) or (until == "completed" and s.status != "Completed"):
        return s
    if s.frames_with_holes:
        message = (
            f"job {s.job_id} ended with tiles no round delivered, transparent in frames "
            f"{', '.join(map(str, s.frames_with_holes))}"
        )
        return s.model_copy(update={"done": True, "ok": False, "message": message})
    message = f"every frame of job {s.job_id} is assembled"
    if s.film == "ready":
        message += ", and its film is ready"
    elif s.film == "failed":
        message += f"; the server could not make its film ({s.film_error or 'no reason given'})"
    return s.model_copy(update={"done": True, "ok": True, "message": message})
