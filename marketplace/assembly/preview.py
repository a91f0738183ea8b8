"""Previews of frames still rendering: the tiles whose workers revealed their results, stitched
into the frame with every other tile transparent, so the artist sees the picture come in before
any verdict (`FramePreview`). Which tiles, and how they are read and checked: `revealed`.

A preview lists the tiles it shows and those of them a verdict has accepted; the page marks it
unverified. Once the frame is assembled, its preview is dropped and the page shows the assembled
frame instead.

Previews are disposable: the PNG is kept in the database, never pinned on IPFS. A frame's preview
is made again only when the revealed results lists that cover it change (one more revealed, or
one taken out), and each `step` makes at most `per_step` of them, after the assembler's step.
They are not denoised (a whole-frame denoise waits for the whole frame); a manifest whose colour
management is not plain sRGB gets its PNG from a Blender child, as its frames do.
"""

import logging
import shutil
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import defer

from marketplace.assembly.revealed import (
    Refused,
    RevealedTiles,
    Source,
    layout,
    shown_seats,
)
from marketplace.db.chain_models import JobView
from marketplace.db.frame_models import (
    FRAME_ASSEMBLED,
    AssembledFrame,
    AssemblyJob,
    FramePreview,
)
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.manifests import Manifests
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import IpfsUnavailable, KuboClient
from tilefarm.errors import TilefarmError
from tilefarm.pixels import write_exr
from tilefarm.stitch import write_png_preview

if TYPE_CHECKING:
    from marketplace.assembly.assembler import Assembler

log = logging.getLogger(__name__)

PER_STEP = 4  # previews made per step: the assembler's next step is never kept waiting long
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Owed:
    """A frame whose preview is to be made (again) from `sources`."""

    job_id: int
    manifest_cid: str
    frame: int
    position: int
    sources: tuple[Source, ...]


class Previewer:
    """Makes the previews of every frame still owed, a few per `step`."""

    def __init__(
        self,
        db: Database,
        ipfs: KuboClient,
        work_dir: Path,
        *,
        manifests: Manifests,
        hub: EventHub | None = None,
        child_factory: Callable[[], BlenderChild] = BlenderChild,
        retry_seconds: float = RETRY_SECONDS,
        per_step: int = PER_STEP,
    ) -> None:
        self.db = db
        self.ipfs = ipfs
        self.work_dir = work_dir
        self.manifests = manifests
        self.hub = hub
        self.child_factory = child_factory
        self.retry_seconds = retry_seconds
        self.per_step = per_step
        self.more = False  # previews were left for the next step
        self.tiles = RevealedTiles(ipfs)
        self._seen_version = -1
        self._retry_at: dict[tuple[int, int], float] = {}

    @classmethod
    def beside(cls, assembler: "Assembler") -> "Previewer":
        """A previewer sharing the assembler's database, IPFS node, manifests and news."""
        return cls(
            assembler.db, assembler.ipfs, assembler.work_dir / "previews",
            manifests=assembler.manifests, hub=assembler.hub,
            child_factory=assembler.child_factory, retry_seconds=assembler.retry_seconds,
        )  # fmt: skip

    def step(self) -> list[tuple[int, int]]:
        """Make the previews owed (at most `per_step`); returns their `(job, frame)`."""
        if self.hub is not None:
            version = self.hub.version
            due = any(at <= time.monotonic() for at in self._retry_at.values())
            if version == self._seen_version and not self.more and not due:
                return []  # nothing revealed, verified or assembled since the last scan
            self._seen_version = version
        owed = self.owed()
        self.more = len(owed) > self.per_step
        made = []
        with ExitStack() as children:
            child: list[BlenderChild] = []  # started for the first preview that needs one

            def blender() -> BlenderChild:
                if not child:
                    child.append(children.enter_context(self.child_factory()))
                return child[0]

            for job in owed[: self.per_step]:
                if self._make(job, blender):
                    made.append((job.job_id, job.frame))
        return made

    # -- what is owed

    def owed(self) -> list[Owed]:
        """The frames whose preview is missing or out of date, in job and frame order; on the
        way, previews of assembled frames are dropped and verified tile lists brought up to
        date (neither changes a pixel)."""
        with self.db.session() as session:
            session.execute(
                delete(FramePreview).where(
                    exists().where(
                        AssembledFrame.job_id == FramePreview.job_id,
                        AssembledFrame.frame == FramePreview.frame,
                        AssembledFrame.status == FRAME_ASSEMBLED,
                    )
                )
            )
            jobs = session.execute(
                select(AssemblyJob.job_id, AssemblyJob.manifest_cid)
                .join(JobView, JobView.job_id == AssemblyJob.job_id)
                .where(
                    AssemblyJob.done.is_(False),
                    AssemblyJob.error.is_(None),
                    AssemblyJob.manifest_cid == JobView.manifest_cid,
                )
                .order_by(AssemblyJob.job_id)
            ).all()
        owed: list[Owed] = []
        for job_id, manifest_cid in jobs:
            owed += self._job(job_id, manifest_cid)
        return owed

    def _job(self, job_id: int, manifest_cid: str) -> list[Owed]:
        stored = self.manifests.get(manifest_cid)
        if stored is None:
            return []  # the assembler stores the manifest before it writes the job's row
        per_frame = stored.manifest.tile_count
        owed = []
        with self.db.session() as session:
            sources = [
                s
                for s in map(Source.of, shown_seats(session, job_id))
                if s.key not in self.tiles.refused
            ]
            pending = {
                r.position: r.frame
                for r in session.scalars(
                    select(AssembledFrame).where(
                        AssembledFrame.job_id == job_id, AssembledFrame.status != FRAME_ASSEMBLED
                    )
                )
            }
            previews = {
                p.frame: p
                for p in session.scalars(
                    select(FramePreview)
                    .where(FramePreview.job_id == job_id)
                    .options(defer(FramePreview.png))
                )
            }
            by_position: dict[int, list[Source]] = {}
            for src in sources:
                last = src.first_tile + src.tile_count - 1
                for position in range(src.first_tile // per_frame, last // per_frame + 1):
                    if position in pending:
                        by_position.setdefault(position, []).append(src)
            for frame in set(previews) - {pending[p] for p in by_position}:
                session.delete(previews[frame])  # every seat it showed was refused since
            for position, srcs in sorted(by_position.items()):
                frame = pending[position]
                preview = previews.get(frame)
                if preview is not None and preview.sources == sorted(s.key for s in srcs):
                    shown = layout(srcs, position, per_frame)
                    verified = [t for t, s in shown.items() if s.verified]
                    if preview.verified != verified:
                        preview.verified = verified
                    continue
                if not self._waiting(job_id, frame):
                    owed.append(Owed(job_id, manifest_cid, frame, position, tuple(srcs)))
        return owed

    def _waiting(self, job_id: int, frame: int) -> bool:
        at = self._retry_at.get((job_id, frame))
        return at is not None and at > time.monotonic()

    # -- making one

    def _make(self, job: Owed, blender: Callable[[], BlenderChild]) -> bool:
        """Make `job`'s preview; False when it could not be made now (retried later)."""
        stored = self.manifests.get(job.manifest_cid)
        if stored is None:
            return False
        manifest = stored.manifest
        scratch = self.work_dir / f"job-{job.job_id}" / f"frame-{job.frame}"
        sources = list(job.sources)
        try:
            while True:
                try:
                    pixels = self.tiles.frame(
                        manifest, job.manifest_cid, job.position, sources, scratch / "tiles"
                    )
                    break
                except Refused:  # start over without the sources caught lying
                    sources = [s for s in sources if s.key not in self.tiles.refused]
                    if not sources:
                        self._store(job, [], {}, None, 0)
                        return True
            scratch.mkdir(parents=True, exist_ok=True)
            png = scratch / "preview.png"
            if manifest.colour.plain_srgb:
                write_png_preview(pixels, png)
            else:
                exr = write_exr(scratch / "preview.exr", pixels)
                png = blender().preview(exr, png, colour=manifest.colour)
            data = png.read_bytes()
        except IpfsUnavailable as exc:
            log.warning("job %d frame %d: IPFS unavailable for its preview (%s); retrying",
                        job.job_id, job.frame, exc)  # fmt: skip
            self._later(job)
            return False
        except (TilefarmError, OSError) as exc:
            log.warning("job %d frame %d: no preview (%s); retrying later",
                        job.job_id, job.frame, exc)  # fmt: skip
            self._later(job)
            return False
        except Exception:  # a preview is never worth holding up the frames: log, retry later
            log.exception("job %d frame %d: making its preview failed", job.job_id, job.frame)
            self._later(job)
            return False
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        shown = layout(sources, job.position, manifest.tile_count)
        self._store(job, sources, shown, data, manifest.tile_count)
        self._retry_at.pop((job.job_id, job.frame), None)
        return True

    def _later(self, job: Owed) -> None:
        self._retry_at[(job.job_id, job.frame)] = time.monotonic() + self.retry_seconds

    def _store(
        self,
        job: Owed,
        sources: list[Source],
        shown: dict[int, Source],
        png: bytes | None,
        tiles_total: int,
    ) -> None:
        with self.db.session() as session:
            session.execute(
                delete(FramePreview).where(
                    FramePreview.job_id == job.job_id, FramePreview.frame == job.frame
                )
            )
            frame = session.get(AssembledFrame, (job.job_id, job.frame))
            if frame is None or frame.status == FRAME_ASSEMBLED or png is None:
                return  # assembled meanwhile, dropped by a reorganisation, or nothing to show
            session.add(
                FramePreview(
                    job_id=job.job_id,
                    frame=job.frame,
                    sources=sorted(s.key for s in sources),
                    tiles=list(shown),
                    verified=[t for t, s in shown.items() if s.verified],
                    tiles_total=tiles_total,
                    png=png,
                    updated_at=datetime.now(UTC),
                )
            )
        log.info("job %d frame %d: preview of %d tiles", job.job_id, job.frame, len(shown))
