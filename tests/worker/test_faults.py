"""The worker against hostile or failing parts: an IPFS node that returns wrong bytes, an RPC
that drops connections (also in the middle of a reorganisation), a scene that cannot be rendered.
Each is handled with a clear reason and the worker keeps running."""

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pytest

from render_worker.chain import calls, sender
from render_worker.daemon import WorkerDaemon
from render_worker.state.models import JobRow
from tests.ipfs.hostile_node import flip_first_byte, hostile_node
from tests.worker.conftest import Stack, running_worker, wait_until, worker_daemon
from tests.worker.flaky_rpc import flaky_rpc
from tilefarm.adapters.chain.events import BidCommitted, JobParams
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

PARAMS = JobParams(
    tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=10, reveal_window=60, render_window=600, verify_window=600,
)  # fmt: skip


def _post(stack: Stack, tmp: Path, scene_bytes: bytes | None = None) -> int:
    assert stack.status.ipfs_api_url
    ipfs = KuboClient(stack.status.ipfs_api_url)
    if scene_bytes is None:
        scene_bytes = build_builtin_scene("tiny", tmp / "tiny.blend").read_bytes()
    manifest = build_manifest(
        scene_cid=ipfs.add_bytes(scene_bytes),
        frames=[1],
        resolution={"width": 32, "height": 24},
        tile_grid={"columns": 2, "rows": 2},
        samples=2,
    )
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = stack.market.post_job(
        accounts[1], PARAMS, ipfs.add_bytes(manifest.canonical_json())
    )
    return job_id


def _job(daemon: WorkerDaemon, job_id: int) -> JobRow | None:
    return next((j for j in daemon.state.jobs() if j.job_id == job_id), None)


def test_an_ipfs_node_returning_wrong_bytes_is_refused_and_the_job_skipped(
    own_stack: Stack, block_producer: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert own_stack.status.ipfs_api_url
    caplog.set_level(logging.WARNING, logger="render_worker")
    with hostile_node(own_stack.status.ipfs_api_url, flip_first_byte) as liar:
        with running_worker(own_stack, tmp_path, 5, ipfs_api_url=liar) as daemon:
            job_id = _post(own_stack, tmp_path)
            wait_until(
                lambda: (job := _job(daemon, job_id)) is not None and job.stage == "skipped",
                60,
                "skip",
            )
    job = _job(daemon, job_id)
    assert job is not None and "refused" in job.reason and job.manifest_cid in job.reason
    assert any("unusable" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    bids = [e for e in own_stack.market.events(job_id=job_id) if isinstance(e, BidCommitted)]
    assert bids == []


def test_an_rpc_that_drops_connections_is_retried_until_the_work_is_done(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    port = int(str(own_stack.status.rpc_url).rsplit(":", 1)[1])
    with flaky_rpc(port, every_nth=3) as proxy:
        rpc = f"http://127.0.0.1:{proxy.port}"
        with running_worker(
            own_stack, tmp_path, 6, rpc_url=rpc, ws_url="ws://127.0.0.1:9"
        ) as daemon:
            # Following the chain through the flaky RPC before the job's bid window opens.
            wait_until(lambda: daemon.state.get_meta("cursor") is not None, 60, "the worker")
            job_id = _post(own_stack, tmp_path)
            wait_until(
                lambda: (job := _job(daemon, job_id)) is not None and job.stage == "committed",
                120,
                "commit",
            )
            proxy.blackout.set()  # a full outage, then the node comes back
            time.sleep(2)
            proxy.blackout.clear()
            seat = own_stack.market.seat(job_id, daemon.me)
            assert seat.state_name == "Submitted"
    assert proxy.dropped > 5


def test_a_scene_that_cannot_render_is_reported_and_the_worker_goes_on(
    own_stack: Stack, block_producer: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="render_worker")
    with running_worker(own_stack, tmp_path, 7) as daemon:
        broken = _post(own_stack, tmp_path, scene_bytes=b"BLENDER-v500" + bytes(4000))
        wait_until(
            lambda: (job := _job(daemon, broken)) is not None and job.stage == "error", 120, "error"
        )
        good = _post(own_stack, tmp_path)
        wait_until(
            lambda: (job := _job(daemon, good)) is not None and job.stage == "committed",
            120,
            "good job",
        )
    job = _job(daemon, broken)
    assert job is not None and job.reason.startswith("rendering failed")
    assert any(f"job {broken}: rendering failed" in r.getMessage() for r in caplog.records)


def _node_gone(*_args: object, **_kwargs: object) -> None:
    raise ConnectionError("the node went away")


def _node_fails_in_the_check(daemon: WorkerDaemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon.sender, "reconcile", _node_gone)


def _node_fails_to_take_the_transaction_again(
    daemon: WorkerDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transaction is marked to be sent again, and the node refuses it (tried once here)."""
    monkeypatch.setattr(daemon.sender.w3.eth, "send_raw_transaction", _node_gone)
    monkeypatch.setattr(sender, "with_retries", partial(sender.with_retries, attempts=1))


@pytest.mark.parametrize(
    "fail", [_node_fails_in_the_check, _node_fails_to_take_the_transaction_again]
)
def test_a_transaction_a_reorganisation_removed_is_sent_again_after_the_node_failed_mid_check(
    own_stack: Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail: Callable[[WorkerDaemon, pytest.MonkeyPatch], None],
) -> None:
    """The worker has read the reorganisation (its cursor moved on) when the node fails while its
    removed transactions are being looked for or sent again: the worker goes on, and they are
    sent after the next blocks are read."""
    w3, market = own_stack.w3, own_stack.market
    rpc = lambda method, *params: w3.provider.make_request(method, list(params))["result"]  # noqa: E731
    daemon = worker_daemon(own_stack, tmp_path, 8)
    daemon.follow()
    snapshot = rpc("evm_snapshot")
    before = market.account(daemon.me).stake
    daemon.sender.send(calls.stake(10**15, "more"))
    daemon.follow()
    assert rpc("evm_revert", snapshot) is True
    for _ in range(3):  # the chain grows longer than it was, on other blocks
        rpc("evm_mine")
    assert market.account(daemon.me).stake == before

    fail(daemon, monkeypatch)
    daemon.follow()  # the worker goes on
    rpc("evm_mine")
    assert market.account(daemon.me).stake == before
    monkeypatch.undo()
    daemon.follow()
    assert market.account(daemon.me).stake == before + 10**15
