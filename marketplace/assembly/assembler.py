"""The server's assembler: stitches every frame whose tiles were all accepted on chain, in any of
the job's rounds, and stores it on IPFS as EXR (linear float) and PNG (8-bit sRGB). Once the job
has ended, a frame whose tiles ran out of rounds is assembled too, with the tiles no round
delivered left transparent and listed in its row (`missing_tiles`): never silently left pending.

It reads only what the indexer projected (jobs, seats with their committed root and revealed
results CID: verification is blind, so a seat's tiles are known only once its worker revealed
them) and what IPFS holds; every results list and tile goes through the same checks as the audit
(`tilefarm.checks.verification.committed`). Its own rows (`marketplace.db.frame_models`) say which
frames are stored, so a restart picks up exactly the frames still owed, and a frame is stored once.
The bytes depend only on the tiles (`tilefarm.checks.audit.frames`): assembling again gives the same
CIDs.
"""

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.assembly.plan import (
    VERIFIED_STATES,
    due_frames,
    frame_range,
    seats_of_frame,
)
from marketplace.assembly.waits import Waits
from marketplace.db.chain_models import JobView, SeatView
from marketplace.db.frame_models import (
    DERIVED_FROM_JOBS,
    FRAME_ASSEMBLED,
    FRAME_PENDING,
    AssembledFrame,
    AssemblyJob,
)
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.manifests import Manifests, StoredManifest, readable_cid
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable, KuboClient
from tilefarm.checks.audit.frames import frame_stem, needs_blender, write_frame_files
from tilefarm.checks.verification import fetch_results, fetch_tile
from tilefarm.errors import TilefarmError
from tilefarm.results import Commitment, ResultsList

log = logging.getLogger(__name__)

# Jobs that can never have frames: nothing was assigned, or the job ended without renders.
NO_FRAMES = ("Cancelled", "Expired")
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Stored:
    """One frame the assembler stored."""

    job_id: int
    frame: int
    png_cid: str
    exr_cid: str


class Assembler:
    """Assembles ready frames of every indexed job, one `step` at a time."""

    def __init__(
        self,
        db: Database,
        ipfs: KuboClient,
        work_dir: Path,
        *,
        hub: EventHub | None = None,
        child_factory: Callable[[], BlenderChild] = BlenderChild,
        retry_seconds: float = RETRY_SECONDS,
        manifests: Manifests | None = None,
    ) -> None:
        """`manifests`: the server's (shared with its routes); default, a store of its own."""
        self.db = db
        self.ipfs = ipfs
        self.manifests = manifests or Manifests(db, ipfs)
        self.work_dir = work_dir
        self.hub = hub
        self.child_factory = child_factory
        self.retry_seconds = retry_seconds
        self._seen_version = -1
        self._retry: Waits[tuple[int, int]] = Waits()  # (job, frame; -1: its manifest)

    # -- scanning

    def step(self) -> list[Stored]:
        """Assemble whatever is ready; returns the frames stored in this step."""
        due = self._retry.take_due()
        if self.hub is not None:
            version = self.hub.version
            if version == self._seen_version and not due:
                return []  # nothing was indexed since the last scan, nothing to retry
            self._seen_version = version
        stored: list[Stored] = []
        for job_id in self._candidates():
            if self._waiting(job_id, -1):
                continue
            stored += self._job(job_id)
        return stored

    def _candidates(self) -> list[int]:
        with self.db.session() as session:
            # Done: every frame stored, from the manifest the job (still) names.
            done = (
                select(AssemblyJob.job_id)
                .join(JobView, JobView.job_id == AssemblyJob.job_id)
                .where(AssemblyJob.done, AssemblyJob.manifest_cid == JobView.manifest_cid)
            )
            return list(
                session.scalars(
                    select(JobView.job_id)
                    .where(JobView.root == 0)  # a round's tiles are assembled with its job's
                    .where(JobView.status.not_in(("Bidding", *NO_FRAMES)))
                    .where(JobView.job_id.not_in(done))
                    .order_by(JobView.job_id)
                )
            )

    def _waiting(self, job_id: int, frame: int) -> bool:
        return self._retry.waiting((job_id, frame))

    def _later(self, job_id: int, frame: int) -> None:
        self._retry.wait((job_id, frame), self.retry_seconds)

    # -- one job

    def _job(self, job_id: int) -> list[Stored]:
        read = self._manifest(job_id)
        if read is None:
            return []
        manifest = read.manifest
        with self.db.session() as session:
            accepted = delivered_seats(session, job_id)
            ended = session.scalar(select(JobView.status).where(JobView.job_id == job_id))
            rows = {
                f.frame: f
                for f in session.scalars(
                    select(AssembledFrame).where(AssembledFrame.job_id == job_id)
                )
            }
        per_frame = manifest.tile_count
        ranges = [(s.first_tile, s.tile_count) for s in accepted]
        stored = []
        due = due_frames(len(manifest.frames), per_frame, ranges, ended=ended == "Completed")
        for position, missing in due:
            frame = manifest.frames[position]
            row = rows.get(frame)
            if row is None or row.status == FRAME_ASSEMBLED or self._waiting(job_id, frame):
                continue
            wanted = seats_of_frame(position, per_frame, ranges)
            seats_needed = [s for s in accepted if (s.first_tile, s.tile_count) in wanted]
            result = self._frame(job_id, read, position, seats_needed, missing)
            if result is not None:
                stored.append(result)
        self._finish(job_id)
        return stored

    def _manifest(self, job_id: int) -> StoredManifest | None:
        """The job's manifest (read once, see `Manifests`), its frames' rows written; None while
        it cannot be read (retried later) or when it cannot be used (its `AssemblyJob` says
        why)."""
        with self.db.session() as session:
            job = session.get(JobView, job_id)
            if job is None:  # a reorganisation removed its posting since the job was listed
                return None
            cid, tile_count = job.manifest_cid, job.tile_count
            known = session.get(AssemblyJob, job_id)
            if known is not None and known.manifest_cid != cid:
                # Read for another job under this number (a reorganisation handed it on after
                # the read): that job's frames are not this one's.
                log.warning("job %d: its manifest is now %s, not %s; assembling afresh",
                            job_id, cid, known.manifest_cid)  # fmt: skip
                for table in DERIVED_FROM_JOBS:
                    session.execute(delete(table).where(table.job_id == job_id))
                known = None
        if known is not None and known.error is not None:
            return None
        self._retry.clear((job_id, -1))  # set again below if this read fails too
        try:
            read = self.manifests.fetch(cid)
            if read.manifest.job_tile_count != tile_count:
                raise TilefarmError(
                    f"the manifest makes {read.manifest.job_tile_count} tiles, the job posted "
                    f"{tile_count}"
                )
        except IpfsError as exc:
            # Unreachable node, or a CID no node serves yet: both may change, so try later.
            log.warning("job %d: manifest %s not readable (%s); retrying later", job_id, cid, exc)
            self._later(job_id, -1)
            return None
        except TilefarmError as exc:
            log.warning("job %d: its manifest %s is unusable: %s", job_id, cid, exc)
            with self.db.session() as session:
                session.merge(AssemblyJob(job_id=job_id, manifest_cid=cid, error=str(exc),
                                          done=True))  # fmt: skip
            return None
        if known is None:
            with self.db.session() as session:
                job = session.get(JobView, job_id)
                if job is None or job.manifest_cid != cid:
                    return None  # changed by a reorganisation during the read: read it next step
                session.merge(AssemblyJob(job_id=job_id, manifest_cid=cid, error=None, done=False))
                for position, frame in enumerate(read.manifest.frames):
                    if session.get(AssembledFrame, (job_id, frame)) is None:
                        session.add(AssembledFrame(job_id=job_id, frame=frame, position=position,
                                                   status=FRAME_PENDING, attempts=0))  # fmt: skip
        return read

    def _finish(self, job_id: int) -> None:
        with self.db.session() as session:
            pending = session.scalars(
                select(AssembledFrame.frame).where(
                    AssembledFrame.job_id == job_id, AssembledFrame.status != FRAME_ASSEMBLED
                )
            ).first()
            job = session.get(AssemblyJob, job_id)
            if pending is None and job is not None:
                job.done = True

    # -- one frame

    def _frame(
        self,
        job_id: int,
        read: StoredManifest,
        position: int,
        seats: list[SeatView],
        missing: list[int],
    ) -> Stored | None:
        frame = read.manifest.frames[position]
        scratch = self.work_dir / f"job-{job_id}" / f"frame-{frame}"
        try:
            png_cid, exr_cid = self._assemble(job_id, read, position, seats, missing, scratch)
        except IpfsUnavailable as exc:
            log.warning("job %d frame %d: IPFS unavailable (%s); retrying", job_id, frame, exc)
            self._later(job_id, frame)
            return None
        except (TilefarmError, OSError) as exc:
            log.warning("job %d frame %d cannot be assembled: %s", job_id, frame, exc)
            self._later(job_id, frame)
            with self.db.session() as session:
                row = session.get(AssembledFrame, (job_id, frame))
                if row is not None:  # else forgotten meanwhile (see `_forgotten`)
                    row.error = str(exc)
                    row.attempts += 1
            return None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        with self.db.session() as session:
            row = session.get(AssembledFrame, (job_id, frame))
            if row is None:
                return self._forgotten(job_id, frame)
            row.status = FRAME_ASSEMBLED
            row.png_cid, row.exr_cid = png_cid, exr_cid
            row.missing_tiles = missing
            row.error = None
            row.attempts += 1
            row.assembled_at = datetime.now(UTC)
        self._retry.clear((job_id, frame))
        log.info("job %d frame %d assembled: png %s, exr %s%s", job_id, frame, png_cid, exr_cid,
                 f", tiles {missing} missing" if missing else "")  # fmt: skip
        if self.hub is not None:
            self.hub.publish()
        return Stored(job_id, frame, png_cid, exr_cid)

    @staticmethod
    def _forgotten(job_id: int, frame: int) -> None:
        """The indexer dropped the job's frames while this one was assembled: a reorganisation
        abandoned events of the job, so its frames are assembled again from the chain as it is
        now; this result is not stored."""
        log.info("job %d frame %d: dropped by a reorganisation while assembled", job_id, frame)

    def _assemble(
        self,
        job_id: int,
        read: StoredManifest,
        position: int,
        seats: list[SeatView],
        missing: list[int],
        scratch: Path,
    ) -> tuple[str, str]:
        manifest = read.manifest
        wanted = frame_range(position, manifest.tile_count)
        rects = manifest.tiles()
        tile_files: dict[int, Path] = {}
        for seat in seats:
            assert seat.results_cid is not None
            # A round's worker names the round's job id in its results list.
            commitment = Commitment(
                job_id=seat.job_id, worker=seat.worker, manifest_cid=read.cid,
                results_cid=seat.results_cid, merkle_root=seat.hash,
                first_tile=seat.first_tile, tile_count=seat.tile_count,
            )  # fmt: skip
            results: ResultsList = fetch_results(self.ipfs, commitment)
            for tile in results.tiles:
                if tile.index in wanted:
                    dest = scratch / "tiles" / f"{tile.index}.exr"
                    rect = rects[tile.index - wanted.start]
                    fetch_tile(self.ipfs, tile, dest, expect=(rect.height, rect.width))
                    tile_files[tile.index - wanted.start] = dest
        frame = manifest.frames[position]
        stem = frame_stem(job_id, frame)
        if needs_blender(manifest):
            with self.child_factory() as child:
                files = write_frame_files(manifest, tile_files, scratch, stem, child, missing)
        else:
            files = write_frame_files(manifest, tile_files, scratch, stem, missing=missing)
        return self.ipfs.add_file(files.png), self.ipfs.add_file(files.exr)


def delivered_seats(session: Session, job_id: int) -> list[SeatView]:
    """The seats, of the job and of every round of it, whose tiles a verdict accepted and whose
    worker revealed its results (blind verification: a seat the artist accepted before its worker
    revealed has no tiles to stitch)."""
    rounds = select(JobView.job_id).where(JobView.root == job_id)
    return list(
        session.scalars(
            select(SeatView).where(
                (SeatView.job_id == job_id) | SeatView.job_id.in_(rounds),
                SeatView.state.in_(VERIFIED_STATES),
                SeatView.results_cid.is_not(None),
            )
        )
    )


def frames_due(session: Session, job_id: int, manifests: Manifests) -> int:
    """Frames of `job_id` that are due (all tiles accepted, or the job ended) but not stored yet,
    and not known to be unassemblable: what a live stream waits for before it ends."""
    job = session.get(AssemblyJob, job_id)
    chain_job = session.get(JobView, job_id)
    if job is None or job.error is not None:
        if job is None and chain_job is not None and chain_job.status not in NO_FRAMES:
            # The assembler has not read the manifest yet.
            started = delivered_seats(session, job_id) or chain_job.status == "Completed"
            return 1 if started and readable_cid(chain_job.manifest_cid) else 0
        return 0
    stored = manifests.get(job.manifest_cid)
    if stored is None:
        return 0  # no frame rows either: the assembler stores the manifest before writing them
    manifest = stored.manifest
    ranges = [(s.first_tile, s.tile_count) for s in delivered_seats(session, job_id)]
    ended = chain_job is not None and chain_job.status == "Completed"
    due = due_frames(len(manifest.frames), manifest.tile_count, ranges, ended)
    rows = {
        f.position: f
        for f in session.scalars(select(AssembledFrame).where(AssembledFrame.job_id == job_id))
    }
    return sum(
        1
        for p, _ in due
        if p in rows and rows[p].status != FRAME_ASSEMBLED and rows[p].error is None
    )


@dataclass(frozen=True)
class FrameNews:
    """What a job's live stream has to say about its frames."""

    assembled: list[Stored]  # stored frames the stream has not sent yet
    due: int  # frames ready but not stored yet (see `frames_due`)


def frame_news(db: Database, manifests: Manifests, job_id: int, sent: set[int]) -> FrameNews:
    """Stored frames of `job_id` other than `sent`, and how many are still due."""
    with db.session() as session:
        rows = session.scalars(
            select(AssembledFrame)
            .where(AssembledFrame.job_id == job_id, AssembledFrame.status == FRAME_ASSEMBLED)
            .order_by(AssembledFrame.position)
        ).all()
        news = [
            Stored(job_id, r.frame, r.png_cid or "", r.exr_cid or "")
            for r in rows
            if r.frame not in sent
        ]
        return FrameNews(news, frames_due(session, job_id, manifests))
