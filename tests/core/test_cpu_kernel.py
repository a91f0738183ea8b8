"""Which CPU kernel Cycles renders with, and a worker that would render on another kernel than the
protocol's refusing to, with the reason (two kernels' honest renders of a volume differ by more
than the CPU pair's thresholds allow: `python -m bench.crossdevice`)."""

import pytest

from tilefarm.adapters.blender.cpu_kernel import cpu_kernel, kernel_problem

HASWELL = "flags\t\t: fpu vme sse sse2 pni ssse3 fma sse4_1 sse4_2 avx f16c bmi1 avx2 bmi2 erms\n"
NEHALEM = "flags\t\t: fpu vme sse sse2 pni ssse3 sse4_1 sse4_2 popcnt\n"
AVX2_WITHOUT_F16C = "flags\t\t: sse sse2 pni ssse3 fma sse4_1 sse4_2 avx bmi1 avx2 bmi2\n"


def test_a_cpu_with_avx2_fma_f16c_and_bmi_renders_with_the_avx2_kernel():
    assert cpu_kernel("x86_64", HASWELL) == "AVX2"
    assert kernel_problem("x86_64", HASWELL) == ""


def test_an_older_cpu_renders_with_sse42_and_is_told_why_it_cannot_render_jobs():
    assert cpu_kernel("x86_64", NEHALEM) == "SSE4.2"
    problem = kernel_problem("x86_64", NEHALEM)
    assert "SSE4.2" in problem and "AVX2" in problem and "bench.crossdevice" in problem


def test_cycles_needs_every_avx2_companion_flag_not_avx2_alone():
    assert cpu_kernel("x86_64", AVX2_WITHOUT_F16C) == "SSE4.2"


def test_the_workers_own_environment_does_not_choose_the_kernel(monkeypatch: pytest.MonkeyPatch):
    # The Blender child's environment is built from scratch (`process.py`): a variable in the
    # worker's never reaches Cycles, so the kernel is the machine's.
    monkeypatch.setenv("CYCLES_CPU_NO_AVX2", "1")
    assert cpu_kernel("x86_64", HASWELL) == "AVX2"
    assert kernel_problem("x86_64", HASWELL) == ""


def test_an_arm_cpu_renders_with_another_kernel_and_is_refused():
    assert cpu_kernel("aarch64", "Features\t: fp asimd\n") == "aarch64"
    assert "aarch64" in kernel_problem("aarch64", "")
