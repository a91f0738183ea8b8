"""What each tile was rendered on, as the worker stores it and its results list says it, and
which render failures give a seat back with which cause. Pure: SQLite files, no chain, no
Blender."""

import sqlite3
from pathlib import Path

import pytest

from render_worker.state.models import TileRow
from render_worker.state.store import WorkerState
from render_worker.work.assignment import results_list
from render_worker.work.give_back import give_back_for
from tilefarm.adapters.blender.errors import (
    ChildCrashed,
    GpuRenderFailed,
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
)
from tilefarm.hardware import RenderedOn
from tilefarm.hardware_codes import AbandonCause

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
GPU = RenderedOn(backend="OPTIX", device="NVIDIA RTX 4090", driver="550.54.15", blender="5.0.1 (a)")
CPU = RenderedOn(backend="CPU", device="AMD Ryzen 9 7950X", blender="5.0.1 (a)")


def _tile(index: int, on: RenderedOn | None) -> TileRow:
    return TileRow(
        job_id=7, job_tile=index, exr_path=f"/w/tile-{index:05d}.exr", pixel_hash="ab" * 32,
        cid=CID, seconds=1.0, rendered_on=None if on is None else on.model_dump(mode="json"),
    )  # fmt: skip


def test_a_results_list_names_each_tiles_device_once_per_distinct_machine() -> None:
    # Tiles 3 and 4 on the GPU, which then failed: 5 and 6 went to the CPU.
    tiles = {i: _tile(i, GPU if i < 5 else CPU) for i in (6, 3, 5, 4)}
    results = results_list(7, WORKER, "bafy", tiles)
    assert results.devices == [GPU, CPU]
    assert [(t.index, t.device) for t in results.tiles] == [(3, 0), (4, 0), (5, 1), (6, 1)]
    assert [results.backend_of(i) for i in (3, 4, 5, 6)] == ["OPTIX", "OPTIX", "CPU", "CPU"]
    assert results_list(7, WORKER, "bafy", tiles) == results  # the same list at every call


def test_tiles_stored_before_the_worker_recorded_devices_name_none() -> None:
    results = results_list(7, WORKER, "bafy", {0: _tile(0, None), 1: _tile(1, CPU)})
    assert results.devices == [CPU]
    assert [t.device for t in results.tiles] == [None, 0]
    assert results.backend_of(0) == "CPU"


def test_an_old_worker_database_gains_the_rendered_on_column_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "worker.db"
    with sqlite3.connect(path) as db:  # the tiles table as a worker before this one wrote it
        db.execute(
            "CREATE TABLE tiles (job_id BIGINT NOT NULL, job_tile INTEGER NOT NULL, exr_path TEXT "
            "NOT NULL, pixel_hash VARCHAR(64) NOT NULL, cid VARCHAR(128), seconds FLOAT NOT NULL, "
            "PRIMARY KEY (job_id, job_tile))"
        )
        db.execute("INSERT INTO tiles VALUES (7, 2, '/w/t.exr', 'ab', 'bafy', 1.5)")
    state = WorkerState(path)
    (old,) = state.tiles(7).values()
    assert (old.job_tile, old.cid, old.seconds, old.rendered_on) == (2, "bafy", 1.5, None)
    with state.session() as s:
        s.merge(_tile(3, GPU))
    state = WorkerState(path)  # opened again: nothing more to add
    assert RenderedOn.model_validate(state.tiles(7)[3].rendered_on) == GPU
    assert state.tiles(7)[2].cid == "bafy"


@pytest.mark.parametrize(
    ("failure", "cause", "reason"),
    [
        (
            GpuRenderFailed(
                "CUDA: the GPU ran out of memory: ...",
                cause=AbandonCause.GPU_OUT_OF_MEMORY,
                cycles_error="CUDA error: Out of memory in cuMemAlloc(&device_pointer, size)",
            ),
            AbandonCause.GPU_OUT_OF_MEMORY,
            "the GPU ran out of memory: CUDA error: Out of memory in cuMemAlloc(&device_pointer, "
            "size)",
        ),
        (
            GpuRenderFailed("lost", cause=AbandonCause.GPU_LOST, cycles_error="Xid 79"),
            AbandonCause.GPU_LOST,
            "the GPU was lost: Xid 79",
        ),
        (
            RenderMemoryExceeded("the Blender child used 9000 MiB, over its limit"),
            AbandonCause.HOST_OUT_OF_MEMORY,
            "the render ran out of the worker's memory limit: the Blender child used 9000 MiB, "
            "over its limit",
        ),
        (
            RenderTimeout("the Blender child took longer than 600 s"),
            AbandonCause.RENDER_TIME_LIMIT,
            "the render ran past the worker's time limit: the Blender child took longer than 600 s",
        ),
    ],
)
def test_a_failure_of_this_machine_gives_the_seat_back_with_its_cause(
    failure: Exception, cause: AbandonCause, reason: str
) -> None:
    given = give_back_for(failure)
    assert given is not None and (given.cause, given.reason) == (cause, reason)


@pytest.mark.parametrize(
    "failure",
    [RenderFailed("Blender failed to render: no camera"), ChildCrashed("exit code -11"), OSError()],
)
def test_any_other_render_failure_keeps_the_seat(failure: Exception) -> None:
    assert give_back_for(failure) is None
