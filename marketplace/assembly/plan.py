"""Which frames of a job can be assembled: pure arithmetic over the job's tile ranges.

The chain numbers a job's tiles `0 .. frames * tiles_per_frame - 1`, frame-major
(`tilefarm.job_tiles`): the frame at position `p` of the manifest's frame list is made of job
tiles `p * tiles_per_frame .. (p + 1) * tiles_per_frame - 1`. A frame is ready once every one of
those tiles lies in an assignment whose results were accepted on chain.
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
    tiles = covered(accepted)
    return [
        p for p in range(frame_count) if all(t in tiles for t in frame_range(p, tiles_per_frame))
    ]


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
