"""Pins have a lifecycle: once a job has ended and its frames are stored, the server keeps its
working material pinned for a retention period the operator sets (`pin_retention_days`), then
unpins it on its IPFS node: the scene, every tile, the results lists and the verifiers' evidence.
Frames and films stay pinned: they are what the artist paid for.

Unpinning only lets the node's garbage collector reclaim the blocks; it deletes nothing. Only what
this node pins itself (recursive pins) is unpinned. Scenes are known from the manifests stored
here; a scene that a job still running or still within its retention also uses stays pinned, and
while such a job's manifest is not stored here no scene is unpinned. A job is looked at once its
last event is older than the retention period (chain time); what is unpinned is logged, and a job
is not looked at again by this server process once all of it is unpinned (after a restart, a job
with nothing of its own still pinned here is skipped without reading its results lists). When the
node refuses an unpin, the job's results lists stay pinned and the job is looked at again at the
next look, so that nothing of it stays pinned for good.

With a remote pinning service (`remote`), the remote pins of what is unpinned here are deleted
as well (`marketplace.assembly.remote_pins`).
"""

import logging
import time
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.assembly.assembler import Assembler
from marketplace.assembly.remote_pins import RemotePins, frame_cids
from marketplace.db.chain_models import ChainEvent, JobView, SeatView
from marketplace.db.frame_models import AssemblyJob
from marketplace.db.session import Database
from marketplace.manifests import Manifests
from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm.results import MAX_RESULTS_BYTES, ResultsList

log = logging.getLogger(__name__)

ENDED = ("Completed", "Cancelled", "Expired")
DAY = 86_400.0
CHECK_EVERY = 600.0


class PinRetention:
    """Unpins the working material of jobs that ended more than `retention_seconds` ago."""

    def __init__(
        self,
        db: Database,
        ipfs: KuboClient,
        manifests: Manifests,
        retention_seconds: float,
        every: float = CHECK_EVERY,
        remote: RemotePins | None = None,
    ) -> None:
        """`every`: seconds between two looks at the jobs (`step` is called far more often);
        `remote`: a pinning service whose pins of what is unpinned here are deleted too."""
        self.db = db
        self.ipfs = ipfs
        self.manifests = manifests
        self.retention_seconds = retention_seconds
        self.every = every
        self.remote = remote
        self._released: set[int] = set()
        self._next_look = 0.0

    @classmethod
    def beside(
        cls, assembler: Assembler, retention_days: float, remote: RemotePins | None = None
    ) -> "PinRetention":
        """Unpinning on the assembler's node, with its database and manifests."""
        return cls(
            assembler.db, assembler.ipfs, assembler.manifests, retention_days * DAY, remote=remote
        )

    def step(self) -> list[str]:
        """Unpin what has outlived the retention period, at most once every `every` seconds;
        returns the CIDs unpinned."""
        if time.monotonic() < self._next_look:
            return []
        self._next_look = time.monotonic() + self.every
        return self.release(time.time())

    def release(self, now: float) -> list[str]:
        """Unpin what has outlived the retention period at `now` (Unix seconds, chain time);
        returns the CIDs unpinned."""
        cutoff = now - self.retention_seconds
        with self.db.session() as session:
            due, kept = self.jobs(session, cutoff)
            if not due:
                return []
            frames = frame_cids(session)
            seats = {job_id: _seats(session, job_id) for job_id in due}
        pinned = self.ipfs.pins()
        # Scenes are known from the manifests stored here (IPFS is not asked: a manifest nobody
        # serves would hold this step up). While a job still kept has a manifest not stored
        # here, its scene is unknown, and no scene is unpinned.
        stored = [self.manifests.get(cid) for cid in kept]
        scenes_known = all(m is not None for m in stored)
        kept_scenes = {m.manifest.scene_cid for m in stored if m is not None}
        unpinned: list[str] = []
        for job_id, manifest_cid in due.items():
            lists = {s.results_cid for s in seats[job_id] if s.results_cid}
            evidence = {s.evidence_cid for s in seats[job_id] if s.evidence_cid}
            own = self.manifests.get(manifest_cid)
            scene = {own.manifest.scene_cid} if own is not None and scenes_known else set()
            if not (lists | evidence | scene) & pinned:  # released already, or never held here
                self._released.add(job_id)
                continue
            tiles = {t for cid in lists & pinned for t in self._tiles(cid)}
            # The results lists last: a restarted server knows a job is done by their absence.
            for group in (tiles, evidence, scene - kept_scenes, lists):
                done, missed = self._unpin((group & pinned) - frames)
                unpinned += done
                pinned -= set(done)  # a scene or tile another due job shares is unpinned once
                if missed:  # the lists stay pinned, and the job is looked at again next time
                    log.info("job %d: unpinning stopped; it is tried again later", job_id)
                    break
            else:
                self._released.add(job_id)
                log.info("job %d: unpinned its scene, tiles and evidence after retention", job_id)
        return unpinned

    def jobs(self, session: Session, cutoff: float) -> tuple[dict[int, str], list[str]]:
        """The posted jobs whose material is due for unpinning (id: manifest CID), and the
        manifest CIDs of every other job (running, or within its retention)."""
        due: dict[int, str] = {}
        kept: list[str] = []
        for job in session.scalars(select(JobView).where(JobView.root == 0)):
            if job.job_id in self._released:
                continue
            if (
                job.status in ENDED
                and _assembled(session, job)
                and _ended_at(session, job) < cutoff
            ):
                due[job.job_id] = job.manifest_cid
            else:
                kept.append(job.manifest_cid)
        return due, kept

    def _tiles(self, results_cid: str) -> set[str]:
        raw = self.ipfs.cat(results_cid, max_bytes=MAX_RESULTS_BYTES)
        return {tile.cid for tile in ResultsList.model_validate_json(raw).tiles}

    def _unpin(self, cids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Unpin `cids` here (and on the pinning service): those unpinned, and those that could
        not be (the node refused or did not answer)."""
        done: list[str] = []
        missed: list[str] = []
        for cid in sorted(cids):
            try:
                self.ipfs.pin_rm(cid)
                done.append(cid)
            except IpfsError as exc:  # unpinned meanwhile, or the node is busy or down
                log.warning("could not unpin %s: %s", cid, exc)
                missed.append(cid)
        if self.remote is not None:
            self.remote.forget(done)
        return done, missed


def _seats(session: Session, job_id: int) -> list[SeatView]:
    """The seats of the job and of every round of it."""
    rounds = select(JobView.job_id).where(JobView.root == job_id)
    return list(
        session.scalars(
            select(SeatView).where((SeatView.job_id == job_id) | SeatView.job_id.in_(rounds))
        )
    )


def _ended_at(session: Session, job: JobView) -> float:
    """When the job's last event (or a round's) was mined, in chain time."""
    rounds = select(JobView.job_id).where(JobView.root == job.job_id)
    last = session.scalar(
        select(func.max(ChainEvent.timestamp)).where(
            (ChainEvent.job_id == job.job_id) | ChainEvent.job_id.in_(rounds)
        )
    )
    return float(last if last is not None else job.posted_at)


def _assembled(session: Session, job: JobView) -> bool:
    """Whether the assembler is done with the job (nothing to assemble counts as done)."""
    if job.status != "Completed":
        return True
    record = session.get(AssemblyJob, job.job_id)
    return record is not None and record.done
