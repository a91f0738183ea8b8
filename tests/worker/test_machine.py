"""The worker's machine profile: it prices by the stored figure of the backend it renders on,
measures again when Blender or the devices changed, lets the config's figure win, declares its
backend and GPU memory (or what the config says), and its hardware decides which jobs it can
render at all. Pure logic: the benchmark and nvidia-smi are stand-ins here (real Blender runs in
test_operator_cli.py)."""

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from render_worker.errors import WorkerError
from render_worker.settings import DaemonSettings
from render_worker.state.store import WorkerState
from render_worker.work.benchmark import BenchmarkReport, DeviceBenchmark
from render_worker.work.machine import (
    MachineProfile,
    Probe,
    machine_profile,
    store_benchmark,
    stored_benchmark,
)
from tilefarm.adapters.blender.devices import Device
from tilefarm.adapters.blender.gpu_memory import GpuMemory, nvidia_gpu_memory
from tilefarm.hardware import Hardware, Requirements

CPU = Device(type="CPU", name="AMD Ryzen 9 7950X", id="CPU")
RTX = "NVIDIA GeForce RTX 4090"
RTX_CUDA = Device(type="CUDA", name=RTX, id=f"CUDA_{RTX}_0000:01:00")
RTX_OPTIX = Device(type="OPTIX", name=RTX, id=f"CUDA_{RTX}_0000:01:00_OptiX")
SMALL = "NVIDIA GeForce RTX 3060"
SMALL_CUDA = Device(type="CUDA", name=SMALL, id=f"CUDA_{SMALL}_0000:02:00")
GPUS = [GpuMemory(name=RTX, total_mib=24564), GpuMemory(name=SMALL, total_mib=12288)]
BLENDER = "5.0.1"


def _report(
    speeds: dict[str, float], devices: list[Device], blender: str = BLENDER
) -> BenchmarkReport:
    return BenchmarkReport(
        scene="benchmark", width=256, height=256, blender_version=blender, devices=devices,
        results=[
            DeviceBenchmark(
                backend=backend, devices=[d for d in devices if d.type == backend], samples=16,
                seconds=1.0, samples_per_minute=speed / 65536, pixel_samples_per_minute=speed,
                warnings=[],
            )
            for backend, speed in speeds.items()
        ],
    )  # fmt: skip


class Benchmark:
    """Stands in for `run_benchmark`: counts its calls and returns `report`."""

    def __init__(self, report: BenchmarkReport | None = None) -> None:
        self.report, self.calls = report, 0

    def __call__(self) -> BenchmarkReport:
        self.calls += 1
        assert self.report is not None, "the stored benchmark should have been used"
        return self.report


def _settings(**fields: object) -> DaemonSettings:
    return DaemonSettings.model_validate(fields)


def _profile(
    settings: DaemonSettings,
    devices: list[Device],
    stored: BenchmarkReport | None,
    benchmark: Benchmark | None = None,
    gpus: Callable[[], list[GpuMemory] | None] = lambda: GPUS,
    blender: str = BLENDER,
) -> tuple[MachineProfile, BenchmarkReport | None]:
    probe = Probe(blender_version=blender, devices=devices)
    return machine_profile(
        settings, probe, stored, benchmark=benchmark or Benchmark(), gpu_memory=gpus
    )


def test_it_prices_by_the_stored_figure_of_the_backend_its_devices_setting_selects() -> None:
    devices = [CPU, RTX_CUDA, RTX_OPTIX]
    stored = _report({"OPTIX": 9e9, "CUDA": 6e9, "CPU": 1e8}, devices)

    best, new = _profile(_settings(devices="auto"), devices, stored)
    assert (best.backend, best.pixel_samples_per_minute, best.source) == ("OPTIX", 9e9, "benchmark")
    assert new is None  # nothing measured, nothing to store
    cpu, _ = _profile(_settings(devices="cpu"), devices, stored)
    assert (cpu.backend, cpu.pixel_samples_per_minute) == ("CPU", 1e8)
    cuda, _ = _profile(_settings(devices="cuda"), devices, stored)
    assert (cuda.backend, cuda.pixel_samples_per_minute) == ("CUDA", 6e9)


@pytest.mark.parametrize(
    ("stored", "probed_devices", "blender"),
    [
        (None, [CPU], BLENDER),
        (_report({"CPU": 1e8}, [CPU], blender="4.2.3"), [CPU], BLENDER),
        (_report({"CPU": 1e8}, [CPU]), [CPU, RTX_CUDA], BLENDER),
        (_report({"CUDA": 6e9, "CPU": 1e8}, [CPU, RTX_CUDA]), [CPU, SMALL_CUDA], BLENDER),
    ],
    ids=["nothing stored", "another Blender build", "a card added", "a card swapped"],
)
def test_a_machine_unlike_the_stored_benchmark_is_measured_again(
    stored: BenchmarkReport | None, probed_devices: list[Device], blender: str
) -> None:
    fresh = _report({"CUDA": 5e9, "CPU": 2e8}, probed_devices, blender=blender)
    benchmark = Benchmark(fresh)

    profile, new = _profile(_settings(), probed_devices, stored, benchmark, blender=blender)

    assert benchmark.calls == 1 and new == fresh
    assert profile.source == "benchmark"
    measured = fresh.result_for(profile.backend)
    assert measured is not None
    assert profile.pixel_samples_per_minute == measured.pixel_samples_per_minute


def test_a_stored_benchmark_without_the_selected_backend_is_measured_again() -> None:
    devices = [CPU, RTX_CUDA]
    only_cpu = _report({"CPU": 1e8}, devices)  # e.g. `render-worker benchmark --devices cpu`
    benchmark = Benchmark(_report({"CUDA": 6e9, "CPU": 1e8}, devices))

    profile, new = _profile(_settings(devices="cuda"), devices, only_cpu, benchmark)

    assert benchmark.calls == 1 and new is not None
    assert (profile.backend, profile.pixel_samples_per_minute) == ("CUDA", 6e9)


def test_the_configs_figure_wins_and_nothing_is_measured() -> None:
    benchmark = Benchmark()
    profile, new = _profile(_settings(pixel_samples_per_minute=3e6), [CPU], None, benchmark)
    assert (profile.pixel_samples_per_minute, profile.source) == (3e6, "config")
    assert benchmark.calls == 0 and new is None


def test_storing_one_backend_keeps_the_others_figures_of_the_same_machine(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    devices = [CPU, RTX_CUDA]
    store_benchmark(state, _report({"CUDA": 6e9, "CPU": 1e8}, devices))
    store_benchmark(state, _report({"CPU": 2e8}, devices))
    both = stored_benchmark(state)
    assert both is not None
    assert {r.backend: r.pixel_samples_per_minute for r in both.results} == {
        "CPU": 2e8,
        "CUDA": 6e9,
    }
    store_benchmark(state, _report({"CPU": 3e8}, [CPU], blender="5.1.0"))  # another machine now
    only = stored_benchmark(state)
    assert only is not None and [r.backend for r in only.results] == ["CPU"]


def test_a_cpu_worker_declares_the_cpu() -> None:
    profile, _ = _profile(_settings(), [CPU], _report({"CPU": 1e8}, [CPU]))
    assert profile.hardware == Hardware(backend="CPU", vram_mib=0)


def test_an_nvidia_worker_declares_the_smallest_memory_of_its_selected_gpus() -> None:
    devices = [CPU, RTX_CUDA, SMALL_CUDA]
    stored = _report({"CUDA": 6e9, "CPU": 1e8}, devices)
    both, _ = _profile(_settings(devices="cuda"), devices, stored)
    assert both.hardware == Hardware(backend="CUDA", vram_mib=12288)
    big_only, _ = _profile(_settings(devices=RTX_CUDA.id), devices, stored)
    assert big_only.hardware == Hardware(backend="CUDA", vram_mib=24564)


@pytest.mark.parametrize(
    ("gpus", "why"),
    [
        (lambda: None, "nvidia-smi is not on PATH"),
        (lambda: [GpuMemory(name="Tesla T4", total_mib=15360)], "does not list"),
    ],
    ids=["no nvidia-smi", "nvidia-smi lists other cards"],
)
def test_an_unknown_gpu_memory_is_declared_as_zero_with_a_warning(
    gpus: Callable[[], list[GpuMemory] | None], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    devices = [CPU, RTX_CUDA]
    profile, _ = _profile(_settings(), devices, _report({"CUDA": 6e9}, devices), gpus=gpus)
    assert profile.hardware == Hardware(backend="CUDA", vram_mib=0)
    assert why in caplog.text and "[hardware]" in caplog.text and "vram_mib" in caplog.text


def test_the_configs_hardware_is_declared_even_for_a_backend_the_machine_lacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared = Hardware(backend="CUDA", vram_mib=8192)  # a 24 GiB card shared with other work
    devices = [CPU, RTX_CUDA]
    stored = _report({"CUDA": 6e9, "CPU": 1e8}, devices)
    less, _ = _profile(_settings(hardware=shared), devices, stored)
    assert less.hardware == shared and "DOES NOT HAVE" not in caplog.text

    claimed, _ = _profile(_settings(hardware=shared), [CPU], _report({"CPU": 1e8}, [CPU]))
    assert claimed.hardware == shared and claimed.backend == "CPU"  # it still renders on the CPU
    assert "DECLARES CUDA, WHICH THIS MACHINE DOES NOT HAVE" in caplog.text


def test_the_hardware_section_is_read_from_the_config_and_from_json_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "w.toml"
    config.write_text('[hardware]\nbackend = "OPTIX"\nvram_mib = 16384\n')
    assert DaemonSettings.load(config).hardware == Hardware(backend="OPTIX", vram_mib=16384)
    monkeypatch.setenv("RENDER_WORKER_HARDWARE", '{"backend": "HIP", "vram_mib": 20480}')
    assert DaemonSettings.load(config).hardware == Hardware(backend="HIP", vram_mib=20480)
    config.write_text('[hardware]\nbackend = "VOODOO"\n')
    monkeypatch.delenv("RENDER_WORKER_HARDWARE")
    with pytest.raises(ValueError, match="backend"):
        DaemonSettings.load(config)


@pytest.mark.parametrize(
    ("hardware", "requirements", "reason"),
    [
        (Hardware(backend="CPU"), Requirements(backend="GPU"), "the job requires a GPU"),
        (Hardware(backend="CUDA", vram_mib=8192), Requirements(backend="OPTIX"), "requires OPTIX"),
        (
            Hardware(backend="CUDA", vram_mib=8192),
            Requirements(backend="GPU", min_vram_mib=12288),
            "needs 12,288 MiB of GPU memory",
        ),
        (Hardware(backend="CUDA", vram_mib=8192), Requirements(min_vram_mib=4096), ""),
        (Hardware(backend="CPU"), Requirements(), ""),
    ],
    ids=["GPU required", "named backend", "too little GPU memory", "enough", "nothing asked"],
)
def test_a_job_the_declared_hardware_cannot_render_is_refused_with_its_reason(
    hardware: Hardware, requirements: Requirements, reason: str
) -> None:
    profile = MachineProfile.configured(1e6, hardware)
    unmet = requirements.unmet_by(profile.hardware)
    assert (reason in unmet) if reason else unmet == ""


def test_the_gpu_memory_nvidia_smi_reports_is_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text(f"#!/bin/sh\nprintf '{RTX}, 24564\\n{SMALL}, 12288\\n'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    devices = [CPU, RTX_CUDA]
    profile, _ = _profile(
        _settings(), devices, _report({"CUDA": 6e9}, devices), gpus=nvidia_gpu_memory
    )
    assert profile.hardware == Hardware(backend="CUDA", vram_mib=24564)


def test_a_gpu_that_fails_while_benchmarked_is_not_priced_and_the_worker_says_why() -> None:
    devices = [CPU, RTX_CUDA]
    failed = _report({"CPU": 1e8}, devices).model_copy(
        update={"failed": {"CUDA": "CUDA error: Out of memory in cuMemAlloc"}}
    )
    with pytest.raises(WorkerError, match="its GPU failed \\(CUDA error: Out of memory"):
        _profile(_settings(devices="cuda"), devices, None, Benchmark(failed))
