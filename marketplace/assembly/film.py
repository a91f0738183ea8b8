"""A job's film: once every frame of a job of several frames is assembled, an H.264 MP4 of its
frames in the manifest's order at the scene's frame rate, and a ZIP of every frame's PNG and EXR
(`frame-0001.png`, `frame-0001.exr`), both added to IPFS and recorded in `JobFilm`.

Each frame is read from IPFS by the CID its row names, checked against it, and written into both
files (by an encoder process of its own, `encoder`) before the next is read, so memory holds one
frame whatever the film's length. A film is written over several `step`s (`per_step` frames
each) so that a long one never keeps the assembler from the frames of other jobs; a film cut
short (a restart, the job's frames dropped by a reorganisation) is begun again. The bytes depend
only on the frames (`reel`, `encoder`): making a film again gives the same CIDs.

The frame rate is the scene's (`SceneRecord.info["fps"]`, read when the scene was uploaded
here); 24 when this server never read the scene.
"""

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av.error
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from marketplace.assembly.encoder import Encoder
from marketplace.assembly.reel import FilmError, frame_rate
from marketplace.assembly.waits import Waits
from marketplace.db.chain_models import JobView
from marketplace.db.frame_models import (
    FILM_FAILED,
    FILM_READY,
    FRAME_ASSEMBLED,
    AssembledFrame,
    AssemblyJob,
    JobFilm,
)
from marketplace.db.models import SceneRecord
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.manifests import Manifests
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable, KuboClient
from tilefarm.errors import TilefarmError
from tilefarm.manifest import RenderManifest

if TYPE_CHECKING:
    from marketplace.assembly.assembler import Assembler

log = logging.getLogger(__name__)

PER_STEP = 8  # frames written per step
RETRY_SECONDS = 30.0
MAX_ATTEMPTS = 3  # a film that failed this often stays failed (its error says why)


def film_name(frame: int) -> str:
    """A frame's file name in the film's ZIP, without extension."""
    return f"frame-{frame:04d}"


def scene_fps(session: Session, manifest: RenderManifest) -> Fraction:
    """The frame rate of the manifest's scene, as this server read it at upload (24 if never)."""
    scene = session.get(SceneRecord, manifest.scene_cid)
    fps = scene.info.get("fps") if scene is not None and isinstance(scene.info, dict) else None
    return frame_rate(float(fps) if isinstance(fps, int | float) else None)


@dataclass
class _Reel:
    """A film being written."""

    job_id: int
    manifest_cid: str
    fps: Fraction
    frames: list[tuple[int, str, str]]  # (frame, PNG CID, EXR CID) in the manifest's order
    scratch: Path
    writer: Encoder
    done: int = 0


class FilmMaker:
    """Makes the films of jobs whose frames are all assembled, a few frames per `step`."""

    def __init__(
        self,
        db: Database,
        ipfs: KuboClient,
        work_dir: Path,
        *,
        manifests: Manifests,
        hub: EventHub | None = None,
        retry_seconds: float = RETRY_SECONDS,
        per_step: int = PER_STEP,
    ) -> None:
        self.db = db
        self.ipfs = ipfs
        self.work_dir = work_dir
        self.manifests = manifests
        self.hub = hub
        self.retry_seconds = retry_seconds
        self.per_step = per_step
        self._reel: _Reel | None = None
        self._seen_version = -1
        self._retry: Waits[int] = Waits()  # jobs whose film failed a moment ago
        self._single: set[tuple[int, str]] = set()  # (job, manifest) of one frame: no film

    @classmethod
    def beside(cls, assembler: "Assembler") -> "FilmMaker":
        """A film maker sharing the assembler's database, IPFS node, manifests and news."""
        return cls(
            assembler.db, assembler.ipfs, assembler.work_dir / "films",
            manifests=assembler.manifests, hub=assembler.hub,
            retry_seconds=assembler.retry_seconds,
        )  # fmt: skip

    @property
    def more(self) -> bool:
        """A film is half written: the next step goes on with it."""
        return self._reel is not None

    def step(self) -> list[int]:
        """Write the next frames of the film in progress, or begin the next one owed; returns
        the jobs whose film was finished (ready or failed) in this step."""
        if self._reel is None:
            self._reel = self._begin()
            if self._reel is None:
                return []
        reel = self._reel
        try:
            if not self._still_owed(reel):
                log.info("job %d: its frames changed while its film was written; dropped",
                         reel.job_id)  # fmt: skip
                self._drop()
                return []
            for frame, png_cid, exr_cid in reel.frames[reel.done : reel.done + self.per_step]:
                png = self.ipfs.cat_to_file(png_cid, reel.scratch / "frame.png")
                exr = self.ipfs.cat_to_file(exr_cid, reel.scratch / "frame.exr")
                reel.writer.add(film_name(frame), png, exr)
                reel.done += 1
            if reel.done < len(reel.frames):
                return []
            reel.writer.close()
            mp4_cid = self.ipfs.add_file(reel.writer.mp4)
            zip_cid = self.ipfs.add_file(reel.writer.archive)
        except IpfsUnavailable as exc:
            log.warning("job %d: IPFS unavailable for its film (%s); retrying", reel.job_id, exc)
            self._drop(retry=True)
            return []
        except Exception as exc:  # a film that cannot be made must not hold up the frames
            expected = isinstance(exc, IpfsError | TilefarmError | OSError | av.error.FFmpegError)
            error = str(exc) if expected else f"{type(exc).__name__}: {exc}"
            log.warning("job %d: its film cannot be made: %s", reel.job_id, error,
                        exc_info=not expected)  # fmt: skip
            self._drop(retry=True)
            self._record(reel, FILM_FAILED, error=error)
            return [reel.job_id]
        self._drop()
        self._record(reel, FILM_READY, mp4_cid=mp4_cid, zip_cid=zip_cid)
        log.info("job %d: film of %d frames at %s fps: mp4 %s, zip %s", reel.job_id,
                 len(reel.frames), reel.fps, mp4_cid, zip_cid)  # fmt: skip
        return [reel.job_id]

    def close(self) -> None:
        """Stop the film in progress, if any (its encoder process ends)."""
        self._drop()

    # -- which film next

    def _begin(self) -> _Reel | None:
        due = self._retry.take_due()
        if self.hub is not None:
            version = self.hub.version
            if version == self._seen_version and not due:
                return None  # no frame stored since the last look, no film to retry
            self._seen_version = version
        for job_id, manifest_cid in self._candidates():
            if (job_id, manifest_cid) in self._single or self._retry.waiting(job_id):
                continue
            stored = self.manifests.get(manifest_cid)
            if stored is None:
                continue
            if len(stored.manifest.frames) < 2:  # (the chain's frame count is informative only)
                self._single.add((job_id, manifest_cid))
                continue
            reel = self._reel_of(job_id, manifest_cid, stored.manifest)
            if reel is not None:
                return reel
        return None

    def _candidates(self) -> list[tuple[int, str]]:
        """Jobs whose frames are all assembled, with no film made or given up on."""
        with self.db.session() as session:
            settled = select(JobFilm.job_id).where(
                or_(JobFilm.status == FILM_READY, JobFilm.attempts >= MAX_ATTEMPTS)
            )
            rows = session.execute(
                select(AssemblyJob.job_id, AssemblyJob.manifest_cid)
                .join(JobView, JobView.job_id == AssemblyJob.job_id)
                .where(
                    AssemblyJob.done.is_(True),
                    AssemblyJob.error.is_(None),
                    AssemblyJob.manifest_cid == JobView.manifest_cid,
                    AssemblyJob.job_id.not_in(settled),
                )
                .order_by(AssemblyJob.job_id)
            ).all()
        return [(job_id, cid) for job_id, cid in rows]

    def _reel_of(self, job_id: int, manifest_cid: str, manifest: RenderManifest) -> _Reel | None:
        with self.db.session() as session:
            rows = {
                r.frame: r
                for r in session.scalars(
                    select(AssembledFrame).where(AssembledFrame.job_id == job_id)
                )
            }
            fps = scene_fps(session, manifest)
        frames = []
        for frame in manifest.frames:
            row = rows.get(frame)
            if row is None or row.status != FRAME_ASSEMBLED or not row.png_cid or not row.exr_cid:
                return None  # not all stored (a reorganisation dropped some): not yet
            frames.append((frame, row.png_cid, row.exr_cid))
        scratch = self.work_dir / f"job-{job_id}"
        shutil.rmtree(scratch, ignore_errors=True)  # what a film cut short left
        try:
            writer = Encoder(
                scratch / f"job-{job_id}.mp4", scratch / f"job-{job_id}.zip",
                manifest.resolution.width, manifest.resolution.height, fps,
            )  # fmt: skip
        except (FilmError, OSError) as exc:
            log.warning("job %d: its film cannot be begun: %s", job_id, exc)
            self._retry.wait(job_id, self.retry_seconds)
            return None
        log.info("job %d: writing its film of %d frames", job_id, len(frames))
        return _Reel(job_id, manifest_cid, fps, frames, scratch, writer)

    def _still_owed(self, reel: _Reel, session: Session | None = None) -> bool:
        """Whether the job's frames are still those the film is written from."""
        if session is None:
            with self.db.session() as own:
                return self._still_owed(reel, own)
        job = session.get(AssemblyJob, reel.job_id)
        return job is not None and job.done and job.manifest_cid == reel.manifest_cid

    # -- ending one

    def _drop(self, retry: bool = False) -> None:
        reel, self._reel = self._reel, None
        if reel is None:
            return
        reel.writer.abandon()
        shutil.rmtree(reel.scratch, ignore_errors=True)
        if retry:
            self._retry.wait(reel.job_id, self.retry_seconds)
        else:
            self._retry.clear(reel.job_id)

    def _record(
        self,
        reel: _Reel,
        status: str,
        *,
        mp4_cid: str | None = None,
        zip_cid: str | None = None,
        error: str | None = None,
    ) -> None:
        with self.db.session() as session:
            if not self._still_owed(reel, session):
                return  # the job's frames were dropped meanwhile: the film is not its film
            known = session.get(JobFilm, reel.job_id)
            attempts = (known.attempts if known is not None else 0) + 1
            session.merge(
                JobFilm(
                    job_id=reel.job_id, status=status, fps=float(reel.fps),
                    frames=len(reel.frames), mp4_cid=mp4_cid, zip_cid=zip_cid, error=error,
                    attempts=attempts, made_at=datetime.now(UTC),
                )
            )  # fmt: skip
