"""Whether a committed patch is the honest render of its pixels: the one comparison that the
verifier, dispute panels, `tilefarm verify`, auditors and `bench/fraud.py` all make.

Both sides are tone-mapped (x/(1+x), alpha clamped: `tilefarm.pixels.tonemap`) so a bright emitter
cannot hide a difference elsewhere. Three figures, each with its threshold in the manifest's
`VerificationParams`, or the cross-device envelope when a GPU rendered either side
(`tilefarm.envelope`):

- PSNR over the patch (peak 1) must reach `psnr_threshold_db`: catches large differences;
- the largest difference of any channel must stay within `max_error`: catches a small forged spot
  that a patch-wide mean would dilute;
- the share of pixels whose largest channel difference exceeds `pixel_tolerance` must stay within
  `max_differing_fraction`: catches small differences spread over many pixels (a wrong seed or
  fewer samples on a low-noise area), which PSNR dilutes. Honest renders on another CPU kernel
  differ from the reference by float rounding (about 1e-7) on almost every pixel and by a
  diverging path on a rare few; a render that is not the manifest's moves most noisy pixels.
"""

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from tilefarm.envelope import Thresholds
from tilefarm.pixels import PixelError, Pixels, tonemap


class PatchJudgement(BaseModel):
    """How far a committed patch is from its re-render, and whether that is close enough."""

    model_config = ConfigDict(frozen=True)

    psnr_db: float
    max_error: float
    differing_fraction: float
    passed: bool

    def failed_because(self, params: Thresholds) -> str:
        """The comparisons that failed, for a report ("" if it passed)."""
        reasons = []
        if self.psnr_db < params.psnr_threshold_db:
            reasons.append(f"PSNR {self.psnr_db:.1f} dB < {params.psnr_threshold_db:g} dB")
        if self.max_error > params.max_error:
            reasons.append(f"a channel differs by {self.max_error:.3f} > {params.max_error:g}")
        if self.differing_fraction > params.max_differing_fraction:
            reasons.append(
                f"{self.differing_fraction:.0%} of pixels differ by more than "
                f"{params.pixel_tolerance:g} (at most {params.max_differing_fraction:.0%})"
            )
        return "; ".join(reasons)


def judge_patch(rerendered: Pixels, committed: Pixels, params: Thresholds) -> PatchJudgement:
    """Compare the verifier's re-render of a patch with the worker's committed pixels."""
    if rerendered.shape != committed.shape or rerendered.ndim != 3:
        raise PixelError(f"cannot compare shapes {rerendered.shape} and {committed.shape}")
    diff = np.abs(tonemap(rerendered) - tonemap(committed))
    mse = float(np.mean(diff * diff))
    psnr = math.inf if mse == 0.0 else 10.0 * math.log10(1.0 / mse)
    largest = float(np.max(diff)) if diff.size else 0.0
    per_pixel = diff.max(axis=2)
    differing = float(np.mean(per_pixel > params.pixel_tolerance)) if per_pixel.size else 0.0
    passed = (
        psnr >= params.psnr_threshold_db
        and largest <= params.max_error
        and differing <= params.max_differing_fraction
    )
    return PatchJudgement(
        psnr_db=psnr, max_error=largest, differing_fraction=differing, passed=passed
    )
