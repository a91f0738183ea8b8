"""Drills: the IPFS node and the server restart while a job runs.

- Kubo is stopped while the workers render and publish their tiles, and started again once a
  worker has hit the outage: uploads and downloads wait for it, and the job completes.
- `tilefarm serve` is SIGKILLed while the job runs and started again on the same database after
  the job has moved on without it: its indexer catches up, and its view of the job and of every
  event equals the contract's, nothing lost, nothing doubled.
Each ends with the job completed, each seat paid once and the market's ETH equal to what it owes.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from render_worker.daemon import WorkerDaemon
from render_worker.settings import PricingPolicy
from tests.drills.ledger import (
    assert_each_seat_paid_at_most_once,
    assert_money_conserved,
    completed_once_released,
)
from tests.worker.conftest import Stack, held_back, running_worker, wait_until
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.ipfs import IpfsUnavailable, KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import build_manifest
from tilefarm_cli.devnet import Devnet, kubo
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.process import spawn
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs]

PARAMS = ev.JobParams(
    tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=6, reveal_window=60, render_window=600, verify_window=600,
)  # fmt: skip

HALF = PricingPolicy(max_queue_tiles=2)  # each worker wins half the tiles: both render and verify


@pytest.fixture(scope="module")
def workers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two workers' keys and databases, kept across the drills: they are the staked pool the
    verifiers are drawn from, so each drill runs the same two (resuming where they stopped)."""
    return tmp_path_factory.mktemp("workers")


def _post_job(stack: Stack, tmp: Path) -> int:
    assert stack.status.ipfs_api_url
    with KuboClient(stack.status.ipfs_api_url) as ipfs:
        scene = build_builtin_scene("tiny", tmp / "tiny.blend")
        manifest = build_manifest(
            scene_cid=ipfs.add_file(scene), frames=[1], resolution={"width": 32, "height": 24},
            tile_grid={"columns": 2, "rows": 2}, samples=2,
            verification={"patch_size": 8, "patch_count": 4},
        )  # fmt: skip
        manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = stack.market.post_job(accounts[1], PARAMS, manifest_cid)
    return job_id


def _stage(worker: WorkerDaemon, job_id: int) -> str | None:
    return next((j.stage for j in worker.state.jobs() if j.job_id == job_id), None)


def _completed(stack: Stack, job_id: int) -> bool:
    return completed_once_released(stack.market, job_id)


def _assert_settled_once(stack: Stack, job_id: int, workers: list[WorkerDaemon]) -> None:
    events = stack.market.events(job_id=job_id)
    accepted = sorted(e.worker for e in events if isinstance(e, ev.PaymentReleased))
    assert accepted == sorted(w.me for w in workers)  # both seats rendered, verified and paid
    tiles = sum(e.tile_count for e in events if isinstance(e, ev.TilesAssigned))
    assert tiles == PARAMS.tile_count
    assert_each_seat_paid_at_most_once(stack.market, job_id)
    assert_money_conserved(stack.w3, stack.market)


# ---------------------------------------------------------------------------- Kubo


@contextmanager
def kubo_down(stack: Stack) -> Iterator[None]:
    """Stop the stack's Kubo (SIGTERM, as an operator's restart does); start it again on the
    same repo and port when the block ends, recorded so that `devnet down` stops the new one."""
    devnet = Devnet(stack.settings)
    state = devnet.load()
    assert state is not None and stack.status.ipfs_api_url
    state.processes["kubo"].stop()
    try:
        yield
    finally:
        repo = devnet.dir / "kubo"
        state.processes["kubo"] = spawn(
            "kubo", kubo.kubo_argv(stack.settings), devnet.dir / "kubo.log", kubo.kubo_env(repo)
        )
        devnet._save(state)
        wait_until(lambda: _answers(stack.status.ipfs_api_url or ""), 60, "Kubo to come back")


def _answers(api_url: str) -> bool:
    try:
        kubo.probe(api_url)
        return True
    except Exception:
        return False


def test_calls_made_while_kubo_restarts_wait_for_it_and_succeed(
    own_stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert own_stack.status.ipfs_api_url
    caplog.set_level(logging.WARNING, logger="tilefarm.adapters.ipfs.client")
    data = os.urandom(300_000)  # several blocks
    (tmp_path / "blob").write_bytes(data)
    with KuboClient(own_stack.status.ipfs_api_url) as ipfs:
        stored = ipfs.add_bytes(data)
        with ThreadPoolExecutor(max_workers=3) as pool:
            with kubo_down(own_stack):
                upload = pool.submit(ipfs.add_file, tmp_path / "blob")
                download = pool.submit(ipfs.cat, stored)
                to_file = pool.submit(ipfs.cat_to_file, stored, tmp_path / "copy")
                wait_until(lambda: len(caplog.records) >= 3, 30, "the calls to hit the outage")
            assert upload.result(timeout=60) == stored == cid_of_bytes(data)
            assert download.result(timeout=60) == data
            assert to_file.result(timeout=60).read_bytes() == data
    with KuboClient(own_stack.status.ipfs_api_url, outage_seconds=0) as impatient:
        with kubo_down(own_stack), pytest.raises(IpfsUnavailable, match="not reachable"):
            impatient.cat(stored)


def test_kubo_restarting_mid_job_is_ridden_out_and_the_job_completes(
    own_stack: Stack,
    block_producer: None,
    workers_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="tilefarm.adapters.ipfs.client")
    with (
        running_worker(own_stack, workers_dir, 2, pricing=HALF) as first,
        running_worker(own_stack, workers_dir, 3, pricing=HALF) as second,
    ):
        workers = [first, second]
        stopped = threading.Event()  # each worker's uploads after its first wait for it
        for daemon in workers:
            held_back(daemon.ipfs, "add_file", stopped, let_through=1)
        job_id = _post_job(own_stack, tmp_path)
        wait_until(
            lambda: any(w.state.tiles(job_id) for w in workers), 180, "a first rendered tile"
        )
        with kubo_down(own_stack):
            stopped.set()  # the uploads still to come meet the outage
            wait_until(
                lambda: any("unreachable" in r.getMessage() for r in caplog.records),
                60,
                "a worker to hit the IPFS outage",
            )
        wait_until(lambda: _completed(own_stack, job_id), 240, "the job to complete")
        for worker in workers:

            def paid(w: WorkerDaemon = worker) -> bool:
                return _stage(w, job_id) == "paid"

            wait_until(
                paid, 60, f"worker {worker.me} to see its pay (stage {_stage(worker, job_id)})"
            )
            assert all(t.cid for t in worker.state.tiles(job_id).values())
    _assert_settled_once(own_stack, job_id, workers)


# ---------------------------------------------------------------------------- the server


@contextmanager
def server_process(stack: Stack, state_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`tilefarm serve` on `port` with the indexer on; SIGKILLed at the end if still alive."""
    assert stack.status.rpc_url and stack.status.ipfs_api_url
    env = {
        **os.environ,
        "TILEFARM_SERVER_PORT": str(port),
        "TILEFARM_SERVER_STATE_DIR": str(state_dir),
        "TILEFARM_SERVER_RPC_URL": stack.status.rpc_url,
        "TILEFARM_SERVER_IPFS_API_URL": stack.status.ipfs_api_url,
        "TILEFARM_SERVER_DEPLOYMENTS_FILE": str(stack.deployments_file),
        "TILEFARM_SERVER_POLL_INTERVAL": "0.2",
    }
    cli = Path(sys.executable).parent / "tilefarm"
    with (state_dir.parent / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [str(cli), "serve"], stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(
            lambda: _get(port, "/api/health") is not None, 60, "the server to answer",
            state_dir.parent / "server.log",
        )  # fmt: skip
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _get(port: int, path: str) -> dict[str, object] | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


def test_the_server_killed_mid_job_catches_up_with_nothing_lost_or_doubled(
    own_stack: Stack, block_producer: None, workers_dir: Path, tmp_path: Path
) -> None:
    market = own_stack.market
    state_dir, port = tmp_path / "server", free_port()
    with (
        running_worker(own_stack, workers_dir, 2, pricing=HALF) as first,
        running_worker(own_stack, workers_dir, 3, pricing=HALF) as second,
    ):
        workers = [first, second]
        with server_process(own_stack, state_dir, port) as server:
            job_id = _post_job(own_stack, tmp_path)
            wait_until(
                lambda: (
                    (job := _get(port, f"/api/jobs/{job_id}")) is not None
                    and job["status"] == "Active"
                ),
                120,
                "the server to see the job's tiles assigned",
            )
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

        # The job moves on without the server: results are committed and verifiers drawn.
        wait_until(
            lambda: any(isinstance(e, ev.VerifierDrawn) for e in market.events(job_id=job_id)),
            180,
            "a verifier drawn while the server is down",
        )
        with server_process(own_stack, state_dir, port):
            wait_until(lambda: _completed(own_stack, job_id), 240, "the job to complete")
            head = own_stack.w3.eth.block_number

            def caught_up() -> bool:
                indexer = _get(port, "/api/indexer")
                return indexer is not None and int(str(indexer["next_block"])) > head

            wait_until(caught_up, 60, "the indexer to catch up", tmp_path / "server.log")
            view = _get(port, f"/api/jobs/{job_id}")
            everything = _get(port, "/api/events?limit=1")
            accounts = {w.me: _get(port, f"/api/workers/{w.me}") for w in workers}

    assert view is not None and everything is not None
    chain_job = market.job(job_id)
    assert (view["status"], view["escrow"], view["fees_due"]) == (
        chain_job.status_name,
        str(chain_job.escrow),
        str(chain_job.fees_due),
    )
    assert (view["commits"], view["reveals"], view["open_seats"]) == (
        chain_job.commits,
        chain_job.reveals,
        chain_job.open_seats,
    )
    seats = view["seats"]
    assert isinstance(seats, list) and len(seats) == 2
    for seat in seats:
        on_chain = market.seat(job_id, seat["worker"])
        assert (seat["state"], seat["price_per_tile"], seat["first_tile"], seat["tile_count"]) == (
            on_chain.state_name,
            str(on_chain.price_per_tile),
            on_chain.first_tile,
            on_chain.tile_count,
        )
    chain_events = [(e.block_number, e.log_index) for e in market.events(to_block=head)]
    job_events = [
        (e.block_number, e.log_index) for e in market.events(to_block=head, job_id=job_id)
    ]
    served = view["events"]
    assert isinstance(served, list)
    assert [(e["block_number"], e["log_index"]) for e in served] == job_events
    assert everything["total"] == len(chain_events)
    for address, account in accounts.items():
        assert account is not None
        assert account["stake"] == str(market.account(address).stake)
        assert account["balance"] == str(market.balance_of(address))
    _assert_settled_once(own_stack, job_id, workers)
