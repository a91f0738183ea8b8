"""One demo run: the local stack, the marketplace server and three workers as separate
processes, a job posted by the artist through the API, followed to its frames.

`DemoRun` is a context manager: whatever happens (an error, Ctrl-C), leaving it stops every
process it started, newest first, and the chain and IPFS last.
"""

import fcntl
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import IO, Any

import httpx
from web3 import Web3

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import connect_web3
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import RoundOpened
from tilefarm.adapters.ipfs import cid_of_bytes
from tilefarm_cli.demo import artist as artist_steps
from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.demo.progress import JobProgress, job_progress
from tilefarm_cli.demo.server import start_server, wait_until_serving
from tilefarm_cli.demo.summary import (
    DemoSummary,
    FrameResult,
    KilledWorker,
    gas_used,
    tile_rounds,
    worker_results,
)
from tilefarm_cli.demo.workers import ARTIST_ACCOUNT, DemoWorker, plan_workers, set_up
from tilefarm_cli.demo.workers import start as start_workers
from tilefarm_cli.devnet import Devnet, PortInUse
from tilefarm_cli.devnet.ports import port_is_free, port_owner
from tilefarm_cli.settings import TilefarmSettings

TERMINAL = ("Completed", "Cancelled", "Expired")
# Blocks come every `block_seconds`: a job still bidding this long after its windows got no bid.
NO_BIDS_GRACE_S = 60.0
ASSEMBLY_GRACE_S = 120.0  # after the job completes, how long frames may take to be assembled


class BlockTicker:
    """Mines a block every `seconds`, as a live chain does: the protocol's windows are chain time
    and its verifier draws wait for later blocks, so an idle devnet must not stand still."""

    def __init__(self, w3: Web3, seconds: float) -> None:
        self.w3, self.seconds = w3, seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="block-ticker", daemon=True)

    def start(self) -> "BlockTicker":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.wait(self.seconds):
            try:
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            except Exception:  # the chain stops before the ticker at shutdown
                return

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)


class DemoRun:
    """Start everything, post the job, follow it, summarise it; stop everything on exit."""

    def __init__(
        self,
        options: DemoOptions,
        on_step: Callable[[str], None] | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
    ) -> None:
        self.options = options
        self.step = on_step or (lambda _msg: None)
        self.on_progress = on_progress or (lambda _p: None)
        self.stack = TilefarmSettings(
            state_dir=options.state_dir / "stack",
            host=options.host,
            chain_port=options.chain_port,
            ipfs_api_port=options.ipfs_api_port,
            ipfs_gateway_port=options.ipfs_gateway_port,
        )
        self.devnet = Devnet(self.stack)
        self.group = ProcessGroup(options.state_dir / "processes.json")
        self.api = httpx.Client(base_url=options.server_url, timeout=30)
        self.local_http = httpx.Client(timeout=2)  # the workers' metrics
        self.ticker: BlockTicker | None = None
        self.workers: list[DemoWorker] = []
        self.password = secrets.token_urlsafe(16)
        self.w3: Web3 | None = None
        self.market: JobMarketClient | None = None
        self.started = time.monotonic()
        self._lock: IO[str] | None = None
        self.killed_after: float | None = None  # seconds from posting, with --kill-worker

    # ---- lifetime -------------------------------------------------------------------------

    def __enter__(self) -> "DemoRun":
        # One run per state folder: the lock dies with its holder, so a folder whose lock is free
        # holds only leftovers of a run that is gone, which `_prepare` may stop.
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.options.state_dir / "demo.lock").open("a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise DemoError(
                f"another demo is running with the state folder {self.options.state_dir}; "
                "stop it first or give this one another --state-dir and ports"
            ) from None
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the workers and the server, then the chain and IPFS. Safe to call twice."""
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None
        self.group.stop_all()
        self.devnet.down()
        self.api.close()
        self.local_http.close()
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def alive(self) -> None:
        """Raise if a process the demo started has died."""
        self.group.check()
        state = self.devnet.load()
        if state is not None:
            for name, proc in state.processes.items():
                if not proc.is_running():
                    raise DemoError(f"{name} stopped unexpectedly; see {proc.log}")

    # ---- the run ----------------------------------------------------------------------------

    def run(self) -> DemoSummary:
        o = self.options
        self._prepare()
        self.step("starting the chain (anvil) and IPFS (Kubo), deploying the market")
        status = self.devnet.up()
        if not status.running or status.deployments_file is None:
            raise DemoError("the local stack is not healthy: " + "; ".join(status.problems))
        rpc, ws, ipfs = str(status.rpc_url), str(status.ws_url), str(status.ipfs_api_url)
        deployments = status.deployments_file
        self.w3 = w3 = connect_web3(rpc)
        market = self.market = JobMarketClient.from_deployments(w3, read_deployments(deployments))
        self.ticker = BlockTicker(w3, o.block_seconds).start()

        self.step(f"starting the marketplace server on {o.server_url}")
        server = start_server(self.group, o, rpc, ws, ipfs, deployments)
        self.step(f"setting up {o.workers} workers: render-worker init --import-key, stake")
        self.workers = plan_workers(o)
        stake = market.config().min_stake
        set_up(self.workers, o, rpc, ipfs, deployments, stake, self.password)
        self.step(f"starting {o.workers} workers: render-worker run")
        start_workers(self.group, self.workers, o, self.password)
        self.step(f"building the {o.scene} scene")
        blend = artist_steps.build_scene(o)
        wait_until_serving(server, self.api)
        self._wait_for_workers()

        self.step("uploading the scene and its manifest to the server")
        scene, manifest = artist_steps.upload(self.api, blend, o)
        artist = dev_account(ARTIST_ACCOUNT)
        self.step(f"posting the job: {o.tile_count} tiles, signed by the artist {artist.address}")
        posted, posted_wall = time.monotonic(), time.time()
        job_id, _receipt = artist_steps.post_job(market, artist, o, manifest.cid())
        detail, marks, frames = self._follow(job_id, posted)
        stored = [f.get("assembled_at") for f in frames]
        if stored and all(stored):
            # The server's own clock: the progress polls see it up to a poll interval later.
            last = max(datetime.fromisoformat(str(t)).timestamp() for t in stored)
            marks["all_frames_assembled"] = round(last - posted_wall, 2)
        self.step("downloading the frames")
        files = self._download(job_id, frames)
        summary = self._summary(detail, marks, files, scene, manifest.cid(), artist.address)
        return summary

    def _prepare(self) -> None:
        o = self.options
        if self._lock is None:
            raise DemoError("DemoRun.run() runs inside `with DemoRun(...) as run:` only")
        # The demo's folder is its own: what a run killed outright left running is stopped, and
        # the chain, server database and worker keys are started afresh.
        self.group.stop_leftovers()
        self.devnet.down()
        if not port_is_free(o.host, o.server_port):
            raise PortInUse(
                "the marketplace server", o.host, o.server_port, "--port", port_owner(o.server_port)
            )
        for name in ("stack", "marketplace", "workers", "artist"):
            shutil.rmtree(o.state_dir / name, ignore_errors=True)
        o.state_dir.mkdir(parents=True, exist_ok=True)

    def _wait_for_workers(self, timeout: float = 120.0) -> None:
        """Until every worker's daemon follows the chain (its metrics report a block)."""
        assert self.w3 is not None
        deadline = time.monotonic() + timeout
        waiting = list(self.workers)
        while waiting:
            self.alive()
            waiting = [w for w in waiting if not self._worker_metric(w, "tilefarm_worker_block")]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(f"worker {w.number} (log {w.log})" for w in waiting)
                raise DemoError(f"{names} did not start following the chain in {timeout:.0f} s")
            time.sleep(0.3)

    def _worker_metric(self, worker: DemoWorker, name: str) -> float:
        """One of `worker`'s counters; 0 while it does not answer."""
        return (worker.metrics(self.local_http) or {}).get(name, 0.0)

    def _frames_status(self, job_id: int) -> dict[str, Any] | None:
        """`/api/jobs/{id}/frames`, or None while the server has no such route or answer."""
        try:
            response = self.api.get(f"/api/jobs/{job_id}/frames")
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def _follow(
        self, job_id: int, posted: float
    ) -> tuple[dict[str, Any], dict[str, float], list[dict[str, Any]]]:
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
                w.address: int(self._worker_metric(w, "tilefarm_worker_tiles_rendered"))
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
                assert self.market is not None  # set by run() before the job is posted
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
        assert self.market is not None
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

    def _killed(self) -> KilledWorker | None:
        number = self.options.kill_worker
        if number is None:
            return None
        address = self.workers[number - 1].address
        return KilledWorker(number=number, address=address, after_seconds=self.killed_after)

    def _download(self, job_id: int, frames: list[dict[str, Any]]) -> list[FrameResult]:
        """Each assembled frame's PNG and EXR from the server, checked against their CIDs."""
        out_dir = self.options.out_dir / f"job-{job_id}"
        results = []
        by_frame = {int(f["frame"]): f for f in frames}
        for number in self.options.frames:
            info = by_frame.get(number)
            if info is None or info.get("status") != "assembled":
                reason = (info or {}).get("error") or "the server has not assembled it"
                results.append(FrameResult(frame=number, status=f"not assembled: {reason}"))
                continue
            result = FrameResult(
                frame=number, status="assembled", missing_tiles=info.get("missing_tiles") or [],
                png_cid=info.get("png_cid"),
                exr_cid=info.get("exr_cid"), png_url=self.options.server_url + info["png_url"],
                exr_url=self.options.server_url + info["exr_url"],
            )  # fmt: skip
            for kind in ("png", "exr"):
                cid = info.get(f"{kind}_cid")
                if cid is None:
                    continue
                response = self.api.get(info[f"{kind}_url"], timeout=60)
                if not response.is_success:
                    artist_steps.api_answer(response, f"downloading frame {number} ({kind})")
                data = response.content
                if cid_of_bytes(data) != cid:
                    raise DemoError(f"frame {number}'s {kind.upper()} from the server is not {cid}")
                path = out_dir / f"frame-{number:04d}.{kind}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                setattr(result, f"{kind}_file", path)
            results.append(result)
        return results

    def _summary(
        self,
        detail: dict[str, Any],
        marks: dict[str, float],
        files: list[FrameResult],
        scene: dict[str, Any],
        manifest_cid: str,
        artist: str,
    ) -> DemoSummary:
        o = self.options
        assert self.w3 is not None
        job_id = int(detail["job_id"])
        workers = worker_results(detail, o.frames, o.tiles_per_frame)
        tiles = tile_rounds(detail, o.frames, o.tiles_per_frame)
        ledger = self.api.get(f"/api/ledger/{job_id}")
        refunded = int(ledger.json()["refunded"]) if ledger.status_code == 200 else None
        notes = []
        missing = [f.frame for f in files if f.status != "assembled"]
        if missing:
            notes.append(
                f"frames {missing} were not assembled by the server (GET /api/jobs/{job_id}/frames)"
            )
        holes = {f.frame: f.missing_tiles for f in files if f.missing_tiles}
        if holes:
            notes.append(f"tiles no round delivered, per frame: {holes}")
        return DemoSummary(
            job_id=job_id,
            status=detail["status"],
            server_url=o.server_url,
            page_url=f"{o.server_url}/#/jobs/{job_id}",
            job_api_url=f"{o.server_url}/api/jobs/{job_id}",
            scene=o.scene,
            scene_cid=scene["cid"],
            manifest_cid=manifest_cid,
            frames=o.frames,
            resolution=f"{o.width}x{o.height}",
            tile_grid=f"{o.columns}x{o.rows}",
            samples=o.samples,
            tiles=o.tile_count,
            artist=artist,
            deposit_wei=int(detail["deposit"]),
            paid_to_workers_wei=sum(w.paid_wei for w in workers),
            paid_to_verifiers_wei=sum(w.verifier_fee_wei for w in workers),
            refunded_wei=refunded,
            workers=workers,
            gas=gas_used(self.w3, detail, o.tile_count),
            wall_seconds=round(time.monotonic() - self.started, 2),
            seconds_from_post=marks,
            frame_files=files,
            frames_complete=not missing and not holes,
            tiles_by_round=tiles,
            rounds=max((t.round for t in tiles), default=0),
            killed_worker=self._killed(),
            notes=notes,
            logs=o.state_dir,
        )
