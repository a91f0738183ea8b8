"""The NVIDIA driver a CUDA or OptiX render ran with: bpy does not tell, `nvidia-smi` does.

Asked in the parent (the child has no business running programs), once per Blender child: a
driver changes only with a reboot or a reinstall, which restarts the worker too.
"""

from __future__ import annotations

import shutil
import subprocess

from tilefarm.hardware import BackendClass

# The backends NVIDIA's driver runs; `nvidia-smi` speaks for no other.
NVIDIA_BACKENDS: frozenset[BackendClass] = frozenset({"CUDA", "OPTIX"})
_MAX_CHARS = 128  # `RenderedOn.driver`'s limit


def nvidia_driver_version(timeout: float = 10.0) -> str:
    """The driver version `nvidia-smi` reports ("550.54.15"; several, comma-separated, on a
    machine whose GPUs differ), or "" when there is no `nvidia-smi` or it fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return ""
    try:
        out = subprocess.run(
            [exe, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=timeout, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    versions = dict.fromkeys(line.strip() for line in out.splitlines() if line.strip())
    return ",".join(versions)[:_MAX_CHARS]
