"""One demo run: the local chain, an IPFS node for the server and for each worker, the
marketplace server and three workers as separate processes, a job posted by the artist through
the API, followed to its frames.

`DemoRun` is a context manager: whatever happens (an error, Ctrl-C), leaving it stops every
process it started, newest first, and the chain last.
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
from tilefarm_cli.demo import artist as artist_steps
from tilefarm_cli.demo.downloads import download_frames
from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.follow import JobFollower, worker_metric
from tilefarm_cli.demo.nodes import DemoNodes, check_ports, start_nodes
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.demo.progress import JobProgress
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
from tilefarm_cli.devnet.ports import free_port, port_is_free, port_owner
from tilefarm_cli.settings import TilefarmSettings


def _spare_port(options: DemoOptions) -> int:
    """A free port that none of the demo's own port options names."""
    taken = {
        options.server_port,
        options.chain_port,
        options.ipfs_api_port,
        options.ipfs_gateway_port,
    }
    port = free_port(options.host)
    while port in taken:
        port = free_port(options.host)
    return port


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
        # The devnet's own Kubo is offline, so it can trade content with no other node: the
        # parties get nodes of their own (`nodes.py`, on the demo's IPFS ports) and it sits idle
        # on free ports, started only because the stack brings it along with the chain.
        self.stack = TilefarmSettings(
            state_dir=options.state_dir / "stack",
            host=options.host,
            chain_port=options.chain_port,
            ipfs_api_port=_spare_port(options),
            ipfs_gateway_port=_spare_port(options),
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
        self.follower: JobFollower | None = None
        self.nodes: DemoNodes | None = None

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
        """Stop the workers, the server and the IPFS nodes, then the chain. Safe to call twice."""
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
        self.step("starting the chain (anvil), deploying the market")
        status = self.devnet.up()
        if not status.running or status.deployments_file is None:
            raise DemoError("the local stack is not healthy: " + "; ".join(status.problems))
        rpc, ws = str(status.rpc_url), str(status.ws_url)
        deployments = status.deployments_file
        self.w3 = w3 = connect_web3(rpc)
        market = self.market = JobMarketClient.from_deployments(w3, read_deployments(deployments))
        self.ticker = BlockTicker(w3, o.block_seconds).start()

        self.workers = plan_workers(o)
        self.step(f"starting {o.workers + 1} IPFS nodes (Kubo: the server's, one per worker), "
                  "peered with each other")  # fmt: skip
        nodes = self.nodes = start_nodes(
            self.group, o, [w.number for w in self.workers], self.stack.ipfs_bin
        )
        self.step(f"starting the marketplace server on {o.server_url}")
        server = start_server(self.group, o, rpc, ws, nodes.server.api_url, deployments)
        self.step(f"setting up {o.workers} workers: render-worker init --import-key, stake")
        stake = market.config().min_stake
        urls = {n: node.api_url for n, node in nodes.workers.items()}
        set_up(self.workers, o, rpc, urls, deployments, stake, self.password)
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
        self.follower = JobFollower(
            o, self.api, self.local_http, market, self.workers, self.group,
            alive=self.alive, step=self.step, on_progress=self.on_progress,
        )  # fmt: skip
        detail, marks, frames = self.follower.follow(job_id, posted)
        stored = [f.get("assembled_at") for f in frames]
        if stored and all(stored):
            # The server's own clock: the progress polls see it up to a poll interval later.
            last = max(datetime.fromisoformat(str(t)).timestamp() for t in stored)
            marks["all_frames_assembled"] = round(last - posted_wall, 2)
        self.step("downloading the frames")
        files = download_frames(self.api, o, job_id, frames)
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
        check_ports(o)
        for name in ("stack", "ipfs", "marketplace", "workers", "artist"):
            shutil.rmtree(o.state_dir / name, ignore_errors=True)
        o.state_dir.mkdir(parents=True, exist_ok=True)

    def _wait_for_workers(self, timeout: float = 120.0) -> None:
        """Until every worker's daemon follows the chain (its metrics report a block)."""
        assert self.w3 is not None
        deadline = time.monotonic() + timeout
        waiting = list(self.workers)
        while waiting:
            self.alive()
            waiting = [
                w for w in waiting if not worker_metric(self.local_http, w, "tilefarm_worker_block")
            ]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(f"worker {w.number} (log {w.log})" for w in waiting)
                raise DemoError(f"{names} did not start following the chain in {timeout:.0f} s")
            time.sleep(0.3)

    def _killed(self) -> KilledWorker | None:
        number = self.options.kill_worker
        if number is None:
            return None
        address = self.workers[number - 1].address
        after = self.follower.killed_after if self.follower is not None else None
        return KilledWorker(number=number, address=address, after_seconds=after)

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
            ipfs_nodes=self.nodes.api_urls() if self.nodes is not None else {},
            notes=notes,
            logs=o.state_dir,
        )
