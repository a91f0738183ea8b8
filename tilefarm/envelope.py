"""How close a re-rendered patch must be to a committed one, per pair of backend classes.

The judge (`tilefarm.patch_judge`) compares tone-mapped values (x/(1+x)) with four thresholds. Two
renders of one manifest on the CPU with one Cycles kernel agree to float rounding on almost every
pixel, and the manifest's own thresholds are measured for that pair (`python -m bench.fraud`,
`python -m bench.crossdevice`); the market's CPU renders use the AVX2 kernel, since the SSE4.2
kernel's renders of a volume differ by more (`tilefarm/adapters/blender/cpu_kernel.py`). A
render on a GPU runs other kernels, so a pair with a GPU on either side (GPU-CPU, and GPU-GPU:
two cards or two drivers need not agree bit for bit) is judged by the cross-device envelope
below, unless the manifest names measured thresholds for that exact pair.

Where the cross-device numbers come from (docs/gpu.md says it at length):
- `pixel_tolerance` 0.038: Blender's own regression suite compares GPU renders with CPU references
  per pixel at 0.016 by default and at 0.032 to 0.038 for motion blur, integrator, light and
  shadow-catcher scenes; 0.038 is the loosest of its Cycles thresholds (denoising and OSL apart).
- `max_differing_fraction` 0.1: the CPU pair's share, ten times the 1% of an image Blender lets
  fail; per 16x16 patch that is 25 pixels.
- `max_error` 1.0 and `psnr_threshold_db` 20 (the schema's floor): no guard on the size of the
  largest difference. Blender's suite lets 1% of an image differ by any amount (a firefly found
  on one device and not the other), so a per-pixel bound would fail honest GPU renders.
A worker whose patch fails even this may appeal to a panel before it is slashed; the panel's
first seat prefers the worker's backend class (docs/protocol.md), and every member judges by the
same pair rule. The price of the looser envelope in missed fraud is measured by
`python -m bench.crossdevice`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tilefarm.hardware import BackendClass


class Thresholds(BaseModel):
    """The four limits a patch is judged by (`tilefarm.patch_judge`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A guard against large differences; small widespread ones are `max_differing_fraction`'s.
    psnr_threshold_db: Annotated[float, Field(ge=20.0, le=200.0)] = 53.0
    # A guard against a small forged area that a patch-wide mean would dilute.
    max_error: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    # A pixel "differs" when any tone-mapped channel moves by more than `pixel_tolerance`; at most
    # `max_differing_fraction` of a patch's pixels may differ.
    pixel_tolerance: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-3
    max_differing_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1

    def limits(self) -> Thresholds:
        """These four limits alone (a subclass's other fields dropped)."""
        return Thresholds(
            psnr_threshold_db=self.psnr_threshold_db,
            max_error=self.max_error,
            pixel_tolerance=self.pixel_tolerance,
            max_differing_fraction=self.max_differing_fraction,
        )


# Any pair with a GPU on either side, unless the manifest names the pair (see the module's text).
CROSS_DEVICE = Thresholds(
    psnr_threshold_db=20.0, max_error=1.0, pixel_tolerance=0.038, max_differing_fraction=0.1
)


class PairThresholds(BaseModel):
    """Measured thresholds for one pair of backend classes (in either order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backends: tuple[BackendClass, BackendClass]
    thresholds: Thresholds

    def matches(self, a: BackendClass, b: BackendClass) -> bool:
        return sorted(self.backends) == sorted((a, b))


def thresholds_for(
    same_cpu: Thresholds,
    cross_device: Thresholds,
    pairs: tuple[PairThresholds, ...],
    worker: BackendClass,
    verifier: BackendClass,
) -> Thresholds:
    """The limits a patch rendered on `worker`'s backend is judged by against a re-render on
    `verifier`'s: a named pair first, then the CPU pair's own, then the cross-device envelope."""
    for pair in pairs:
        if pair.matches(worker, verifier):
            return pair.thresholds
    if worker == verifier == "CPU":
        return same_cpu.limits()
    return cross_device
