"""A verifier's evidence records what its patches were rendered on, so that the judge holds each
patch to the thresholds of its pair of backends: the CPU Cycles lists, a GPU selection, or the
CPU a failed GPU left the patches to. Real Blender, real Kubo."""

from pathlib import Path
from typing import Any

import pytest

from tilefarm.adapters.blender import BlenderChild, GpuRenderFailed
from tilefarm.adapters.blender.protocol import TEST_FAIL_GPU_RENDER, TEST_PRETEND_GPU
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.verification import load_evidence, render_evidence
from tilefarm.manifest import build_manifest
from tilefarm.results import Claim
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.blender, pytest.mark.ipfs]

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def _claim(kubo: KuboClient, tmp: Path, **requirements: Any) -> Claim:
    manifest = build_manifest(
        scene_cid=kubo.add_file(build_builtin_scene("tiny", tmp / "tiny.blend")), frames=[1, 2],
        resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 1}, samples=2,
        verification={"patch_size": 8, "patch_count": 4}, requirements=requirements,
    )  # fmt: skip
    return Claim(
        job_id=1, worker=WORKER, manifest_cid=kubo.add_bytes(manifest.canonical_json()),
        merkle_root="0x" + "ab" * 32, first_tile=0, tile_count=4, seed="0x" + "5e" * 32,
    )  # fmt: skip


def test_a_cpu_verifiers_evidence_says_the_cpu_it_was_rendered_on(
    kubo: KuboClient, tmp_path: Path
) -> None:
    with BlenderChild(threads=2) as child:
        evidence = render_evidence(_claim(kubo, tmp_path), kubo, tmp_path / "work", child)
        (cpu,) = [d for d in child.list_devices() if d.type == "CPU"]
    assert evidence.rendered_on is not None
    assert (evidence.rendered_on.backend, evidence.rendered_on.device) == ("CPU", cpu.name)
    assert {p.choice.frame for p in evidence.patches} == {1, 2}
    assert load_evidence(kubo, evidence.publish(kubo)).rendered_on == evidence.rendered_on


def test_a_gpu_verifiers_evidence_says_the_gpu(
    kubo: KuboClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    with BlenderChild(threads=2) as child:
        evidence = render_evidence(_claim(kubo, tmp_path), kubo, tmp_path / "work", child)
    assert evidence.rendered_on is not None and evidence.rendered_on.backend == "CUDA"


def test_evidence_whose_gpu_failed_says_the_cpu_that_rendered_it(
    kubo: KuboClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, "CUDA error: Launch failed in cuCtxSynchronize()")
    with BlenderChild(threads=2, cpu_kernel_problem="") as child:  # an AVX2 CPU
        evidence = render_evidence(_claim(kubo, tmp_path), kubo, tmp_path / "work", child)
    assert evidence.rendered_on is not None and evidence.rendered_on.backend == "CPU"
    assert any("driver or a render kernel failed" in w for w in child.warnings)


def test_evidence_on_a_gpu_only_job_whose_gpu_failed_is_rendered_on_the_cpu(
    kubo: KuboClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, "CUDA error: Out of memory in cuMemAlloc(&p, n)")
    claim = _claim(kubo, tmp_path, backend="GPU", cpu_fallback=False)
    with BlenderChild(threads=2, cpu_kernel_problem="") as child:  # an AVX2 CPU
        evidence = render_evidence(claim, kubo, tmp_path / "work", child)
    assert evidence.rendered_on is not None and evidence.rendered_on.backend == "CPU"
    assert len(evidence.patches) == 4


def test_a_verifier_whose_cpu_kernel_is_not_the_markets_renders_no_evidence_on_its_cpu(
    kubo: KuboClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_PRETEND_GPU, "CUDA")
    monkeypatch.setenv(TEST_FAIL_GPU_RENDER, "CUDA error: Launch failed in cuCtxSynchronize()")
    claim = _claim(kubo, tmp_path)
    old_kernel = "Cycles renders on this CPU with its SSE4.2 kernel"
    with BlenderChild(threads=2, cpu_kernel_problem=old_kernel) as child:
        with pytest.raises(GpuRenderFailed, match="may not be rendered on the CPU instead here"):
            render_evidence(claim, kubo, tmp_path / "work", child)
