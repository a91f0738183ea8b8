"""`render-worker benchmark`: how fast this machine renders the built-in reference scene, in
samples per minute per device (backend). Pricing uses the figure of the backend the worker
renders on (`render_worker/work/machine.py`), and the report records the Blender build and the
devices it was measured with, so that a change of either is seen and measured again.

Each device renders the reference frame twice, at a low and a high sample count; the rate is the
difference in samples over the difference in time, so scene loading, kernel compilation and
synchronisation (fixed per render) do not count as sampling speed.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from render_worker.settings import WorkerSettings
from render_worker.work import benchmark_scene
from tilefarm.adapters.blender.devices import Device
from tilefarm.adapters.blender.errors import GpuRenderFailed
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.cids import cid_of_file
from tilefarm.hardware import GPU_BACKENDS
from tilefarm.manifest import build_manifest

REFERENCE_SIZE = 256


class DeviceBenchmark(BaseModel):
    """One backend's speed on the reference scene."""

    backend: str
    devices: list[Device]
    samples: int
    seconds: float
    samples_per_minute: float
    pixel_samples_per_minute: float
    warnings: list[str]


class BenchmarkReport(BaseModel):
    """Speed of every backend this machine has, with the Blender build and every device Cycles
    listed when it was measured."""

    scene: str
    width: int
    height: int
    blender_version: str
    devices: list[Device]
    results: list[DeviceBenchmark]
    # Backends whose GPU failed while measured, and what Cycles said: they have no figure.
    failed: dict[str, str] = {}

    def result_for(self, backend: str) -> DeviceBenchmark | None:
        """The figure of `backend` (e.g. "CPU", "OPTIX"), or None if it was not measured."""
        return next((r for r in self.results if r.backend == backend), None)


def _backends(available: list[Device]) -> list[str]:
    present = {d.type for d in available}
    gpus: list[str] = [b for b in GPU_BACKENDS if b in present]
    return [*gpus, "CPU"]


def run_benchmark(
    settings: WorkerSettings,
    *,
    samples: int = 32,
    backends: list[str] | None = None,
    on_backend: Callable[[str], None] | None = None,
) -> BenchmarkReport:
    """Measure samples per minute on the reference scene for each backend (default: all)."""
    low = max(1, samples // 8)
    results: list[DeviceBenchmark] = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-", dir=settings.scratch_dir) as tmp:
        root = Path(tmp)
        make_child = functools.partial(
            BlenderChild,
            limits=settings.child_limits(),
            sandbox=settings.sandbox,
            threads=settings.threads,
            scratch_root=settings.scratch_dir,
            # A GPU that fails while measured must not be priced at the CPU's speed.
            cpu_fallback="never",
        )
        with make_child() as probe:
            scene = root / "benchmark.blend"
            probe.build_scene(benchmark_scene.BUILDER, benchmark_scene.NAME, scene)
            available = probe.list_devices()
            blender_version = probe.blender_version or ""
        scene_cid = cid_of_file(scene)
        for backend in backends or _backends(available):
            if on_backend is not None:
                on_backend(backend)
            with make_child(devices=[backend]) as child:
                timings: list[float] = []
                try:
                    for count in (low, samples):
                        manifest = build_manifest(
                            scene_cid=scene_cid,
                            frames=[1],
                            resolution={"width": REFERENCE_SIZE, "height": REFERENCE_SIZE},
                            tile_grid={"columns": 1, "rows": 1},
                            samples=count,
                        )
                        opened = child.open(scene, manifest)
                        timings.append(child.render_frame(1, root / backend).seconds)
                except GpuRenderFailed as exc:
                    failed[backend] = str(exc)
                    continue
                seconds = max(timings[1] - timings[0], 1e-6)
                rate = (samples - low) / seconds * 60
                results.append(
                    DeviceBenchmark(
                        backend=opened.selection.backend,
                        devices=opened.selection.devices,
                        samples=samples,
                        seconds=timings[1],
                        samples_per_minute=rate,
                        pixel_samples_per_minute=rate * REFERENCE_SIZE * REFERENCE_SIZE,
                        warnings=list(child.warnings),
                    )
                )
    return BenchmarkReport(
        scene="benchmark",
        width=REFERENCE_SIZE,
        height=REFERENCE_SIZE,
        blender_version=blender_version,
        devices=available,
        results=results,
        failed=failed,
    )
