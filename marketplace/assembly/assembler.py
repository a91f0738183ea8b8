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

Workers' files are read as the previews read them (`frame_tiles`): waiting `READ_TIMEOUT` for
an answer, each read with a deadline for the whole of it, and a seat whose files are not served
now (its worker went offline, a node trickles bytes) is put off on its own, 30 s, doubling up to
10 min: only the frames that need its tiles wait with it, every other seat and job is assembled
meanwhile. A job's manifest is read the same way, and a job whose manifest no node serves is put
off on its own, 30 s doubling up to 10 min (an artist posting jobs whose manifests nobody serves
costs each scan nothing, and the server's node one short wait per job and back-off). When the
server's own node does not answer, the scan stops there and resumes after `retry_seconds`.
"""

import logging
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select

from marketplace.assembly.frame_tiles import FrameTiles, NodeDown, SeatFailed
from marketplace.assembly.owed import NO_FRAMES, Stored, delivered_seats
from marketplace.assembly.plan import due_frames, seats_of_frame
from marketplace.assembly.revealed import Source
from marketplace.assembly.seat_reads import MAX_SEAT_WAIT
from marketplace.assembly.waits import BackOff, Waits
from marketplace.db.chain_models import JobView
from marketplace.db.frame_models import (
    DERIVED_FROM_JOBS,
    FRAME_ASSEMBLED,
    FRAME_PENDING,
    AssembledFrame,
    AssemblyJob,
)
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.manifests import Manifests, StoredManifest
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable, KuboClient
from tilefarm.checks.audit.frames import frame_stem, needs_blender, write_frame_files
from tilefarm.errors import TilefarmError

log = logging.getLogger(__name__)

__all__ = ["NO_FRAMES", "Assembler", "Stored"]

RETRY_SECONDS = 30.0  # a frame that failed (not for a seat's files) is tried again after this
READ_TIMEOUT = 20.0  # seconds to wait for each answer while reading a worker's files
MANIFEST_DEADLINE = 60.0  # seconds a job's manifest (at most 1 MiB) may take to come whole


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
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        """`manifests`: the server's (shared with its routes); default, a store of its own.
        `ipfs` reads manifests and stores frames; workers' files are read through a client of
        the same node that waits `read_timeout` for an answer (closed by `close`)."""
        self.db = db
        self.ipfs = ipfs
        self.manifests = manifests or Manifests(db, ipfs)
        self.work_dir = work_dir
        self.hub = hub
        self.child_factory = child_factory
        self.retry_seconds = retry_seconds
        self.tiles = FrameTiles(ipfs, read_timeout, retry_seconds)
        self._seen_version = -1
        self._retry: Waits[tuple[int, int]] = Waits()  # (job, frame; -1: its manifest)
        # Jobs whose manifest no node served: put off longer with each failure in a row.
        self._unserved: BackOff[int] = BackOff(retry_seconds, MAX_SEAT_WAIT)

    def close(self) -> None:
        self.tiles.close()

    # -- scanning

    def step(self) -> list[Stored]:
        """Assemble whatever is ready; returns the frames stored in this step."""
        due = self._retry.take_due() | self.tiles.take_due() | self._unserved.take_due()
        if self.hub is not None:
            version = self.hub.version
            if version == self._seen_version and not due:
                return []  # nothing was indexed since the last scan, nothing to retry
            self._seen_version = version
        stored: list[Stored] = []
        seen: set[str] = set()  # the seats of the jobs scanned
        candidates = self._candidates()
        try:
            for job_id in candidates:
                if self._waiting(job_id, -1) or self._unserved.waiting(job_id):
                    continue
                self._job(job_id, stored, seen)
        except NodeDown as exc:
            log.warning("IPFS node not answering (%s); assembly resumes in %.0f s",
                        exc, self.retry_seconds)  # fmt: skip
            return stored
        self.tiles.keep_only(seen)
        self._unserved.keep_only(set(candidates))
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

    def _job(self, job_id: int, stored: list[Stored], seen: set[str]) -> None:
        """Store the due frames of `job_id` (adding them to `stored`) whose seats are not put
        off; the keys of its seats are added to `seen`."""
        read = self._manifest(job_id)
        if read is None:
            return
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
        sources = {id(s): Source.of(s) for s in accepted}
        seen.update(src.key for src in sources.values())
        due = due_frames(len(manifest.frames), per_frame, ranges, ended=ended == "Completed")
        for position, missing in due:
            frame = manifest.frames[position]
            row = rows.get(frame)
            if row is None or row.status == FRAME_ASSEMBLED or self._waiting(job_id, frame):
                continue
            wanted = seats_of_frame(position, per_frame, ranges)
            needed = [sources[id(s)] for s in accepted if (s.first_tile, s.tile_count) in wanted]
            if self.tiles.waiting(needed):
                continue  # a seat it needs is put off: the frame waits with it
            result = self._frame(job_id, read, position, needed, missing)
            if result is not None:
                stored.append(result)
        self._finish(job_id)

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
            # As a worker's files are read: a short wait for each answer, a deadline for all.
            read = self.manifests.fetch(cid, through=self.tiles.reader, deadline=MANIFEST_DEADLINE)
            if read.manifest.job_tile_count != tile_count:
                raise TilefarmError(
                    f"the manifest makes {read.manifest.job_tile_count} tiles, the job posted "
                    f"{tile_count}"
                )
        except IpfsError as exc:
            if not self.tiles.node_answers():  # the server's own node: no manifest is readable
                self._later(job_id, -1)
                raise NodeDown(str(exc)) from exc
            # A CID no node serves (yet), or not fast enough: put off, longer each time in a
            # row, so that jobs nobody serves cost one short wait each per back-off.
            seconds = self._unserved.failed(job_id)
            log.warning("job %d: manifest %s not readable (%s); retrying in %.0f s",
                        job_id, cid, exc, seconds)  # fmt: skip
            return None
        except TilefarmError as exc:
            log.warning("job %d: its manifest %s is unusable: %s", job_id, cid, exc)
            with self.db.session() as session:
                session.merge(AssemblyJob(job_id=job_id, manifest_cid=cid, error=str(exc),
                                          done=True))  # fmt: skip
            return None
        self._unserved.succeeded(job_id)
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
        seats: list[Source],
        missing: list[int],
    ) -> Stored | None:
        frame = read.manifest.frames[position]
        scratch = self.work_dir / f"job-{job_id}" / f"frame-{frame}"
        try:
            png_cid, exr_cid = self._assemble(job_id, read, position, seats, missing, scratch)
        except SeatFailed as failed:
            self._seat_failed(job_id, frame, failed)
            return None
        except IpfsUnavailable as exc:  # storing the frame on the server's own node
            self._later(job_id, frame)
            raise NodeDown(str(exc)) from exc
        except (TilefarmError, OSError) as exc:
            log.warning("job %d frame %d cannot be assembled: %s", job_id, frame, exc)
            self._later(job_id, frame)
            self._failed(job_id, frame, str(exc))
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

    def _failed(self, job_id: int, frame: int, why: str) -> None:
        """Record on the frame's row why its last attempt failed."""
        with self.db.session() as session:
            row = session.get(AssembledFrame, (job_id, frame))
            if row is not None:  # else forgotten meanwhile (see `_forgotten`)
                row.error = why
                row.attempts += 1

    def _seat_failed(self, job_id: int, frame: int, failed: SeatFailed) -> None:
        """Put off the seat whose files failed the frame, and with it every frame needing it;
        when it is the server's own node that does not answer, stop the scan instead."""
        src, cause = failed.source, failed.cause
        try:
            seconds = self.tiles.put_off(failed)
        except NodeDown:
            self._later(job_id, frame)
            raise
        if failed.unreadable:
            log.warning("job %d frame %d: the results %s revealed (job %d) are not readable now "
                        "(%s); its frames wait %.0f s", job_id, frame, src.worker, src.job_id,
                        cause, seconds)  # fmt: skip
            return
        log.warning("job %d frame %d cannot be assembled: %s; its seat is read again in %.0f s",
                    job_id, frame, cause, seconds)  # fmt: skip
        self._failed(job_id, frame, str(cause))

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
        seats: list[Source],
        missing: list[int],
        scratch: Path,
    ) -> tuple[str, str]:
        manifest = read.manifest
        tile_files = self.tiles.read(manifest, read.cid, position, seats, scratch / "tiles")
        frame = manifest.frames[position]
        stem = frame_stem(job_id, frame)
        if needs_blender(manifest):
            with self.child_factory() as child:
                files = write_frame_files(manifest, tile_files, scratch, stem, child, missing)
        else:
            files = write_frame_files(manifest, tile_files, scratch, stem, missing=missing)
        return self.ipfs.add_file(files.png), self.ipfs.add_file(files.exr)
