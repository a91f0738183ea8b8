"""The EXR reader decides from the header alone, before decoding a pixel, whether a file from
someone else is what was asked for: a tile's exact size, one part, flat pixels, a few channels."""

import tracemalloc
from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from tests.core.exr_bomb import zero_exr
from tilefarm.pixels import (
    MAX_EXR_CHANNELS,
    PixelError,
    exr_size,
    max_exr_bytes,
    read_exr,
    write_exr,
)

TILE = (24, 32)  # (height, width) of the tile the caller expects
DECODED_BOMB = 4096 * 4096 * 4 * 4  # bytes of float32 RGBA the bomb would decode to


def test_a_small_exr_declaring_a_huge_image_is_refused_before_any_pixel_is_decoded(
    tmp_path: Path,
) -> None:
    bomb = zero_exr(tmp_path / "tile.exr", 4096, 4096)
    assert bomb.stat().st_size < 256 << 10  # a few hundred KB on disk for 256 MiB of pixels
    tracemalloc.start()
    try:
        with pytest.raises(PixelError, match="declares 4096x4096 pixels, not the expected 32x24"):
            read_exr(bomb, expect=TILE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < (1 << 20) < DECODED_BOMB  # under 1 MiB traced: no pixel was decoded


def test_the_memory_measure_sees_a_decode(tmp_path: Path) -> None:
    # The check above would notice a decode: a 512 x 512 one is MBs of traced allocations.
    small = zero_exr(tmp_path / "small.exr", 512, 512)
    tracemalloc.start()
    try:
        pixels = read_exr(small)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pixels.shape == (512, 512, 4) and not pixels.any()
    assert peak >= pixels.nbytes


def test_a_hand_written_zip_exr_of_the_tiles_size_decodes_to_zeros(tmp_path: Path) -> None:
    tile = read_exr(zero_exr(tmp_path / "tile.exr", 32, 24), expect=TILE)
    assert tile.shape == (24, 32, 4) and tile.dtype == np.float32 and not tile.any()


def test_any_other_size_is_refused_even_a_smaller_or_transposed_one(tmp_path: Path) -> None:
    for width, height in ((31, 24), (24, 32), (32, 23)):
        path = write_exr(tmp_path / f"{width}x{height}.exr", np.zeros((height, width, 4), "f4"))
        assert exr_size(path) == (height, width)
        with pytest.raises(PixelError, match=f"declares {width}x{height} pixels"):
            read_exr(path, expect=TILE)


def test_without_an_expected_size_the_reader_still_refuses_images_no_job_makes(
    tmp_path: Path,
) -> None:
    # 16384 px is the largest side a manifest allows; the header says 20000.
    bomb = zero_exr(tmp_path / "wide.exr", 20000, 16)
    with pytest.raises(PixelError, match=r"declares 20000x16 pixels; sides are 1\.\.16384"):
        read_exr(bomb)


def test_several_parts_or_too_many_channels_are_refused_from_the_header(tmp_path: Path) -> None:
    plane = np.zeros(TILE, "f4")
    parts = [OpenEXR.Part({}, {"RGBA": np.zeros((*TILE, 4), "f4")}), OpenEXR.Part({}, {"Z": plane})]
    with OpenEXR.File(parts) as exr:
        exr.write(str(tmp_path / "parts.exr"))
    with pytest.raises(PixelError, match="has 2 parts"):
        read_exr(tmp_path / "parts.exr", expect=TILE)
    many = {f"C{i:02d}": plane for i in range(MAX_EXR_CHANNELS + 1)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, many) as exr:
        exr.write(str(tmp_path / "many.exr"))
    with pytest.raises(PixelError, match=f"declares {MAX_EXR_CHANNELS + 1} channels"):
        read_exr(tmp_path / "many.exr", expect=TILE)


def test_a_fifth_channel_is_refused_while_rgb_and_rgba_read(tmp_path: Path) -> None:
    assert MAX_EXR_CHANNELS == 4  # tiles, patches and frames are RGBA
    plane = np.zeros(TILE, "f4")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGBA": np.zeros((*TILE, 4), "f4"), "Z": plane}) as exr:
        exr.write(str(tmp_path / "depth.exr"))
    with pytest.raises(PixelError, match="declares 5 channels; at most 4"):
        read_exr(tmp_path / "depth.exr", expect=TILE)
    with OpenEXR.File(header, {"RGB": np.full((*TILE, 3), 0.5, "f4")}) as exr:
        exr.write(str(tmp_path / "rgb.exr"))
    assert read_exr(tmp_path / "rgb.exr", expect=TILE)[..., 3].min() == 1.0  # alpha reads as 1
    write_exr(tmp_path / "rgba.exr", np.zeros((*TILE, 4), "f4"))
    assert read_exr(tmp_path / "rgba.exr", expect=TILE).shape == (*TILE, 4)


@pytest.mark.parametrize("codec", ["NONE", "ZIP", "ZIPS", "PIZ", "RLE"])
def test_no_codec_makes_an_honest_exr_larger_than_its_bound(codec: str, tmp_path: Path) -> None:
    # Random bits do not compress: each codec falls back to raw rows, the worst case.
    rng = np.random.default_rng(7)
    for height, width in ((1, 1), (24, 32), (257, 1), (1, 257), (64, 48)):
        bits = rng.integers(0, 2**32, (height, width, 4), dtype=np.uint64).astype(np.uint32)
        bits &= 0xBFFFFFFF  # the exponent's top bit clear: no NaN or infinity
        path = write_exr(tmp_path / f"{height}x{width}.exr", bits.view(np.float32), codec)
        size = path.stat().st_size
        assert 16 * height * width < size <= max_exr_bytes(height, width), (height, width)
    # The bound is tight enough to matter: a 32 x 24 tile may not be 512 MiB.
    assert max_exr_bytes(*TILE) < 100 << 10
