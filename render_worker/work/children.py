"""The worker's warm Blender child: one process, kept for one job at a time.

Starting a child (a Python with `bpy` imported) takes 0.6 s on an idle 2-core machine and over a
second while other renders run; a worker used to pay it twice on a job's critical path, once when
its tiles were assigned and again when it was drawn to verify a seat of the same job. Now the
child is started while the worker's bid waits for the auction to end, renders its tiles, and
re-renders the patches it checks for that job.

A child is only ever reused within one job, known by its number and its manifest's CID (a number
is taken again by the next job posted when a chain reorganisation removes a job's posting): the
next job's untrusted .blend gets a fresh process, so nothing one artist's scene leaves in a child
can touch another artist's pixels.

Not thread-safe by design: only the worker's single background thread calls it (renders,
verifications and warm-ups are queued there one after another).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from render_worker.settings import WorkerSettings
from tilefarm.adapters.blender.launcher import BlenderChild

# A child left idle this long (its job's work done, or a lost auction) is stopped.
IDLE_SECONDS = 120.0

# A job: its number and its manifest's CID.
JobKey = tuple[int, str]


class JobChildren:
    """Hands out the started Blender child of a job, replacing it when the job changes."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._child: BlenderChild | None = None
        self._job: JobKey | None = None
        self._used = time.monotonic()

    @property
    def job(self) -> JobKey | None:
        """The job whose child is running, if any."""
        return self._job if self._child is not None and self._child.running else None

    @contextmanager
    def using(self, job_id: int, manifest_cid: str) -> Iterator[BlenderChild]:
        """The running child for the job while the caller works with it; it is not idle then."""
        try:
            yield self.child(job_id, manifest_cid)
        finally:
            self._used = time.monotonic()

    def child(self, job_id: int, manifest_cid: str) -> BlenderChild:
        """A running child for the job: the kept one, or a new one (the other job's stopped)."""
        self._used = time.monotonic()
        if self._child is not None and self._job == (job_id, manifest_cid) and self._child.running:
            return self._child
        self.close()
        child = BlenderChild(
            limits=self.settings.child_limits(),
            sandbox=self.settings.sandbox,
            threads=self.settings.threads,
            devices=self.settings.devices,
            scratch_root=self.settings.scratch_dir,
            # Shut in: a job's .blend is a stranger's (settings.confinement: what it cannot see).
            confinement=self.settings.confinement(),
        )
        try:
            child.start()
        except BaseException:
            child.close()
            raise
        self._child, self._job = child, (job_id, manifest_cid)
        return child

    def idle_seconds(self) -> float:
        return time.monotonic() - self._used if self._child is not None else 0.0

    def close(self) -> None:
        """Stop the kept child, if any."""
        if self._child is not None:
            self._child.close()
        self._child, self._job = None, None
