"""The tiles workers revealed before any verdict on them: which seats' tiles a preview shows, and
reading them into a preview's canvas through the assembler's own checks (`fetch_results`,
`fetch_tile`), so that a results list or tile that is not what its worker committed is never
shown, and a tile file that declares another size than its tile is refused before it is decoded.

A revealed tile is unverified until a verdict accepts its seat, and may be a fraud's: the tiles of
a seat whose verdict failed it (Failed, Disputed, Rejected), that closed unverified or that timed
out are not shown at all, and those of a seat caught lying here are left out from then on, across
restarts (`refusals`).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.assembly.canvas import Canvas
from marketplace.assembly.plan import VERIFIED_STATES
from marketplace.assembly.seat_reads import ResultsCache, tile_deadline, unreadable
from marketplace.db.chain_models import JobView, SeatView
from tilefarm.adapters.ipfs import IpfsUnavailable, KuboClient
from tilefarm.checks.verification import CommittedResultsInvalid, fetch_tile
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import Pixels
from tilefarm.results import Commitment

log = logging.getLogger(__name__)

# Seats whose revealed tiles a preview shows: revealed and not (yet) refused by a verdict.
# Submitted and Sealed ones carry a CID revealed in an earlier verifier round; Contested and
# Challenged ones passed, and stand until a panel says otherwise.
SHOWN_STATES = ("Submitted", "Sealed", "Opened", "Contested", "Challenged", *VERIFIED_STATES)


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
        """Which revealed results list: what a preview records it shows."""
        return f"{self.job_id}:{self.worker}:{self.results_cid}"

    @property
    def refusal(self) -> str:
        """What a refusal of it depends on (with the manifest): the list and the root."""
        return f"{self.key}:{self.merkle_root}"

    def commitment(self, manifest_cid: str) -> Commitment:
        """What its worker committed, as its results list must show (a round's worker names the
        round's job id in its list)."""
        return Commitment(
            job_id=self.job_id, worker=self.worker, manifest_cid=manifest_cid,
            results_cid=self.results_cid, merkle_root=self.merkle_root,
            first_tile=self.first_tile, tile_count=self.tile_count,
        )  # fmt: skip

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
    """A source's results list or tile is not what its worker committed (the message says
    why): its tiles are never shown."""


class Unreadable(Exception):
    """A source's results list or tile is not served now (not found, timed out, the node down):
    tried again later."""


class RevealedTiles:
    """Reads revealed tiles from IPFS, checked, each scaled to its place in a preview."""

    def __init__(self, ipfs: KuboClient) -> None:
        self.ipfs = ipfs
        self._results = ResultsCache(ipfs)

    def patches(
        self,
        manifest: RenderManifest,
        manifest_cid: str,
        canvas: Canvas,
        src: Source,
        tiles: list[int],
        scratch: Path,
    ) -> dict[int, Pixels]:
        """`tiles` (indices in the grid of the canvas's frame, all `src`'s) read from `src`,
        each checked and scaled to its place in `canvas` (`Canvas.fit`): one tile at a time is
        held at full resolution, and its file is deleted as soon as it is read. Raises `Refused`
        when `src` is not what its worker committed, `Unreadable` when IPFS does not serve it
        now."""
        rects = manifest.tiles()
        start = canvas.position * manifest.tile_count
        out: dict[int, Pixels] = {}
        try:
            listed = {t.index: t for t in self._results.get(src.commitment(manifest_cid)).tiles}
            for tile in tiles:
                entry, rect = listed[start + tile], rects[tile]
                dest = scratch / f"{entry.index}.exr"
                try:
                    pixels = fetch_tile(
                        self.ipfs, entry, dest, rect.shape, deadline=tile_deadline(rect)
                    )
                finally:
                    dest.unlink(missing_ok=True)
                out[tile] = canvas.fit(rect, pixels)
                del pixels
        except IpfsUnavailable as exc:
            raise Unreadable(str(exc)) from exc
        except CommittedResultsInvalid as exc:
            if unreadable(exc):
                raise Unreadable(str(exc)) from exc
            raise Refused(str(exc)) from exc
        return out
