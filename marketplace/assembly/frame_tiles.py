"""A frame's tiles, read for the assembler from the seats that hold them, as the previews read
them (`seat_reads`): through a client of their own that waits a short while for each answer,
each read with a deadline for the whole of it, and every results list and tile checked against
what its worker committed (`tilefarm.checks.verification.committed`).

A seat whose files cannot be used is put off on its own (`SeatFailed`, `FrameTiles.put_off`:
30 s, doubling up to 10 min), and only the frames that need its tiles wait with it. A worker
gone offline costs one short wait per back-off, not one per frame and scan.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from marketplace.assembly.plan import frame_range
from marketplace.assembly.revealed import Source
from marketplace.assembly.seat_reads import (
    ResultsCache,
    reader,
    seat_waits,
    tile_deadline,
    unreadable,
)
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable, KuboClient
from tilefarm.checks.verification import CommittedResultsInvalid, fetch_tile
from tilefarm.manifest import RenderManifest
from tilefarm.results import ResultsList


class SeatFailed(Exception):
    """A seat's results list or tiles could not be used now (`cause` says why)."""

    def __init__(self, source: Source, cause: Exception) -> None:
        super().__init__(str(cause))
        self.source, self.cause = source, cause

    @property
    def unreadable(self) -> bool:
        """Whether its files were only not served (which may change), rather than not what its
        worker committed."""
        return unreadable(self.cause)


class NodeDown(Exception):
    """The server's own IPFS node does not answer: no seat can be read now."""


class FrameTiles:
    """Reads frames' tiles from their seats, and keeps which seats are put off."""

    def __init__(self, ipfs: KuboClient, timeout: float, first_wait: float) -> None:
        """Reads through a client of `ipfs`'s node that waits `timeout` for an answer (closed
        by `close`); a seat that fails waits `first_wait` seconds, doubling each time."""
        self.reader = reader(ipfs, timeout)
        self.results = ResultsCache(self.reader)
        self.seats = seat_waits(first_wait)

    def close(self) -> None:
        self.reader.close()

    def waiting(self, seats: list[Source]) -> bool:
        """Whether any of `seats` is put off (its frames wait with it)."""
        return any(self.seats.waiting(src.key) for src in seats)

    def read(
        self,
        manifest: RenderManifest,
        manifest_cid: str,
        position: int,
        seats: list[Source],
        scratch: Path,
    ) -> dict[int, Path]:
        """The tiles of the frame at `position` that `seats` hold, checked, as files in
        `scratch` by index in the frame's grid. Raises `SeatFailed` naming the seat."""
        wanted = frame_range(position, manifest.tile_count)
        rects = manifest.tiles()
        # Every results list first (each read once for all its frames): a seat not served is
        # then found before any other seat's tiles are read for nothing.
        lists: list[tuple[Source, ResultsList]] = []
        for src in seats:
            with _blaming(src):
                lists.append((src, self.results.get(src.commitment(manifest_cid))))
        files: dict[int, Path] = {}
        for src, results in lists:
            with _blaming(src):
                for tile in results.tiles:
                    if tile.index in wanted:
                        dest = scratch / f"{tile.index}.exr"
                        rect = rects[tile.index - wanted.start]
                        deadline = tile_deadline(rect)
                        fetch_tile(self.reader, tile, dest, rect.shape, deadline=deadline)
                        files[tile.index - wanted.start] = dest
            self.seats.succeeded(src.key)
        return files

    def put_off(self, failed: SeatFailed) -> float:
        """Put off the seat that `failed`; returns for how many seconds. Raises `NodeDown`
        instead when its files were not served because the server's own node does not
        answer."""
        if failed.unreadable and not self.node_answers():
            raise NodeDown(str(failed.cause)) from failed.cause
        return self.seats.failed(failed.source.key)

    def keep_only(self, keys: set[str]) -> None:
        """Forget the failures of seats other than `keys` (no frame needs them any more)."""
        self.seats.keep_only(keys)

    def take_due(self) -> bool:
        """Whether a seat's wait has ended since the last call (see `Waits.take_due`)."""
        return self.seats.take_due()

    def node_answers(self) -> bool:
        """Whether the server's own node answers at all."""
        try:
            self.reader.version()
        except IpfsError:
            return False
        return True


@contextmanager
def _blaming(src: Source) -> Iterator[None]:
    """Raise what goes wrong reading `src`'s files as `SeatFailed`."""
    try:
        yield
    except (IpfsUnavailable, CommittedResultsInvalid) as exc:
        raise SeatFailed(src, exc) from exc
