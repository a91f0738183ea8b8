"""What a worker renders on, what a job requires of it, and what each tile was rendered with.

A backend class is the Cycles backend a render ran on: the CPU or one GPU backend. Cycles renders
on one backend at a time, and renders of one scene on two backends differ by floating-point
noise (the GPU kernels are other programs than the CPU ones), so verification judges a pair of
backend classes by its own thresholds (`tilefarm.envelope`).

- `Hardware` is what a worker declares (on chain, `declareHardware`): its backend class and, for
  a GPU, its memory.
- `Requirements` is what a job asks for (a manifest field): a backend class (or any GPU), the
  least GPU memory, and whether a worker whose GPU fails may finish its tiles on its CPU.
- `RenderedOn` is what a results list (and a verifier's evidence) records of each render: the
  backend class, the device's name, its driver and the Blender build.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

BackendClass = Literal["CPU", "CUDA", "OPTIX", "HIP", "ONEAPI", "METAL"]
BACKEND_CLASSES: tuple[BackendClass, ...] = get_args(BackendClass)
# Best first: OptiX uses RT cores on the same NVIDIA cards CUDA drives.
GPU_BACKENDS: tuple[BackendClass, ...] = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")
# What a job may require: one backend class, any GPU, or anything.
RequiredBackend = Literal["ANY", "GPU", "CPU", "CUDA", "OPTIX", "HIP", "ONEAPI", "METAL"]
MAX_VRAM_MIB = 2**32 - 1


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hardware(_Frozen):
    """What a worker declares it renders on."""

    backend: BackendClass
    vram_mib: Annotated[int, Field(ge=0, le=MAX_VRAM_MIB)] = 0

    @property
    def gpu(self) -> bool:
        return self.backend != "CPU"


class Requirements(_Frozen):
    """What a job needs of the machine that renders it. The defaults ask for nothing."""

    backend: RequiredBackend = "ANY"
    # GPU memory a GPU worker must have; a CPU render uses host memory and is not held to it.
    min_vram_mib: Annotated[int, Field(ge=0, le=MAX_VRAM_MIB)] = 0
    # A worker whose GPU fails (out of memory, driver, lost) may render its tiles once more on
    # its CPU. An artist who wants GPU renders only (e.g. for their look) turns it off.
    cpu_fallback: bool = True

    def refuses_claim(self, backend: BackendClass) -> str:
        """Why a tile said to be rendered on `backend` breaks this job ("" when it does not). What
        a worker says of its own device chooses the thresholds its tiles are judged by
        (`tilefarm.envelope`), so a job that requires the CPU is judged as a CPU pair whatever is
        claimed, and a GPU-only job refuses tiles said to come from a CPU."""
        if backend == "CPU":
            if self.backend in ("ANY", "CPU") or self.cpu_fallback:
                return ""
            return f"the job requires {self.backend} and allows no CPU render"
        if self.backend == "CPU":
            return f"the job requires the CPU and the tile says {backend} rendered it"
        if self.backend in ("ANY", "GPU", backend):
            return ""
        return f"the job requires {self.backend} and the tile says {backend} rendered it"

    @property
    def allows_cpu(self) -> bool:
        """Whether a tile of this job may be rendered on a CPU: always where any backend or the
        CPU is asked for, else only with `cpu_fallback` (the same rule as `refuses_claim`)."""
        return not self.refuses_claim("CPU")

    @property
    def cpu_only(self) -> bool:
        """The job requires the CPU: every render and re-render of it runs on the CPU, so that it
        is judged as a CPU pair whoever checks it."""
        return self.backend == "CPU"

    def unmet_by(self, hardware: Hardware) -> str:
        """Why `hardware` cannot render this job ("" when it can)."""
        if self.backend == "GPU" and not hardware.gpu:
            return "the job requires a GPU and this worker renders on the CPU"
        if self.backend not in ("ANY", "GPU") and hardware.backend != self.backend:
            return f"the job requires {self.backend} and this worker renders on {hardware.backend}"
        if hardware.gpu and hardware.vram_mib < self.min_vram_mib:
            return (
                f"the job needs {self.min_vram_mib:,} MiB of GPU memory and this worker's "
                f"{hardware.backend} device has {hardware.vram_mib:,} MiB"
            )
        return ""


class RenderedOn(BaseModel):
    """The machine one render ran on, as the renderer reports it. Fields a later version adds are
    ignored, so a results list that says more is still read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    backend: BackendClass
    device: Annotated[str, Field(max_length=256)] = ""
    driver: Annotated[str, Field(max_length=128)] = ""
    blender: Annotated[str, Field(max_length=128)] = ""
