"""Following a posted demo job to its frames: the job and its re-offer rounds read from the
server as one job, progress reported, the artist paying once every frame is in, and with
`--kill-worker N` worker N killed as soon as it holds tiles it has not committed."""

import time
from collections.abc import Callable
from typing import Any

import httpx

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import RoundOpened
from tilefarm_cli.demo import artist as artist_steps
from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.demo.progress import JobProgress, job_progress
from tilefarm_cli.demo.workers import ARTIST_ACCOUNT, DemoWorker

# Blocks come every `block_seconds`: a job still bidding this long after its windows got no bid.
NO_BIDS_GRACE_S = 60.0
ASSEMBLY_GRACE_S = 120.0  # after the job completes, how long frames may take to be assembled


def worker_metric(http: httpx.Client, worker: DemoWorker, name: str) -> float:
    """One of `worker`'s counters; 0 while it does not answer."""
    return (worker.metrics(http) or {}).get(name, 0.0)


class JobFollower:
    """Follows one posted job of a demo run through the server's API."""

    def __init__(
        self,
        options: DemoOptions,
        api: httpx.Client,
        local_http: httpx.Client,
        market: JobMarketClient,
        workers: list[DemoWorker],
        group: ProcessGroup,
        alive: Callable[[], None],
        step: Callable[[str], None],
        on_progress: Callable[[JobProgress], None],
    ) -> None:
        self.options, self.api, self.local_http, self.market = options, api, local_http, market
        self.workers, self.group, self.alive = workers, group, alive
        self.step, self.on_progress = step, on_progress
        self.killed_after: float | None = None  # seconds from posting, with --kill-worker

    def _frames_status(self, job_id: int) -> dict[str, Any] | None:
        """`/api/jobs/{id}/frames`, or None while the server has no such route or answer."""
        try:
            response = self.api.get(f"/api/jobs/{job_id}/frames")
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def follow(
        self, job_id: int, posted: float
    ) -> tuple[dict[str, Any], dict[str, float], list[dict[str, Any]]]:
        """Poll the job (and its rounds) until it completed and its frames are assembled, or
        fail with what went wrong; returns its detail, the progress marks and its frames."""
        o = self.options
        marks: dict[str, float] = {}
        deadline = posted + o.timeout_seconds
        completed_at: float | None = None
        while True:
            self.alive()
            now = time.monotonic()
            response = self.api.get(f"/api/jobs/{job_id}")
            if response.status_code == 404:  # not indexed yet
                time.sleep(0.3)
                continue
            detail = self._with_rounds(artist_steps.api_answer(response, f"reading job {job_id}"))
            self._kill_if_due(detail, now - posted)
            rendered = {
                w.address: int(worker_metric(self.local_http, w, "tilefarm_worker_tiles_rendered"))
                for w in self.workers
            }
            frames_body = self._frames_status(job_id)
            frames = frames_body["frames"] if frames_body else []
            assembled = {int(f["frame"]) for f in frames if f.get("status") == "assembled"}
            progress = job_progress(detail, o.frames, o.tiles_per_frame, rendered, assembled)
            self.on_progress(progress)
            self._mark(marks, progress, now - posted)
            unbid = now - posted > o.bid_window + o.reveal_window + NO_BIDS_GRACE_S
            if detail["status"] == "Bidding" and unbid:
                raise DemoError(
                    f"job {job_id}: no worker bid within its windows (the maximum price per tile "
                    f"is {o.price_cap} wei); see the workers' logs in {o.state_dir}"
                )
            if detail["status"] in ("Cancelled", "Expired"):
                raise DemoError(f"job {job_id} ended {detail['status']}; see the workers' logs")
            if detail["status"] == "Active" and len(assembled) == len(o.frames):
                # The artist has every frame: it pays now instead of waiting for its contest
                # window to close (the workers would release their seats then).
                for round_id in [job_id, *self._round_ids(job_id)]:
                    artist_steps.release_accepted(
                        self.market, dev_account(ARTIST_ACCOUNT), round_id
                    )
            if detail["status"] == "Completed":
                completed_at = completed_at or now
                if len(assembled) == len(o.frames):
                    return detail, marks, frames
                if now - completed_at > ASSEMBLY_GRACE_S:
                    return detail, marks, frames  # the summary says which frames are missing
            if now > deadline:
                raise DemoError(
                    f"job {job_id} did not finish within {o.timeout_seconds:.0f} s "
                    f"(stage: {progress.stage}); see the logs in {o.state_dir}"
                )
            time.sleep(o.progress_seconds)

    def _round_ids(self, job_id: int) -> list[int]:
        """The job's re-offer rounds, in order, as the chain announced them."""
        return [e.round_id for e in self.market.events(job_id=job_id) if isinstance(e, RoundOpened)]

    def _with_rounds(self, detail: dict[str, Any]) -> dict[str, Any]:
        """The job's detail with the seats and events of each of its rounds added (each seat
        names its `round`), as if it were one job: the tiles of every round are the job's."""
        job_id = int(detail["job_id"])
        seats = [{**seat, "round": 0, "round_id": job_id} for seat in detail["seats"]]
        events = list(detail["events"])
        for number, round_id in enumerate(self._round_ids(job_id), start=1):
            response = self.api.get(f"/api/jobs/{round_id}")
            if response.status_code == 404:
                continue  # not indexed yet
            body = artist_steps.api_answer(response, f"reading round {round_id}")
            seats += [{**seat, "round": number, "round_id": round_id} for seat in body["seats"]]
            events += body["events"]
        return {**detail, "seats": seats, "events": events}

    def _kill_if_due(self, detail: dict[str, Any], seconds: float) -> None:
        """With --kill-worker N: SIGKILL worker N as soon as it holds tiles it has not committed
        (never restarted); its tiles go back on the market after the render deadline."""
        number = self.options.kill_worker
        if number is None or self.killed_after is not None:
            return
        victim = self.workers[number - 1]
        if any(s["worker"] == victim.address and s["state"] == "Assigned" for s in detail["seats"]):
            self.group.kill(f"worker {number}")
            self.killed_after = round(seconds, 2)
            self.step(f"killed worker {number} ({victim.address}) holding uncommitted tiles")

    @staticmethod
    def _mark(marks: dict[str, float], p: JobProgress, seconds: float) -> None:
        total = sum(f.tiles for f in p.frames)
        checks = {
            "bids_revealed": p.bids_revealed > 0,
            "tiles_assigned": sum(f.assigned for f in p.frames) == total,
            "first_tile_rendered": sum(f.rendered for f in p.frames) > 0,
            "all_tiles_rendered": sum(f.rendered for f in p.frames) == total,
            "all_results_committed": sum(f.committed for f in p.frames) == total,
            "all_tiles_verified": p.tiles_verified == total,
            "job_completed": p.status == "Completed",
            "all_frames_assembled": all(f.assembled for f in p.frames),
        }
        for name, reached in checks.items():
            if reached:
                marks.setdefault(name, round(seconds, 2))
