"""Why a render on a GPU failed, told from Cycles' error text: pure, no bpy.

Cycles reports a device's failure as text (`Device::set_error`): the CUDA and HIP wrappers write
"<error> in <call> (<file>:<line>)" with the driver's error string ("Out of memory in
cuMemAlloc_v2(...)", "ILLEGAL_ADDRESS in cuCtxSynchronize()"), older builds prefix "CUDA error: ",
OptiX writes its error names (`OPTIX_ERROR_...`), oneAPI and Metal their own sentences, and the
allocators "System is out of GPU memory". The causes are the market's (`AbandonCause`, the code a
worker gives its seat back with), so that what the child tells apart is what the chain records.

The checks run in order: memory first ("CUDA error: Out of memory" is a memory failure, not a
driver one), then a lost device, then anything else that names a GPU API, a kernel or a driver.
Text that names none of them is the scene's (a missing camera, an unwritable output): a GPU is
not to blame, and the CPU would fail the same way.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from tilefarm.hardware_codes import AbandonCause

# Who may render a region on the CPU once its GPU failed, as the caller opens a scene: "job" as
# the job's `requirements.cpu_fallback` says (a worker's own tiles: the artist chose), "always"
# (a re-render for verification: the verifier's evidence, a panel member's or an auditor's check;
# a CPU re-render is as good evidence as a GPU one, judged by its own pair of backends), "never"
# (a machine whose CPU renders are not the market's: `cpu_kernel.kernel_problem`).
CpuFallback = Literal["job", "always", "never"]

_OUT_OF_MEMORY: Final = re.compile(
    # "Out of memory in cuMemAlloc", "System is out of GPU (and shared host) memory",
    # CUDA_ERROR_OUT_OF_MEMORY, hipErrorOutOfMemory, OPTIX_ERROR_..._OUT_OF_MEMORY,
    # Metal's "Insufficient Memory (...kIOGPUCommandBufferCallbackErrorOutOfMemory)".
    r"out[ _]?of[ _]?(?:[a-z]+[ _]){0,4}memory"
    r"|insufficient memory"
    # oneAPI: "device memory allocation error for ..., possibly caused by lack of ... memory".
    r"|device memory allocation (?:error|failed)",
    re.IGNORECASE,
)
_LOST: Final = re.compile(
    r"device not found|no (?:cuda|hip)[- ](?:capable )?devices?|cuda_error_no_device"
    r"|hiperrornodevice|device (?:is |was )?lost|device_lost|unspecified launch failure"
    r"|fallen off the bus|device (?:was )?removed|deviceremoved|uncorrectable ecc",
    re.IGNORECASE,
)
_DRIVER: Final = re.compile(
    r"\b(?:cuda|optix|hip|oneapi|sycl|metal)\b|cuda_error|optix_error|hiperror"
    r"|commandbuffer failed|kernel|illegal[ _](?:address|instruction)|misaligned[ _]address"
    r"|launch (?:failed|exceeded|timeout|timed out)|failed to (?:compile|load)|driver"
    r"|invalid ptx|no binary for gpu",
    re.IGNORECASE,
)
# A CUDA or HIP driver call named in the text ("... in cuCtxSynchronize()", "hipMemcpy(").
_GPU_CALL: Final = re.compile(r"\b(?:cu|hip)[A-Z]\w*\(")

# What a worker's operator and log read about each cause. The artist's words
# (`AbandonCause.describe()`) cannot be derived from these, nor these from them: they speak of
# "a worker" whose render failed somewhere, these of this machine and what to look at (its own
# memory and time limits, a render kernel); and the job's reason that `status` shows begins with
# these words, so changing one table must not change the other.
_WORDS: Final[dict[AbandonCause, str]] = {
    AbandonCause.UNSPECIFIED: "the render failed",
    AbandonCause.GPU_OUT_OF_MEMORY: "the GPU ran out of memory",
    AbandonCause.GPU_DRIVER_FAILURE: "the GPU driver or a render kernel failed",
    AbandonCause.GPU_LOST: "the GPU was lost",
    AbandonCause.SCENE_UNRENDERABLE: "the scene cannot be rendered",
    AbandonCause.HOST_OUT_OF_MEMORY: "the render ran out of the worker's memory limit",
    AbandonCause.RENDER_TIME_LIMIT: "the render ran past the worker's time limit",
}
GPU_CAUSES: Final = frozenset(
    {AbandonCause.GPU_OUT_OF_MEMORY, AbandonCause.GPU_DRIVER_FAILURE, AbandonCause.GPU_LOST}
)


def classify(text: str) -> AbandonCause:
    """The cause of a render failure on a GPU selection, from Cycles' error `text`: a GPU cause
    (`GPU_CAUSES`), or `SCENE_UNRENDERABLE` when the text names no GPU failure."""
    if _OUT_OF_MEMORY.search(text):
        return AbandonCause.GPU_OUT_OF_MEMORY
    if _LOST.search(text):
        return AbandonCause.GPU_LOST
    if _DRIVER.search(text) or _GPU_CALL.search(text):
        return AbandonCause.GPU_DRIVER_FAILURE
    return AbandonCause.SCENE_UNRENDERABLE


def words(cause: AbandonCause) -> str:
    """The cause in a worker's words: "the GPU ran out of memory"."""
    return _WORDS[cause]


def cpu_refused(policy: CpuFallback, job_allows: bool) -> str:
    """Why a region whose GPU failed may not be rendered on the CPU under `policy` ("" when it
    may); `job_allows` is the job's `requirements.allows_cpu`."""
    if policy == "never":
        return (
            "it may not be rendered on the CPU instead here (a GPU's benchmark, or a machine "
            "whose CPU kernel is not the market's)"
        )
    if policy == "job" and not job_allows:
        return "the job does not allow rendering it on the CPU instead"
    return ""


def cpu_fallback_policy(wanted: CpuFallback, kernel_problem: str) -> CpuFallback:
    """The policy an opening gets on a machine whose CPU kernel has `kernel_problem`
    (`cpu_kernel.kernel_problem`, "" when there is none): `wanted`, or "never" where the CPU's
    renders would be judged as a CPU pair against the market's AVX2 renders and fail."""
    return "never" if kernel_problem else wanted


def may_retry_on_cpu(cause: AbandonCause, cpu_fallback: bool) -> bool:
    """Whether a region that failed on a GPU for `cause` is rendered once more on the CPU: only a
    GPU's own failure, and only when the opening allows it (`cpu_refused`). A scene that cannot
    render fails on the CPU as well."""
    return cpu_fallback and cause in GPU_CAUSES
