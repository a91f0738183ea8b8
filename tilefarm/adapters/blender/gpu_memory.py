"""How much memory each NVIDIA GPU has, as its driver reports it (`nvidia-smi`).

Cycles lists a device's name but not its memory, and a worker declares its GPU memory on chain
(jobs ask for a least amount), so the NVIDIA driver is asked. Other vendors have no such common
tool: their operators declare the memory themselves (the worker's `[hardware]` section).
"""

from __future__ import annotations

import shutil
import subprocess

from pydantic import BaseModel, ConfigDict

from tilefarm.adapters.blender.errors import RenderEngineError

NVIDIA_SMI = "nvidia-smi"
QUERY = ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]
TIMEOUT_SECONDS = 15.0


class GpuMemoryUnknown(RenderEngineError):
    """`nvidia-smi` is there but did not answer: a driver problem the operator should look at."""


class GpuMemory(BaseModel):
    """One GPU: its name (as Cycles prints it too) and its total memory in MiB."""

    model_config = ConfigDict(frozen=True)

    name: str
    total_mib: int


def parse_query(text: str) -> list[GpuMemory]:
    """The GPUs of `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`
    output; a line without a number of MiB (`[N/A]` on some virtual GPUs) names no memory and
    is left out."""
    gpus = []
    for line in text.splitlines():
        name, _, total = line.rpartition(",")
        if name.strip() and total.strip().isdigit():
            gpus.append(GpuMemory(name=name.strip(), total_mib=int(total)))
    return gpus


def nvidia_gpu_memory() -> list[GpuMemory] | None:
    """Every NVIDIA GPU's memory, or None where `nvidia-smi` is not on PATH (no NVIDIA driver).
    Raises `GpuMemoryUnknown` when it is there but fails."""
    exe = shutil.which(NVIDIA_SMI)
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, *QUERY], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GpuMemoryUnknown(f"{exe} could not be run: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise GpuMemoryUnknown(
            f"{exe} failed (exit {done.returncode}): {said[-1] if said else 'no message'}"
        )
    return parse_query(done.stdout)
