"""Every render says what it ran on, and a GPU that fails is told apart: rendered once more on
the CPU when the opening allows it (a worker's own tiles: when the job does; a re-render for
verification: always; never on a machine whose CPU kernel is not the market's), raised with its
cause when it does not. This machine has no GPU:
the GPU paths run through the child's test-only hooks (a selection that pretends to be CUDA and
renders on the CPU; a render failing with Cycles' own text)."""

import os
import re
import signal
from pathlib import Path

import pytest

from tilefarm.adapters.blender import (
    BlenderChild,
    ChildLimits,
    GpuRenderFailed,
    RenderedRegion,
    RenderFailed,
    Sandbox,
)
from tilefarm.adapters.blender.protocol import TEST_FAIL_GPU_RENDER, TEST_PRETEND_GPU
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender

OUT_OF_MEMORY = "CUDA error: Out of memory in cuMemAlloc(&device_pointer, size), line 813"
BUILD = re.compile(r"5\.0\.1 \([0-9a-f]{12}\)")  # the version string and the build hash


OLD_KERNEL = "Cycles renders on this CPU with its SSE4.2 kernel"  # `cpu_kernel.kernel_problem`


def _child(cpu_kernel_problem: str = "") -> BlenderChild:
    return BlenderChild(
        threads=2, sandbox=Sandbox.NETNS, limits=ChildLimits(wall_seconds=120),
        cpu_kernel_problem=cpu_kernel_problem,
    )  # fmt: skip


@pytest.fixture
def pretend_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")


@pytest.fixture
def cuda_out_of_memory(pretend_cuda: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, OUT_OF_MEMORY)


def test_a_cpu_render_reports_the_cpu_cycles_lists_and_blenders_build(
    child: BlenderChild, tmp_path: Path
) -> None:
    (tile,) = child.render_tiles(1, [0], tmp_path)
    (cpu,) = [d for d in child.list_devices() if d.type == "CPU"]
    on = tile.rendered_on
    assert (on.backend, on.device, on.driver) == ("CPU", cpu.name, "")
    assert BUILD.fullmatch(on.blender) and on.blender.startswith(child.blender_version or "?")


def test_a_gpu_backend_this_machine_lacks_renders_on_the_cpu_and_says_so(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
) -> None:
    with _child() as optix:
        optix.devices = ["OPTIX"]
        opened = optix.open(tiny_blend, manifest)
        (tile,) = optix.render_tiles(1, [0], tmp_path)
    assert opened.rendered_on.backend == tile.rendered_on.backend == "CPU"
    assert any("'OPTIX' is not available" in w for w in optix.warnings)


def test_a_selection_on_a_gpu_is_what_the_renders_report(
    pretend_cuda: None, tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
) -> None:
    with _child() as cuda:
        opened = cuda.open(tiny_blend, manifest)
        (tile,) = cuda.render_tiles(1, [0], tmp_path)
    assert opened.selection.backend == "CUDA"
    assert opened.rendered_on.backend == tile.rendered_on.backend == "CUDA"
    assert tile.rendered_on.device == "CUDA device a test pretends"
    assert cuda.warnings == []


def test_a_gpu_out_of_memory_is_rendered_again_on_the_cpu_when_the_job_allows_it(
    cuda_out_of_memory: None,
    child: BlenderChild,
    tiny_blend: Path,
    manifest: RenderManifest,
    tmp_path: Path,
) -> None:
    assert manifest.requirements.cpu_fallback  # the default
    reference = child.render_tiles(1, [0, 1], tmp_path / "cpu")
    with _child() as cuda:
        opened = cuda.open(tiny_blend, manifest)
        tiles = cuda.render_tiles(1, [0, 1], tmp_path / "fallback")
        # A GPU that failed once is not trusted again in this child, at the next opening too.
        cuda.open(tiny_blend, tiny_manifest(samples=4))
        (later,) = cuda.render_tiles(1, [2], tmp_path / "later")
    assert opened.rendered_on.backend == "CUDA"
    assert [t.rendered_on.backend for t in (*tiles, later)] == ["CPU", "CPU", "CPU"]
    assert [t.pixel_hash for t in tiles] == [t.pixel_hash for t in reference]
    fell_back, reopened = cuda.warnings  # once for the failure, once at the next opening
    assert f"the GPU ran out of memory: {OUT_OF_MEMORY}" in fell_back
    assert "rendering on the CPU, this region and every later one" in fell_back
    assert "failed earlier in this child" in reopened


def test_a_gpu_out_of_memory_is_raised_with_its_cause_when_the_job_wants_the_gpu_only(
    cuda_out_of_memory: None, tiny_blend: Path, tmp_path: Path
) -> None:
    with _child() as cuda:
        cuda.open(tiny_blend, tiny_manifest(requirements={"backend": "GPU", "cpu_fallback": False}))
        with pytest.raises(GpuRenderFailed) as raised:
            cuda.render_tiles(1, [0], tmp_path)
        assert cuda.running  # the child reports and stays usable
    failed = raised.value
    assert (failed.cause, failed.cycles_error) == (AbandonCause.GPU_OUT_OF_MEMORY, OUT_OF_MEMORY)
    assert "the GPU ran out of memory" in str(failed) and "does not allow" in str(failed)


def test_a_re_render_for_verification_falls_back_to_the_cpu_even_on_a_gpu_only_job(
    cuda_out_of_memory: None, tiny_blend: Path, tmp_path: Path
) -> None:
    with _child() as cuda:
        gpu_only = tiny_manifest(requirements={"backend": "GPU", "cpu_fallback": False})
        cuda.open(tiny_blend, gpu_only, cpu_fallback="always")
        (patch,) = cuda.render_tiles(1, [0], tmp_path)
    assert patch.rendered_on.backend == "CPU"
    assert any(f"the GPU ran out of memory: {OUT_OF_MEMORY}" in w for w in cuda.warnings)


def test_a_jobs_child_that_gave_its_tiles_up_still_checks_patches_of_that_job_on_the_cpu(
    cuda_out_of_memory: None, tiny_blend: Path, tmp_path: Path
) -> None:
    """The worker keeps one child per job: its own tiles are opened as the job says, the patches
    it checks for another seat of the job always may fall back (the scene is opened again)."""
    gpu_only = tiny_manifest(requirements={"backend": "GPU", "cpu_fallback": False})
    with _child() as cuda:
        tiles = cuda.open(tiny_blend, gpu_only)
        with pytest.raises(GpuRenderFailed):
            cuda.render_tiles(1, [0], tmp_path / "tiles")
        evidence = cuda.open(tiny_blend, gpu_only, cpu_fallback="always")
        (patch,) = cuda.render_tiles(1, [1], tmp_path / "patches")
    assert tiles.rendered_on.backend == "CUDA"
    assert evidence.rendered_on.backend == patch.rendered_on.backend == "CPU"


def test_a_machine_whose_cpu_kernel_is_not_the_markets_renders_nothing_on_its_cpu(
    cuda_out_of_memory: None, tiny_blend: Path, tmp_path: Path
) -> None:
    with _child(cpu_kernel_problem=OLD_KERNEL) as cuda:
        cuda.open(tiny_blend, tiny_manifest(), cpu_fallback="always")  # both allow the CPU
        with pytest.raises(GpuRenderFailed) as raised:
            cuda.render_tiles(1, [0], tmp_path)
    assert raised.value.cause is AbandonCause.GPU_OUT_OF_MEMORY
    assert "may not be rendered on the CPU instead here" in str(raised.value)
    assert not any("rendering on the CPU" in w for w in cuda.warnings)


def test_a_machine_whose_cpu_kernel_is_not_the_markets_opens_no_scene_on_its_cpu(
    tiny_blend: Path,
) -> None:
    # No GPU listed (gone, or never there): Cycles would quietly render on the CPU.
    with _child(cpu_kernel_problem=OLD_KERNEL) as gone, pytest.raises(GpuRenderFailed) as raised:
        gone.open(tiny_blend, tiny_manifest(), cpu_fallback="always")
    assert raised.value.cause is AbandonCause.GPU_LOST
    assert "renders nothing on its CPU" in str(raised.value)


def test_a_job_that_requires_the_cpu_is_rendered_on_the_cpu_by_a_gpu_worker_too(
    pretend_cuda: None, tiny_blend: Path, tmp_path: Path
) -> None:
    cpu_only = tiny_manifest(requirements={"backend": "CPU"})
    with _child() as cuda:
        opened = cuda.open(tiny_blend, cpu_only, cpu_fallback="always")
        (tile,) = cuda.render_tiles(1, [0], tmp_path)
    assert opened.rendered_on.backend == tile.rendered_on.backend == "CPU"


def test_a_gpu_that_failed_is_refused_at_a_later_opening_with_the_cause_of_its_failure(
    cuda_out_of_memory: None, tiny_blend: Path, tmp_path: Path
) -> None:
    gpu_only = tiny_manifest(requirements={"backend": "GPU", "cpu_fallback": False})
    with _child() as cuda:
        cuda.open(tiny_blend, gpu_only)
        with pytest.raises(GpuRenderFailed):
            cuda.render_tiles(1, [0], tmp_path)
        with pytest.raises(GpuRenderFailed) as raised:
            cuda.open(tiny_blend, tiny_manifest(samples=4, requirements=gpu_only.requirements))
    refused = raised.value
    assert (refused.cause, refused.cycles_error) == (
        AbandonCause.GPU_OUT_OF_MEMORY, OUT_OF_MEMORY
    )  # fmt: skip
    assert "the GPU ran out of memory" in str(refused) and "earlier in this child" in str(refused)


def test_a_scene_error_on_a_gpu_is_no_gpu_failure(
    pretend_cuda: None, monkeypatch: pytest.MonkeyPatch, tiny_blend: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, "Error: Cannot render, no camera")
    with _child() as cuda:
        cuda.open(tiny_blend, tiny_manifest())
        with pytest.raises(RenderFailed, match="no camera") as raised:
            cuda.render_tiles(1, [0], tmp_path)
    assert not isinstance(raised.value, GpuRenderFailed)


def test_a_child_that_dies_while_rendering_on_a_gpu_lost_its_gpu(
    pretend_cuda: None, tiny_blend: Path, tmp_path: Path
) -> None:
    slow = tiny_manifest(samples=64)  # the child is still rendering when the first tile is in
    with _child() as cuda:
        cuda.open(tiny_blend, slow)

        def killed_by_the_driver(_: RenderedRegion) -> None:
            if cuda.pid is not None:
                os.kill(cuda.pid, signal.SIGKILL)

        regions = [(f"tile-{i}", rect) for i, rect in enumerate(slow.tiles())]
        with pytest.raises(GpuRenderFailed) as raised:
            cuda.render_regions(1, regions, tmp_path, on_progress=killed_by_the_driver)
    assert raised.value.cause is AbandonCause.GPU_LOST
    assert "the GPU was lost" in str(raised.value) and "exit code -9" in str(raised.value)
