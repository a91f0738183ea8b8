"""Which frames of a job can be assembled: pure arithmetic over the job's tile ranges.

The chain numbers a job's tiles `0 .. frames * tiles_per_frame - 1`, frame-major
(`tilefarm.job_tiles`): the frame at position `p` of the manifest's frame list is made of job
tiles `p * tiles_per_frame .. (p + 1) * tiles_per_frame - 1`. A frame is ready once every one of
those tiles lies in an assignment whose results were accepted on chain, in whichever of the job's
rounds it was sold. Once the job has ended (no round may deliver more), every frame is due: the
tiles no round delivered are missing for good, and the frame is assembled without them.
"""

from collections.abc import Iterable

# Seat states whose tiles a verdict accepted: Accepted (pay held for the contest window) and Paid.
# Not Unverified (every verifier stayed silent) nor TimedOut (late, or the draw was missed).
VERIFIED_STATES = ("Accepted", "Paid")


def frame_range(position: int, tiles_per_frame: int) -> range:
    """The job tiles of the frame at `position`."""
    return range(position * tiles_per_frame, (position + 1) * tiles_per_frame)


def covered(accepted: Iterable[tuple[int, int]]) -> set[int]:
    """Job tiles inside the accepted assignments `(first_tile, tile_count)`."""
    tiles: set[int] = set()
    for first, count in accepted:
        tiles.update(range(first, first + count))
    return tiles


def ready_positions(
    frame_count: int, tiles_per_frame: int, accepted: Iterable[tuple[int, int]]
) -> list[int]:
    """Positions (in the manifest's frame list) of the frames whose tiles are all accepted."""
    return [p for p, _ in due_frames(frame_count, tiles_per_frame, accepted, ended=False)]


def seats_of_frame(
    position: int, tiles_per_frame: int, seats: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The assignments `(first_tile, tile_count)` holding at least one tile of the frame."""
    wanted = frame_range(position, tiles_per_frame)
    return [
        (first, count)
        for first, count in seats
        if first < wanted.stop and first + count > wanted.start
    ]


def due_frames(
    frame_count: int, tiles_per_frame: int, accepted: Iterable[tuple[int, int]], ended: bool
) -> list[tuple[int, list[int]]]:
    """`(position, missing)` of every frame to assemble: the ready frames (nothing missing) and,
    once the job has `ended`, every other frame with its missing tiles (indices in the frame)."""
    tiles = covered(accepted)
    due = []
    for p in range(frame_count):
        wanted = frame_range(p, tiles_per_frame)
        missing = [t - wanted.start for t in wanted if t not in tiles]
        if not missing or ended:
            due.append((p, missing))
    return due
