"""Which thresholds judge a patch: the CPU pair's own (measured across CPU kernels), a measured
pair the manifest names, or the cross-device envelope for any pair with a GPU on either side."""

import numpy as np

from tilefarm.envelope import CROSS_DEVICE, PairThresholds, Thresholds
from tilefarm.hardware import BackendClass
from tilefarm.manifest import VerificationParams
from tilefarm.patch_judge import judge_patch

PARAMS = VerificationParams()


def test_two_cpu_renders_are_judged_by_the_manifests_own_thresholds():
    assert PARAMS.thresholds_for("CPU", "CPU") == Thresholds()


def test_a_gpu_on_either_side_is_judged_by_the_cross_device_envelope():
    pairs: list[tuple[BackendClass, BackendClass]] = [
        ("CUDA", "CPU"), ("CPU", "OPTIX"), ("HIP", "HIP"), ("METAL", "CUDA"),
    ]  # fmt: skip
    for worker, verifier in pairs:
        assert PARAMS.thresholds_for(worker, verifier) == CROSS_DEVICE


def test_a_measured_pair_named_in_the_manifest_wins_in_either_order():
    measured = Thresholds(psnr_threshold_db=40.0, pixel_tolerance=0.01)
    params = VerificationParams(
        device_pairs=(PairThresholds(backends=("CUDA", "CPU"), thresholds=measured),)
    )
    assert params.thresholds_for("CPU", "CUDA") == measured
    assert params.thresholds_for("CUDA", "CPU") == measured
    assert params.thresholds_for("OPTIX", "CPU") == CROSS_DEVICE


def test_a_gpu_sized_difference_fails_the_cpu_pair_and_passes_the_envelope():
    rng = np.random.default_rng(3)
    patch = rng.random((16, 16, 4), dtype=np.float32)
    patch[..., 3] = 1.0
    moved = patch.copy()
    moved[..., :3] *= 1.02  # every pixel off by about 1% (a few thousandths tone-mapped)
    assert not judge_patch(patch, moved, PARAMS.thresholds_for("CPU", "CPU")).passed
    assert judge_patch(patch, moved, PARAMS.thresholds_for("CUDA", "CPU")).passed


def test_the_envelope_still_fails_a_patch_that_differs_everywhere():
    rng = np.random.default_rng(4)
    patch = rng.random((16, 16, 4), dtype=np.float32)
    other = rng.random((16, 16, 4), dtype=np.float32)
    patch[..., 3] = other[..., 3] = 1.0
    judged = judge_patch(patch, other, CROSS_DEVICE)
    assert not judged.passed
    assert "of pixels differ by more than 0.038" in judged.failed_because(CROSS_DEVICE)
