"""Two workers on the real stack (anvil, Kubo, the deployed market, Blender) declare different
hardware when they start, and each bids only on the jobs its hardware can render: a CPU worker
skips a job that requires a GPU, a GPU worker one that needs more GPU memory than it has, and
both bid on a job that requires nothing. Only the bids matter here: nothing is rendered. The
declaration is one of the worker's own transactions: one stored before a crash keeps its nonce."""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.daemon import WorkerDaemon
from render_worker.keystore import create_keystore
from render_worker.node import Node, connect, start_daemon, status_report
from render_worker.state.stages import Stage
from render_worker.work.machine import declare_hardware
from tests.worker.conftest import PASSWORD, Stack, wait_until, wait_until_read, worker_settings
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import BidCommitted, HardwareDeclared, JobParams
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.hardware_codes import BACKEND_CODES
from tilefarm.manifest import build_manifest
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

GPU_8_GIB = {"backend": "CUDA", "vram_mib": 8192}


def _staked(stack: Stack, tmp: Path, index: int, **overrides: Any) -> Node:
    """Dev account `index`'s worker, staked, its state in `tmp`."""
    settings = worker_settings(stack, tmp / f"worker{index}", **overrides)
    create_keystore(settings.keystore_path, PASSWORD, dev_account(index).key.hex())
    node = connect(settings, PASSWORD)
    node.market.stake(node.account, node.market.config().min_stake)
    return node


@contextmanager
def started_worker(stack: Stack, tmp: Path, index: int, **overrides: Any) -> Iterator[WorkerDaemon]:
    """Dev account `index`'s worker, staked and started the way `render-worker run` starts it:
    its machine probed (its hardware declared on chain at its first pass)."""
    with started(stack, _staked(stack, tmp, index, **overrides), f"worker {index}") as daemon:
        yield daemon


@contextmanager
def started(stack: Stack, node: Node, name: str) -> Iterator[WorkerDaemon]:
    """`node`'s worker, started as `render-worker run` starts it, until the test is done."""
    daemon = start_daemon(node)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until_read(stack, daemon.state, thread.is_alive, name)
        yield daemon
    finally:
        stop.set()
        thread.join(timeout=60)


def _declared(stack: Stack, *workers: WorkerDaemon) -> dict[str, tuple[int, int]]:
    """The hardware each of `workers` declared, by the chain's events."""
    mine = {w.me for w in workers}
    return {
        e.account: (e.backend, e.vram_mib)
        for e in stack.market.events()
        if isinstance(e, HardwareDeclared) and e.account in mine
    }


def _post(stack: Stack, ipfs: KuboClient, scene_cid: str, requirements: dict[str, Any]) -> int:
    manifest = build_manifest(
        scene_cid=scene_cid, frames=[1], resolution={"width": 32, "height": 16},
        tile_grid={"columns": 2, "rows": 1}, samples=2, requirements=requirements,
    )  # fmt: skip
    params = JobParams(
        tile_count=2, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
        bid_bond=10**14, bid_window=20, reveal_window=60, render_window=600, verify_window=600,
    )  # fmt: skip
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    job_id, _ = stack.market.post_job(artist, params, ipfs.add_bytes(manifest.canonical_json()))
    return job_id


def test_each_worker_declares_its_hardware_and_bids_only_on_jobs_it_can_render(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    scene_cid = ipfs.add_file(build_builtin_scene("tiny", tmp_path / "tiny.blend"))
    with (
        started_worker(own_stack, tmp_path, 2) as cpu,  # no GPU here: it declares the CPU
        started_worker(own_stack, tmp_path, 3, hardware=GPU_8_GIB) as gpu,
    ):
        cpu_code, cuda_code = BACKEND_CODES["CPU"], BACKEND_CODES["CUDA"]
        expected = {cpu.me: (cpu_code, 0), gpu.me: (cuda_code, 8192)}
        wait_until(
            lambda: _declared(own_stack, cpu, gpu) == expected, 60,
            "both workers to declare their hardware at their first pass",
        )  # fmt: skip
        for worker, code, vram in ((cpu, cpu_code, 0), (gpu, cuda_code, 8192)):
            record = market.account(worker.me)
            assert (record.backend, record.vram_mib) == (code, vram)
            (declaration,) = [
                t for t in worker.state.txs() if t.purpose.startswith("declareHardware:")
            ]
            assert declaration.status == "mined"  # sent by the worker's own sender
        # A restart with the same hardware sends nothing; `status` shows what the chain records.
        assert not declare_hardware(gpu.sender, gpu.state, gpu.machine.hardware)
        assert status_report(gpu.settings)["machine"]["hardware_on_chain"] == GPU_8_GIB

        small_gpu = _post(own_stack, ipfs, scene_cid, {"backend": "GPU", "min_vram_mib": 4096})
        big_gpu = _post(own_stack, ipfs, scene_cid, {"backend": "GPU", "min_vram_mib": 12288})
        anything = _post(own_stack, ipfs, scene_cid, {})
        jobs = (small_gpu, big_gpu, anything)

        def decided() -> bool:
            return all(
                (row := w.state.job(j)) is not None and row.stage in (Stage.BID, Stage.SKIPPED)
                for w in (cpu, gpu)
                for j in jobs
            )

        wait_until(decided, 60, "both workers to bid on or skip every job")
        seen = {}
        for worker in (cpu, gpu):
            for job_id in jobs:
                row = worker.state.job(job_id)
                assert row is not None
                seen[worker.me, job_id] = (row.stage, row.reason or "")
        bidders = {
            j: {e.bidder for e in market.events(job_id=j) if isinstance(e, BidCommitted)}
            for j in jobs
        }

    assert bidders == {small_gpu: {gpu.me}, big_gpu: set(), anything: {cpu.me, gpu.me}}
    assert [market.job(j).commits for j in jobs] == [1, 0, 2]
    for job_id in (small_gpu, big_gpu):
        stage, reason = seen[cpu.me, job_id]
        assert stage == Stage.SKIPPED and "the job requires a GPU" in reason
    stage, reason = seen[gpu.me, big_gpu]
    assert stage == Stage.SKIPPED
    assert "needs 12,288 MiB of GPU memory" in reason and "8,192 MiB" in reason
    assert [seen[gpu.me, small_gpu][0], seen[cpu.me, anything][0], seen[gpu.me, anything][0]] == [
        Stage.BID
    ] * 3


def test_a_transaction_stored_before_a_crash_keeps_its_nonce_and_the_declaration_follows_it(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    node = _staked(own_stack, tmp_path, 4, hardware=GPU_8_GIB)
    stake_before = node.market.account(node.account.address).stake
    # The worker crashed between storing a transaction and broadcasting it.
    sender = TxSender(node.w3, node.market, node.account, node.state)
    stored = sender._sign_and_store(calls.stake(10**15, "before-the-crash"))
    with started(own_stack, node, "worker 4") as worker:

        def mined() -> dict[str, int]:
            return {t.purpose: t.nonce for t in worker.state.txs() if t.status == "mined"}

        def both() -> bool:
            done = mined()
            return stored.purpose in done and any(k.startswith("declareHardware:") for k in done)

        wait_until(both, 60, "the stored transaction and the declaration to be mined")
        nonces = mined()
    (declared,) = [k for k in nonces if k.startswith("declareHardware:")]
    assert nonces[stored.purpose] == stored.nonce and nonces[declared] == stored.nonce + 1
    assert _declared(own_stack, worker) == {worker.me: (BACKEND_CODES["CUDA"], 8192)}
    assert node.market.account(worker.me).stake == stake_before + 10**15
