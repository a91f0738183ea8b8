"""The patch judgement: honest float noise and a rare diverging pixel pass; small differences
spread over many pixels (what a wrong seed leaves on a quiet area) fail, though PSNR and the
largest difference alone would let them through."""

import numpy as np
import numpy.typing as npt
import pytest

from tilefarm.manifest import VerificationParams
from tilefarm.patch_judge import judge_patch
from tilefarm.pixels import PixelError, Pixels

PARAMS = VerificationParams()  # the manifest defaults: 53 dB, 0.1, 1e-3, 10%


@pytest.fixture
def patch() -> Pixels:
    rng = np.random.default_rng(7)
    rgba = rng.random((16, 16, 4), dtype=np.float32) * 2.0
    rgba[..., 3] = 1.0
    return rgba


def _in_linear(patch: Pixels, tonemapped_shift: npt.NDArray[np.float64]) -> Pixels:
    """`patch` moved by `tonemapped_shift` in tone-mapped units (x/(1+x)), colour channels only."""
    t = patch / (1.0 + patch)
    moved = np.clip(t + tonemapped_shift, 0.0, 0.999)
    out = patch.copy()
    out[..., :3] = (moved / (1.0 - moved))[..., :3]
    return out.astype(np.float32)


def test_an_identical_patch_passes_with_nothing_differing(patch: Pixels) -> None:
    judged = judge_patch(patch, patch.copy(), PARAMS)
    assert judged.passed
    assert (judged.psnr_db, judged.max_error, judged.differing_fraction) == (np.inf, 0.0, 0.0)
    assert judged.failed_because(PARAMS) == ""


def test_float_rounding_everywhere_and_a_few_diverging_pixels_pass(patch: Pixels) -> None:
    shift = np.full(patch.shape, 2e-7)
    shift[3, 4, 0] = 0.04  # another CPU kernel: a rare path diverges (measured up to 0.046)...
    shift[9, 12, :] = -0.02
    shift[15, 0, 1:] = 0.01  # ...3 of 256 pixels (1.2%; at most 2% measured)
    judged = judge_patch(patch, _in_linear(patch, shift), PARAMS)
    assert judged.passed, judged.failed_because(PARAMS)
    assert judged.differing_fraction == pytest.approx(3 / 256)


def test_small_differences_on_many_pixels_fail_though_psnr_and_max_error_pass(
    patch: Pixels,
) -> None:
    rng = np.random.default_rng(1)
    shift = rng.normal(0.0, 0.002, patch.shape)  # low-noise area rendered with another seed
    judged = judge_patch(patch, _in_linear(patch, shift), PARAMS)
    assert judged.psnr_db >= PARAMS.psnr_threshold_db and judged.max_error <= PARAMS.max_error
    assert judged.differing_fraction > 0.5
    assert not judged.passed
    assert "of pixels differ by more than 0.001" in judged.failed_because(PARAMS)


def test_a_pixel_counts_once_however_many_channels_differ(patch: Pixels) -> None:
    shift = np.zeros(patch.shape)
    shift[:4, :, :] = 0.005  # 4 of 16 rows, all three colour channels
    judged = judge_patch(patch, _in_linear(patch, shift), PARAMS)
    assert judged.differing_fraction == pytest.approx(0.25)
    assert not judged.passed


def test_a_faked_strip_across_a_patch_edge_fails_when_it_covers_enough_pixels(
    patch: Pixels,
) -> None:
    shift = np.zeros(patch.shape)
    shift[:, :1, :] = 0.005  # one column of 16: 6%, within the allowance
    assert judge_patch(patch, _in_linear(patch, shift), PARAMS).passed
    shift[:, :2, :] = 0.005  # two columns: 12.5%
    assert not judge_patch(patch, _in_linear(patch, shift), PARAMS).passed


def test_the_thresholds_come_from_the_manifest(patch: Pixels) -> None:
    shift = np.full(patch.shape, 0.002)
    changed = _in_linear(patch, shift)
    assert not judge_patch(patch, changed, PARAMS).passed
    looser = PARAMS.model_copy(update={"pixel_tolerance": 0.01})
    assert judge_patch(patch, changed, looser).passed


def test_patches_of_different_shapes_cannot_be_compared(patch: Pixels) -> None:
    with pytest.raises(PixelError, match="shapes"):
        judge_patch(patch, patch[:8], PARAMS)
