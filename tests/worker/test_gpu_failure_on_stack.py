"""A worker whose GPU fails on a job that allows no CPU retry gives its seat back at once, on the
real stack (anvil, Kubo, the deployed market, Blender): the chain records the cause, the seat is
timed out (slashed as a late worker's, its tiles returned), and the job's row says why. A GPU
that was lost stops the worker's bidding until it restarts. This machine has no GPU: the
worker's Blender child pretends its selection is CUDA and fails every render on it with Cycles'
text (the child's test-only hooks)."""

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from render_worker.node import status_report
from tests.worker.conftest import Stack, running_worker, wait_until
from tilefarm.adapters.blender.protocol import TEST_FAIL_GPU_RENDER, TEST_PRETEND_GPU
from tilefarm.adapters.chain.events import BidCommitted, JobParams, SeatAbandoned
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import build_manifest
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

OUT_OF_MEMORY = "CUDA error: Out of memory in cuMemAlloc(&device_pointer, size), line 813"
FELL_OFF_THE_BUS = "CUDA error: GPU has fallen off the bus in cuCtxSynchronize()"
PARAMS = JobParams(
    tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=10, reveal_window=60, render_window=600, verify_window=600,
)  # fmt: skip

# What the workers declare: their jobs require a GPU (a CUDA selection the child pretends).
CUDA = Hardware(backend="CUDA", vram_mib=8192)


def _post_gpu_only_job(stack: Stack, tmp: Path) -> int:
    assert stack.status.ipfs_api_url
    ipfs = KuboClient(stack.status.ipfs_api_url)
    manifest = build_manifest(
        scene_cid=ipfs.add_file(build_builtin_scene("tiny", tmp / "tiny.blend")),
        frames=[1], resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 2},
        samples=2, requirements={"backend": "GPU", "cpu_fallback": False},
    )  # fmt: skip
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = stack.market.post_job(
        accounts[1], PARAMS, ipfs.add_bytes(manifest.canonical_json())
    )
    return job_id


def test_a_worker_whose_gpu_runs_out_of_memory_gives_its_seat_back_with_the_cause(
    own_stack: Stack,
    block_producer: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, OUT_OF_MEMORY)
    caplog.set_level(logging.ERROR, logger="render_worker")
    market = own_stack.market
    with running_worker(own_stack, tmp_path, 4, hardware=CUDA) as daemon:
        job_id = _post_gpu_only_job(own_stack, tmp_path)
        wait_until(
            lambda: (
                (job := daemon.state.job(job_id)) is not None
                and job.stage == "abandoned"
                and "slashed" in job.reason
            ),  # the chain's SeatAbandoned, projected
            180,
            "the seat to be given back",
        )
    job = daemon.state.job(job_id)
    assert job is not None
    assert job.reason.startswith(f"the GPU ran out of memory: {OUT_OF_MEMORY}; ")
    (given_back,) = [e for e in market.events(job_id=job_id) if isinstance(e, SeatAbandoned)]
    assert (given_back.worker, given_back.cause) == (daemon.me, AbandonCause.GPU_OUT_OF_MEMORY)
    assert given_back.slashed > 0
    assert market.seat(job_id, daemon.me).state_name == "TimedOut"
    assert daemon.state.tiles(job_id) == {}  # no tile rendered on the CPU
    assert daemon.bidder.stopped() is None  # the next job may fit: it bids on
    assert any(
        f"job {job_id}: the GPU ran out of memory" in r.getMessage()
        and "giving the seat back" in r.getMessage()
        for r in caplog.records
    )


def test_a_worker_whose_gpu_is_lost_gives_its_seat_back_and_bids_on_nothing_more(
    own_stack: Stack,
    block_producer: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, FELL_OFF_THE_BUS)
    caplog.set_level(logging.ERROR, logger="render_worker")
    with running_worker(own_stack, tmp_path, 5, hardware=CUDA) as daemon:
        lost = _post_gpu_only_job(own_stack, tmp_path)
        wait_until(
            lambda: (job := daemon.state.job(lost)) is not None and job.stage == "abandoned",
            180, "the seat to be given back",
        )  # fmt: skip
        later = _post_gpu_only_job(own_stack, tmp_path)
        wait_until(
            lambda: (job := daemon.state.job(later)) is not None and job.stage != "seen",
            60, "the next job to be considered",
        )  # fmt: skip
    job = daemon.state.job(later)
    assert job is not None and job.stage == "skipped"
    assert job.reason.startswith(f"bidding stopped: the GPU was lost: {FELL_OFF_THE_BUS}")
    assert not [e for e in own_stack.market.events(job_id=later) if isinstance(e, BidCommitted)]
    stopped = status_report(daemon.settings)["machine"]["bidding_stopped"]
    assert (stopped["job_id"], stopped["cause"]) == (lost, "GPU_LOST")
    (loud,) = [r.getMessage() for r in caplog.records if "STOPPED BIDDING" in r.getMessage()]
    assert f"job {lost}'s seat" in loud and "restart the worker" in loud
