"""A GPU worker whose GPU has gone (Cycles lists it no more, so its Blender child renders on the
CPU) gives the seat back as "GPU lost" on a job that allows no CPU render, rather than deliver CPU
tiles that verification fails as fraud; where the job allows the CPU, it renders there."""

from pathlib import Path
from typing import Any, cast

import pytest

from render_worker.state.store import WorkerState
from render_worker.work.assignment import AssignmentRenderer
from render_worker.work.children import JobChildren
from render_worker.work.manifests import Manifests
from tilefarm.adapters.blender.errors import GpuRenderFailed
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.hardware import Requirements
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest, build_manifest

SCENE = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _manifest(cpu_fallback: bool) -> RenderManifest:
    return build_manifest(
        scene_cid=SCENE, frames=[1], resolution={"width": 8, "height": 8},
        tile_grid={"columns": 1, "rows": 1}, samples=1,
        requirements=Requirements(backend="GPU", cpu_fallback=cpu_fallback),
    )  # fmt: skip


def _renderer(tmp_path: Path, backend: str) -> AssignmentRenderer:
    unused = cast(Any, None)
    return AssignmentRenderer(
        cast(KuboClient, unused), cast(Manifests, unused), WorkerState(tmp_path / "w.db"),
        tmp_path, 1, cast(JobChildren, unused), backend=backend,
    )  # fmt: skip


def test_a_gpu_worker_rendering_on_the_cpu_gives_a_gpu_only_job_back_as_gpu_lost(
    tmp_path: Path,
) -> None:
    renderer = _renderer(tmp_path, "CUDA")
    with pytest.raises(GpuRenderFailed) as raised:
        renderer.require_declared_backend("CPU", _manifest(cpu_fallback=False))
    assert raised.value.cause == AbandonCause.GPU_LOST
    assert "CUDA is no longer among the devices Cycles lists" in str(raised.value)


def test_it_renders_on_the_cpu_where_the_job_allows_it_and_on_its_gpu_as_before(
    tmp_path: Path,
) -> None:
    renderer = _renderer(tmp_path, "CUDA")
    renderer.require_declared_backend("CPU", _manifest(cpu_fallback=True))
    renderer.require_declared_backend("CUDA", _manifest(cpu_fallback=False))
    _renderer(tmp_path, "CPU").require_declared_backend("CPU", _manifest(cpu_fallback=False))
