"""GPU memory from `nvidia-smi`: read from a fake nvidia-smi script on PATH (this machine has no
NVIDIA driver); none where it is missing; a failing one is an error that says so."""

import os
import stat
from pathlib import Path

import pytest

from tilefarm.adapters.blender.gpu_memory import GpuMemory, GpuMemoryUnknown, nvidia_gpu_memory


def _fake_nvidia_smi(folder: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = folder / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return script


def test_each_gpus_name_and_memory_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    args = tmp_path / "args"
    _fake_nvidia_smi(
        tmp_path,
        f'echo "$@" > {args}\n'
        "printf 'NVIDIA GeForce RTX 4090, 24564\\nNVIDIA A100-SXM4-80GB, 81920\\n"
        "GRID T4-1Q, [N/A]\\n'\n",
        monkeypatch,
    )
    assert nvidia_gpu_memory() == [
        GpuMemory(name="NVIDIA GeForce RTX 4090", total_mib=24564),
        GpuMemory(name="NVIDIA A100-SXM4-80GB", total_mib=81920),
    ]  # a GPU without a figure names no memory
    assert args.read_text().split() == [
        "--query-gpu=name,memory.total", "--format=csv,noheader,nounits",
    ]  # fmt: skip


def test_no_nvidia_smi_means_no_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder
    assert nvidia_gpu_memory() is None


def test_a_failing_nvidia_smi_says_what_it_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    message = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
    _fake_nvidia_smi(tmp_path, f'echo "{message}"\nexit 9\n', monkeypatch)
    with pytest.raises(GpuMemoryUnknown, match="exit 9") as caught:
        nvidia_gpu_memory()
    assert message in str(caught.value)
