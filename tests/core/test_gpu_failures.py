"""A render that fails on a GPU is told apart by Cycles' own text: out of memory, a driver or
kernel failure, a lost device, or the scene's fault; and only a GPU's own failure is rendered
again on the CPU, when the opening's policy allows it: a worker's own tiles as the job says, a
re-render for verification always, and nothing on a machine whose CPU kernel is not the
market's."""

from typing import get_args

import pytest

from tilefarm.adapters.blender.cpu_kernel import kernel_problem
from tilefarm.adapters.blender.gpu_failures import (
    GPU_CAUSES,
    CpuFallback,
    classify,
    cpu_fallback_policy,
    cpu_refused,
    may_retry_on_cpu,
    words,
)
from tilefarm.hardware_codes import AbandonCause

POLICIES: tuple[CpuFallback, ...] = get_args(CpuFallback)

OUT_OF_MEMORY = [
    # Cycles' CUDA wrapper, with and without the "CUDA error: " of older builds.
    "CUDA error: Out of memory in cuMemAlloc(&device_pointer, size), line 813",
    "Out of memory in cuMemAlloc_v2(&device_pointer, size) (intern/cycles/device/cuda/"
    "device_impl.cpp:661)",
    "System is out of GPU memory",
    "System is out of GPU and shared host memory",
    "hipErrorOutOfMemory in hipMalloc(&device_pointer, size) (device/hip/device_impl.cpp:702)",
    "CUDA_ERROR_OUT_OF_MEMORY",
    "OPTIX_ERROR_HOST_OUT_OF_MEMORY in optixAccelBuild(...) (device/optix/device_impl.cpp:1062)",
    "oneAPI kernel - device memory allocation error for 2.1G, possibly caused by lack of "
    "available memory space on the device: 7.5G of 8G is already allocated",
    "Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)",
]
DRIVER = [
    "CUDA error: Illegal address in cuCtxSynchronize(), line 1373",
    "ILLEGAL_ADDRESS in cuCtxSynchronize() (intern/cycles/device/cuda/queue.cpp:109)",
    "CUDA error: Launch failed in cuCtxSynchronize(), line 2100",
    "Launch exceeded resources in cuLaunchKernel(...) (device/cuda/queue.cpp:90)",
    "OPTIX_ERROR_CUDA_ERROR in optixLaunch(...) (device/optix/queue.cpp:124)",
    "OptiX error: OPTIX_ERROR_INTERNAL_COMPILER_ERROR",
    "Failed to compile kernel for sm_120, no matching binary found",
    "Invalid kernel image in cuModuleLoadData(&cuModule, cubin_data.c_str())",
    'oneAPI kernel load: got runtime exception "Native API failed"',
    "CommandBuffer Failed: integrator_shade_surface",
    "hipErrorLaunchFailure in hipCtxSynchronize()",
]
LOST = [
    "CUDA error: unspecified launch failure in cuCtxSynchronize(), line 1373",
    "No CUDA-capable device available in cuInit(0)",
    "CUDA_ERROR_NO_DEVICE",
    "no CUDA devices found",
    "hipErrorNoDevice in hipInit(0)",
    "UR_RESULT_ERROR_DEVICE_LOST: the device is lost",
    "GPU has fallen off the bus",
    "Uncorrectable ECC error detected in cuMemcpyDtoH",
    "device not found",
]
SCENE = [
    "Error: Cannot render, no camera",
    "Failed to write file /tmp/out.exr: Permission denied",
    "Render error (No such file or directory) cannot save: '/nope/frame.exr'",
]


@pytest.mark.parametrize("text", OUT_OF_MEMORY)
def test_cycles_out_of_memory_errors_are_the_gpu_running_out_of_memory(text: str) -> None:
    assert classify(text) is AbandonCause.GPU_OUT_OF_MEMORY


@pytest.mark.parametrize("text", DRIVER)
def test_cycles_driver_and_kernel_errors_are_a_driver_failure(text: str) -> None:
    assert classify(text) is AbandonCause.GPU_DRIVER_FAILURE


@pytest.mark.parametrize("text", LOST)
def test_a_vanished_or_faulting_device_is_a_lost_gpu(text: str) -> None:
    assert classify(text) is AbandonCause.GPU_LOST


@pytest.mark.parametrize("text", SCENE)
def test_an_error_that_names_no_gpu_failure_is_the_scenes(text: str) -> None:
    assert classify(text) is AbandonCause.SCENE_UNRENDERABLE


def test_only_a_gpus_own_failure_is_retried_on_the_cpu_and_only_when_the_job_allows() -> None:
    for cause in GPU_CAUSES:
        assert may_retry_on_cpu(cause, cpu_fallback=True)
        assert not may_retry_on_cpu(cause, cpu_fallback=False)
    # The CPU fails a scene that cannot render just the same.
    assert not may_retry_on_cpu(AbandonCause.SCENE_UNRENDERABLE, cpu_fallback=True)
    gpu = {AbandonCause.GPU_OUT_OF_MEMORY, AbandonCause.GPU_DRIVER_FAILURE, AbandonCause.GPU_LOST}
    assert gpu == GPU_CAUSES


def test_every_cause_has_words_for_the_operator() -> None:
    assert words(AbandonCause.GPU_OUT_OF_MEMORY) == "the GPU ran out of memory"
    assert all(words(cause) for cause in AbandonCause)


def test_own_tiles_fall_back_as_the_job_says_and_a_re_render_for_verification_always_may() -> None:
    assert cpu_refused("job", job_allows=True) == ""
    assert "the job does not allow" in cpu_refused("job", job_allows=False)
    # Evidence, a panel's vote, an audit: a CPU re-render is good evidence whatever the job wants.
    assert cpu_refused("always", job_allows=False) == ""
    assert cpu_refused("always", job_allows=True) == ""
    assert "may not be rendered on the CPU instead here" in cpu_refused("never", job_allows=True)


def test_a_machine_whose_cpu_kernel_is_not_the_markets_never_falls_back_to_its_cpu() -> None:
    nehalem = "flags\t\t: fpu vme sse sse2 pni ssse3 sse4_1 sse4_2 popcnt\n"
    for problem in (kernel_problem("x86_64", nehalem), kernel_problem("aarch64", "")):
        assert problem
        assert {cpu_fallback_policy(p, problem) for p in POLICIES} == {"never"}
    for wanted in POLICIES:
        assert cpu_fallback_policy(wanted, "") == wanted
