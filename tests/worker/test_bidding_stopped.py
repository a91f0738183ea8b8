"""A worker whose GPU was lost or whose driver failed stops bidding: every seat it won next would
be given back and slashed the same. It says so once, loudly, `status` shows it, and a restart
(the operator checked the GPU) bids again. Pure: a SQLite file, no chain, no Blender."""

import logging
from pathlib import Path
from typing import Any, cast

import pytest

from render_worker.chain.sender import TxSender
from render_worker.metrics import WorkerMetrics
from render_worker.node import machine_line
from render_worker.settings import DaemonSettings, PricingPolicy
from render_worker.state.models import JobRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.bidding import Bidder
from render_worker.work.give_back import STOPS_BIDDING, GiveBack, give_back_for
from render_worker.work.machine import MachineProfile, machine_report
from render_worker.work.manifests import Manifests
from tilefarm.adapters.blender.errors import GpuRenderFailed
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import AbandonCause

ME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
ARTIST = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
LOST = GpuRenderFailed(
    "CUDA: the GPU was lost: GPU has fallen off the bus", cause=AbandonCause.GPU_LOST,
    cycles_error="GPU has fallen off the bus",
)  # fmt: skip


class _NoChain:
    """A worker that stopped bidding asks the chain, IPFS and its sender nothing about a job."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a stopped bidder asked for {name}")


class _NothingSent(_NoChain):
    def sent(self, purpose: object) -> None:
        return None


def _bidder(state: WorkerState) -> Bidder:
    gpu = MachineProfile.configured(1e6, Hardware(backend="CUDA", vram_mib=8192))
    return Bidder(
        ME, PricingPolicy(), gpu, state, cast(JobMarketClient, _NoChain()),
        cast(Manifests, _NoChain()), cast(TxSender, _NothingSent()),
        lambda job_id, cid: None, WorkerMetrics(),
    )  # fmt: skip


def _seen(state: WorkerState, job_id: int, stage: Stage = Stage.SEEN) -> JobRow:
    with state.session() as s:
        s.add(JobRow(job_id=job_id, manifest_cid="bafy", artist=ARTIST, tile_count=4,
                     max_price_per_tile=10, bid_end=100, reveal_end=200, render_window=600,
                     stage=stage.value))  # fmt: skip
    job = state.job(job_id)
    assert job is not None
    return job


@pytest.mark.parametrize("cause", list(AbandonCause))
def test_only_a_lost_gpu_or_a_failed_driver_stops_bidding(cause: AbandonCause) -> None:
    # Out of memory is the job's size, a time or memory limit the worker's settings: the next
    # job may fit. A lost device or a broken driver fails every job.
    stops = cause in (AbandonCause.GPU_LOST, AbandonCause.GPU_DRIVER_FAILURE)
    assert (cause in STOPS_BIDDING) is stops


def test_a_worker_whose_gpu_was_lost_skips_new_jobs_says_so_once_and_status_shows_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = WorkerState(tmp_path / "worker.db")
    bidder = _bidder(state)
    given = give_back_for(LOST)
    assert given is not None
    bidder.after_give_back(7, given)
    bidder.after_give_back(8, GiveBack(AbandonCause.GPU_DRIVER_FAILURE, "the driver failed"))

    (loud,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    said = loud.getMessage()
    assert "STOPPED BIDDING" in said and "job 7" in said and "the GPU was lost" in said
    assert "check the GPU" in said and "restart the worker" in said
    bidder.consider(_seen(state, 9), now=50)
    job = state.job(9)
    assert job is not None and job.stage == Stage.SKIPPED
    assert job.reason.startswith("bidding stopped: the GPU was lost")

    machine = machine_report(DaemonSettings(state_dir=tmp_path), state)
    stopped = machine["bidding_stopped"]
    assert (stopped["job_id"], stopped["cause"]) == (7, "GPU_LOST")
    assert stopped["reason"] == "the GPU was lost: GPU has fallen off the bus"
    assert "BIDDING STOPPED" in machine_line(machine)

    bidder.resume()  # `run` starts again: the operator checked the GPU
    assert machine_report(DaemonSettings(state_dir=tmp_path), state)["bidding_stopped"] is None
    assert bidder.stopped() is None


def test_a_gpu_out_of_memory_gives_the_seat_back_and_bids_on(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    bidder = _bidder(state)
    bidder.after_give_back(7, GiveBack(AbandonCause.GPU_OUT_OF_MEMORY, "out of memory"))
    assert bidder.stopped() is None
    assert machine_report(DaemonSettings(state_dir=tmp_path), state)["bidding_stopped"] is None
