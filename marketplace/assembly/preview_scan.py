"""Which previews are owed: the frames not assembled yet whose revealed results (`revealed`)
changed since their preview was made, less those put off (made a moment ago, or failed) and the
seats put off (not readable now: not added meanwhile, kept where shown already) and refused
(`refusals`). Reading only: `Previewer` makes them."""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import defer

from marketplace.assembly.refusals import refused_sources
from marketplace.assembly.revealed import Source, layout, shown_seats
from marketplace.assembly.waits import Waits
from marketplace.db.chain_models import JobView
from marketplace.db.frame_models import (
    FRAME_ASSEMBLED,
    AssembledFrame,
    AssemblyJob,
    FramePreview,
)
from marketplace.db.session import Database
from marketplace.manifests import Manifests

Frame = tuple[int, int]  # (job, frame)


@dataclass(frozen=True)
class Owed:
    """A frame whose preview is to be made (again) from `sources`."""

    job_id: int
    manifest_cid: str
    frame: int
    position: int
    sources: tuple[Source, ...]


@dataclass
class Scan:
    owed: list[Owed] = field(default_factory=list)  # in job and frame order
    live: set[Frame] = field(default_factory=set)  # frames some revealed results cover
    seen: set[str] = field(default_factory=set)  # `Source.key`s of the sources still shown


def owed_previews(
    db: Database, manifests: Manifests, frames: Waits[Frame], seats: Waits[str]
) -> Scan:
    """The previews owed now; on the way, previews of assembled frames are dropped and verified
    tile lists brought up to date (neither changes a pixel)."""
    with db.session() as session:
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
    scan = Scan()
    for job_id, manifest_cid in jobs:
        _job(db, manifests, job_id, manifest_cid, frames, seats, scan)
    return scan


def _job(
    db: Database,
    manifests: Manifests,
    job_id: int,
    manifest_cid: str,
    frames: Waits[Frame],
    seats: Waits[str],
    scan: Scan,
) -> None:
    stored = manifests.get(manifest_cid)
    if stored is None:
        return  # the assembler stores the manifest before it writes the job's row
    per_frame = stored.manifest.tile_count
    with db.session() as session:
        shown_now = shown_seats(session, job_id)
    refused = refused_sources(db, {s.job_id for s in shown_now}, manifest_cid)
    sources = [s for s in map(Source.of, shown_now) if s.refusal not in refused]
    scan.seen.update(s.key for s in sources)
    with db.session() as session:
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
            scan.live.add((job_id, frame))
            preview = previews.get(frame)
            shown = set(preview.sources) if preview is not None else set()
            # A seat put off is not added meanwhile; where it is shown already, it stays.
            usable = [s for s in srcs if s.key in shown or not seats.waiting(s.key)]
            if preview is not None and preview.sources == sorted(s.key for s in usable):
                tiles = layout(usable, position, per_frame)
                verified = [t for t, s in tiles.items() if s.verified]
                if preview.verified != verified:
                    preview.verified = verified
                continue
            if (usable or preview is not None) and not frames.waiting((job_id, frame)):
                scan.owed.append(Owed(job_id, manifest_cid, frame, position, tuple(usable)))


def sweep(work_dir: Path, live: set[Frame]) -> None:
    """Delete the kept canvases (`work_dir/job-<id>/frame-<n>`) of frames that no revealed
    results cover now (assembled, refused, or of a job gone)."""
    if not work_dir.is_dir():
        return
    for job_dir in work_dir.glob("job-*"):
        for frame_dir in job_dir.glob("frame-*"):
            try:
                key: Frame | None = (int(job_dir.name[4:]), int(frame_dir.name[6:]))
            except ValueError:
                key = None
            if key not in live:
                shutil.rmtree(frame_dir, ignore_errors=True)
        if not any(job_dir.iterdir()):
            job_dir.rmdir()
