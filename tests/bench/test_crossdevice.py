"""`bench.crossdevice`'s statistics on synthetic frames: how the verifier's judge sees two honest
renders of one manifest, under the CPU pair's thresholds and the cross-device envelope."""

import math

import numpy as np
from numpy.typing import NDArray

from bench.crossdevice import THRESHOLDS, choose_patches, compare_honest, unmeasured_gpu_pairs
from bench.fraud import manifest
from tilefarm.hardware import GPU_BACKENDS
from tilefarm.pixels import Pixels

M = manifest()
TRIALS = choose_patches([bytes([i]) * 32 for i in range(4)], M)


def frame(seed: int) -> Pixels:
    """A 640x480 frame whose tone-mapped values x/(1+x) lie in [0.1, 0.8], alpha 1."""
    tone = np.random.default_rng(seed).uniform(0.1, 0.8, (480, 640, 4))
    tone[..., 3] = 1.0
    return shifted(tone, 0.0)


def shifted(tone: NDArray[np.float64], by: float) -> Pixels:
    """The linear frame whose tone-mapped colour channels are `tone`'s plus `by`."""
    out = tone.copy()
    out[..., :3] += by
    out[..., :3] = out[..., :3] / (1.0 - out[..., :3])
    return out.astype(np.float32)


def test_identical_renders_read_infinite_psnr_and_are_never_failed():
    honest = frame(1)
    figures = compare_honest(honest, honest.copy(), M, TRIALS, THRESHOLDS)
    assert figures.trials == len(TRIALS)
    assert math.isinf(figures.worst_patch_psnr_db)
    assert figures.largest_error == 0.0
    assert set(figures.false_positive_rate.values()) == {0.0}
    assert set(figures.largest_differing_fraction.values()) == {0.0}
    assert figures.as_json()["worst_patch_psnr_db"] == "inf"


def test_a_render_shifted_within_the_envelope_fails_the_cpu_pair_and_passes_the_envelope():
    tone = np.random.default_rng(2).uniform(0.1, 0.75, (480, 640, 4))
    tone[..., 3] = 1.0
    figures = compare_honest(shifted(tone, 0.0), shifted(tone, 0.02), M, TRIALS, THRESHOLDS)
    assert figures.false_positive_rate["cpu_pair"] == 1.0
    assert figures.largest_differing_fraction["cpu_pair"] == 1.0
    assert figures.false_positive_rate["cross_device"] == 0.0
    assert figures.largest_differing_fraction["cross_device"] == 0.0
    assert math.isclose(figures.largest_error, 0.02, abs_tol=1e-4)
    # Three colour channels of four differ by 0.02 (alpha does not).
    assert math.isclose(figures.worst_patch_psnr_db, -10 * math.log10(0.75 * 0.02**2), abs_tol=0.01)


def test_a_shift_beyond_the_envelopes_pixel_tolerance_fails_it_too():
    tone = np.random.default_rng(3).uniform(0.1, 0.75, (480, 640, 4))
    tone[..., 3] = 1.0
    figures = compare_honest(shifted(tone, 0.0), shifted(tone, 0.05), M, TRIALS, THRESHOLDS)
    assert figures.false_positive_rate["cross_device"] == 1.0
    assert figures.largest_differing_fraction["cross_device"] == 1.0


def test_a_machine_without_a_gpu_lists_every_gpu_class_with_the_cpu_and_itself():
    pairs = unmeasured_gpu_pairs([("CPU", "Intel Xeon Processor")])
    assert [p["pair"] for p in pairs] == [
        pair for b in GPU_BACKENDS for pair in ([b, "CPU"], [b, b])
    ]
    assert all(f"no {p['pair'][0]} device" in p["reason"] for p in pairs)
