"""Which CPU kernel Cycles renders with on this machine, and whether it is the protocol's.

Cycles 5.0 builds two x86-64 CPU kernels, SSE4.2 and AVX2, and takes AVX2 where the CPU has every
instruction it needs (SSE up to 4.2, AVX, F16C, AVX2, FMA, BMI1, BMI2; `CYCLES_CPU_NO_AVX2`
in Blender's environment forces SSE4.2; the Blender child's environment is built from scratch
(`process.py`), so the worker's own never reaches it, only a bench's on purpose: the kernel is
the machine's). Honest renders of one manifest on the two kernels are not bit-identical: on the
demo scene they differ on at most 2% of a patch's pixels by more than 1e-3, but in a lit volume
on up to 95% of them, which the CPU pair's thresholds fail every time (`python -m
bench.crossdevice`). So CPU renders for the market use one kernel, AVX2 (every x86-64 CPU since
2013 to 2015 has it), and two CPU renders then agree to float rounding. Other architectures
(aarch64) render with other kernels, which no measurement covers yet.
"""

from __future__ import annotations

import platform
from pathlib import Path

REFERENCE_KERNEL = "AVX2"
# What Cycles' `system_cpu_support_avx2` checks, as /proc/cpuinfo names it (pni is SSE3).
AVX2_FLAGS = frozenset(
    {"sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "f16c"}
    | {"avx2", "fma", "bmi1", "bmi2"}
)
X86_64 = ("x86_64", "amd64")


def _flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return set(value.split())
    return set()


def cpu_kernel(machine: str | None = None, cpuinfo: str | None = None) -> str:
    """The CPU kernel Cycles picks here: `AVX2`, `SSE4.2`, or the machine's architecture when it
    is not x86-64. The arguments default to this machine's."""
    machine = machine if machine is not None else platform.machine()
    if machine.lower() not in X86_64:
        return machine
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    if not _flags(cpuinfo) >= AVX2_FLAGS:
        return "SSE4.2"
    return REFERENCE_KERNEL


def kernel_problem(machine: str | None = None, cpuinfo: str | None = None) -> str:
    """Why this machine's CPU renders cannot be checked against other workers' ("" when they
    can): they use another kernel than the market's."""
    kernel = cpu_kernel(machine, cpuinfo)
    if kernel == REFERENCE_KERNEL:
        return ""
    return (
        f"Cycles renders on this CPU with its {kernel} kernel; the market's CPU renders use the "
        f"{REFERENCE_KERNEL} kernel, and the two differ by more than verification allows on some "
        "scenes (volumes: `python -m bench.crossdevice`). Render on a GPU backend, or on a CPU "
        "with AVX2, FMA, F16C, BMI1 and BMI2"
    )
