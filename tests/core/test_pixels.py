"""Canonical pixel hash, EXR round trips and tone-mapped patch comparison."""

from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from tilefarm.pixels import (
    PixelError,
    Pixels,
    compare_pixels,
    pixel_digest,
    pixel_hash,
    read_exr,
    tonemap,
    write_exr,
)


@pytest.fixture
def image() -> Pixels:
    rng = np.random.default_rng(3)
    return (rng.random((12, 17, 4), dtype=np.float32) * 4).astype(np.float32)


def test_hash_ignores_memory_layout_and_dtype_of_equal_values(image: Pixels):
    fortran = np.asfortranarray(image)
    big_endian = image.astype(">f4")
    widened = image.astype(np.float64)
    assert pixel_hash(image) == pixel_hash(fortran) == pixel_hash(big_endian) == pixel_hash(widened)
    assert len(pixel_digest(image)) == 32


def test_hash_folds_negative_zero_and_nan_payloads(image: Pixels):
    a = image.copy()
    b = image.copy()
    a[0, 0, 0] = 0.0
    b[0, 0, 0] = -0.0
    assert pixel_hash(a) == pixel_hash(b)
    a[1, 1, 1] = np.float32("nan")
    b[1, 1, 1] = np.frombuffer(np.uint32(0x7FC00001).tobytes(), dtype=np.float32)[0]
    assert pixel_hash(a) == pixel_hash(b)


def test_hash_changes_with_one_pixel_or_the_shape(image: Pixels):
    changed = image.copy()
    changed[5, 5, 2] = np.nextafter(changed[5, 5, 2], np.float32(10))
    assert pixel_hash(changed) != pixel_hash(image)
    # Same bytes, another shape: the header separates them.
    assert pixel_hash(image.reshape(17, 12, 4)) != pixel_hash(image)
    # Row order is part of the meaning.
    assert pixel_hash(image[::-1]) != pixel_hash(image)


def test_hash_rejects_non_rgba_arrays():
    with pytest.raises(PixelError, match="RGBA"):
        pixel_hash(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(PixelError, match="float"):
        pixel_hash(np.zeros((4, 4, 4), np.uint8))


def test_exr_round_trip_is_exact_and_hash_ignores_file_metadata(image: Pixels, tmp_path: Path):
    zip_path = write_exr(tmp_path / "a.exr", image, codec="ZIP")
    piz_path = write_exr(tmp_path / "b.exr", image, codec="PIZ")
    assert zip_path.read_bytes() != piz_path.read_bytes()
    assert np.array_equal(read_exr(zip_path), image)
    assert pixel_hash(read_exr(zip_path)) == pixel_hash(read_exr(piz_path)) == pixel_hash(image)
    # A header with other metadata (as Blender writes: dates, render time) hashes the same.
    header = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.scanlineimage,
        "Date": "2026/01/01 00:00:00",
        "RenderTime": "00:01.00",
    }
    with OpenEXR.File(header, {"RGBA": image}) as exr:
        exr.write(str(tmp_path / "c.exr"))
    assert pixel_hash(read_exr(tmp_path / "c.exr")) == pixel_hash(image)


def test_exr_with_separate_rgb_channels_reads_alpha_as_one(tmp_path: Path):
    rgb = np.full((3, 5, 3), 0.25, np.float32)
    header = {"compression": OpenEXR.NO_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGB": rgb}) as exr:
        exr.write(str(tmp_path / "rgb.exr"))
    rgba = read_exr(tmp_path / "rgb.exr")
    assert rgba.shape == (3, 5, 4) and (rgba[..., 3] == 1).all()


def test_unreadable_exr_and_lossy_codec_are_clear_errors(image: Pixels, tmp_path: Path):
    bad = tmp_path / "bad.exr"
    bad.write_bytes(b"not an exr")
    with pytest.raises(PixelError, match="cannot read EXR"):
        read_exr(bad)
    with pytest.raises(PixelError, match="not lossless"):
        write_exr(tmp_path / "x.exr", image, codec="DWAA")


def test_tonemap_bounds_hdr_values():
    values = np.array([[[0.0, 1.0, 1e6, 0.5]]], np.float32)
    mapped = tonemap(values)
    assert mapped[0, 0, 0] == 0.0 and mapped[0, 0, 1] == 0.5 and mapped[0, 0, 2] < 1.0
    assert mapped[0, 0, 3] == 0.5


def test_identical_patches_are_infinite_db(image: Pixels):
    result = compare_pixels(image, image.copy())
    assert result.psnr_db == float("inf") and result.max_error == 0.0
    assert result.passes(58.0, 0.2)


def test_emitter_peak_does_not_hide_a_wrong_render(image: Pixels):
    reference = image.copy()
    reference[0, 0, :3] = 5000.0  # a bright emitter pixel in both
    rng = np.random.default_rng(9)
    wrong = reference * rng.uniform(0.7, 1.3, reference.shape).astype(np.float32)
    wrong[0, 0] = reference[0, 0]
    result = compare_pixels(reference, wrong)
    assert result.psnr_db < 40
    assert not result.passes(58.0, 0.2)


def test_small_forged_spot_fails_the_max_error_guard(image: Pixels):
    big = np.tile(image, (8, 8, 1))
    forged = big.copy()
    forged[0, 0, :3] = 0.0
    result = compare_pixels(big, forged)
    assert result.psnr_db > 40  # a diluted mean could pass a loose threshold...
    assert result.max_error > 0.2  # ...the guard does not
    assert not result.passes(40.0, 0.2)


def test_compare_rejects_shape_mismatch(image: Pixels):
    with pytest.raises(PixelError, match="cannot compare"):
        compare_pixels(image, image[:5])
