"""The tiles workers revealed before any verdict on them: which seats' tiles a preview shows, and
reading them into a frame through the assembler's own checks (`fetch_results`, `fetch_tile`), so
that a results list or tile that is not what its worker committed is never shown.

A revealed tile is unverified until a verdict accepts its seat, and may be a fraud's: the tiles of
a seat whose verdict failed it (Failed, Disputed, Rejected), that closed unverified or that timed
out are not shown at all, and those of a seat caught lying here are left out from then on.
"""

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.assembly.plan import VERIFIED_STATES
from marketplace.db.chain_models import JobView, SeatView
from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm.adapters.ipfs.errors import CidMismatch, ContentTooLarge
from tilefarm.checks.verification import CommittedResultsInvalid, fetch_results, fetch_tile
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import Pixels, canonical_pixels
from tilefarm.results import Commitment, ResultsList

log = logging.getLogger(__name__)

# Seats whose revealed tiles a preview shows: revealed and not (yet) refused by a verdict.
# Submitted and Sealed ones carry a CID revealed in an earlier verifier round; Contested and
# Challenged ones passed, and stand until a panel says otherwise.
SHOWN_STATES = ("Submitted", "Sealed", "Opened", "Contested", "Challenged", *VERIFIED_STATES)
RESULTS_CACHED = 64  # a seat's results list is read once for all the frames it covers


@dataclass(frozen=True)
class Source:
    """A seat whose worker revealed its results list: where a preview's tiles come from."""

    job_id: int  # the seat's job: the posted job or one of its rounds
    worker: str
    results_cid: str
    merkle_root: str
    first_tile: int
    tile_count: int
    verified: bool

    @property
    def key(self) -> str:
        return f"{self.job_id}:{self.worker}:{self.results_cid}"

    @classmethod
    def of(cls, seat: SeatView) -> "Source":
        assert seat.results_cid is not None
        return cls(
            seat.job_id, seat.worker, seat.results_cid, seat.hash, seat.first_tile,
            seat.tile_count, seat.state in VERIFIED_STATES,
        )  # fmt: skip


def shown_seats(session: Session, job_id: int) -> list[SeatView]:
    """The seats, of the job and of every round of it, whose revealed tiles a preview shows."""
    rounds = select(JobView.job_id).where(JobView.root == job_id)
    return list(
        session.scalars(
            select(SeatView)
            .where(
                (SeatView.job_id == job_id) | SeatView.job_id.in_(rounds),
                SeatView.state.in_(SHOWN_STATES),
                SeatView.results_cid.is_not(None),
            )
            .order_by(SeatView.job_id, SeatView.worker)
        )
    )


def layout(sources: Iterable[Source], position: int, per_frame: int) -> dict[int, Source]:
    """Which source shows each tile (index in the frame's grid) of the frame at `position`: a
    tile two seats hold (sold again after a seat closed unverified) is shown from a verified one
    first, else from the first in `(job, worker)` order."""
    start = position * per_frame
    shown: dict[int, Source] = {}
    for src in sorted(sources, key=lambda s: (not s.verified, s.job_id, s.worker)):
        first, stop = max(src.first_tile, start), min(src.first_tile + src.tile_count,
                                                      start + per_frame)  # fmt: skip
        for tile in range(first, stop):
            shown.setdefault(tile - start, src)
    return dict(sorted(shown.items()))


class Refused(Exception):
    """A source's results list or tile is not what its worker committed (`RevealedTiles.refused`
    says why)."""


class RevealedTiles:
    """Reads revealed tiles from IPFS, checked; remembers the sources caught lying."""

    def __init__(self, ipfs: KuboClient) -> None:
        self.ipfs = ipfs
        self.refused: dict[str, str] = {}  # source key -> why its tiles are not shown
        self._results: OrderedDict[tuple[str, str, str], ResultsList] = OrderedDict()

    def frame(
        self,
        manifest: RenderManifest,
        manifest_cid: str,
        position: int,
        sources: list[Source],
        scratch: Path,
    ) -> Pixels:
        """The frame at `position` with `sources`' tiles in place (see `layout`), transparent
        elsewhere. Raises `Refused` (the source noted in `refused`) when a source is not what
        its worker committed, `IpfsError` or `CommittedResultsInvalid` when IPFS does not serve
        a file now."""
        rects = manifest.tiles()
        width, height = manifest.resolution.width, manifest.resolution.height
        frame: Pixels = np.zeros((height, width, 4), dtype=np.float32)
        start = position * manifest.tile_count
        shown = layout(sources, position, manifest.tile_count)
        for src in sources:
            mine = {t + start for t, s in shown.items() if s == src}
            if not mine:
                continue
            try:
                for tile in self._results_of(src, manifest_cid).tiles:
                    if tile.index not in mine:
                        continue
                    pixels = fetch_tile(self.ipfs, tile, scratch / f"{tile.index}.exr")
                    rect = rects[tile.index - start]
                    if pixels.shape != (rect.height, rect.width, 4):
                        raise CommittedResultsInvalid(
                            f"tile {tile.index} ({tile.cid}) has pixels of shape "
                            f"{pixels.shape}, not the tile's ({rect.height}, {rect.width}, 4)"
                        )
                    frame[rect.y : rect.y_end, rect.x : rect.x_end] = canonical_pixels(pixels)
            except CommittedResultsInvalid as exc:
                if _unreadable(exc):
                    raise  # not served now (not found, timed out): tried again later
                log.warning("job %d: the tiles %s revealed are not shown: %s",
                            src.job_id, src.worker, exc)  # fmt: skip
                self.refused[src.key] = str(exc)
                raise Refused(str(exc)) from exc
        return frame

    def _results_of(self, src: Source, manifest_cid: str) -> ResultsList:
        """`src`'s results list, checked against its commitment (once for all its frames)."""
        key = (src.key, src.merkle_root, manifest_cid)
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
            return found
        # A round's worker names the round's job id in its results list.
        commitment = Commitment(
            job_id=src.job_id, worker=src.worker, manifest_cid=manifest_cid,
            results_cid=src.results_cid, merkle_root=src.merkle_root,
            first_tile=src.first_tile, tile_count=src.tile_count,
        )  # fmt: skip
        results = fetch_results(self.ipfs, commitment)
        self._results[key] = results
        while len(self._results) > RESULTS_CACHED:
            self._results.popitem(last=False)
        return results


def _unreadable(exc: CommittedResultsInvalid) -> bool:
    """Whether `exc` only says that IPFS did not serve the bytes (which may change), rather than
    that they are not what the worker committed."""
    cause = exc.__cause__
    return isinstance(cause, IpfsError) and not isinstance(cause, CidMismatch | ContentTooLarge)
