"""Stitching tiles into a frame and writing the frame files."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tilefarm.pixels import Pixels, read_exr
from tilefarm.stitch import (
    StitchError,
    assemble_frame,
    linear_to_srgb8,
    stitch_tiles,
    write_frame,
    write_png_preview,
)
from tilefarm.tiles import Rect, tile_rects


@pytest.fixture
def frame() -> Pixels:
    return np.random.default_rng(1).random((49, 67, 4), dtype=np.float32)


def test_cut_then_stitch_is_the_identity(frame: Pixels):
    tiles = [(r, frame[r.y : r.y_end, r.x : r.x_end]) for r in tile_rects(67, 49, 5, 3)]
    assert np.array_equal(stitch_tiles(tiles, 67, 49), frame)


def test_missing_or_overlapping_tiles_are_rejected(frame: Pixels):
    rects = tile_rects(67, 49, 2, 2)
    tiles = [(r, frame[r.y : r.y_end, r.x : r.x_end]) for r in rects]
    with pytest.raises(StitchError, match="missing"):
        stitch_tiles(tiles[:3], 67, 49)
    with pytest.raises(StitchError, match="more than once"):
        stitch_tiles([*tiles, tiles[0]], 67, 49)
    with pytest.raises(StitchError, match="shape"):
        stitch_tiles([(rects[0], frame[:2, :2]), *tiles[1:]], 67, 49)
    with pytest.raises(StitchError, match="outside"):
        stitch_tiles([(Rect(x=60, y=0, width=10, height=4), frame[:4, :10])], 67, 49)


def test_srgb_preview_is_clamped_and_gamma_encoded():
    px = np.array([[[0.0, 0.214, 1.0, 1.0], [-3.0, 50.0, 0.5, 0.0]]], np.float32)
    out = linear_to_srgb8(px)
    assert out[0, 0].tolist() == [0, 127, 255, 255]
    assert out[0, 1].tolist() == [0, 255, 188, 0]


def test_a_half_transparent_pixel_keeps_its_colour_in_the_png():
    # Cycles renders premultiplied: 50% white at half coverage is (0.25, 0.25, 0.25, 0.5).
    # The PNG stores straight alpha, as Blender saves it: the colour is 50% white (sRGB 188).
    pixels = np.array([[[0.25, 0.25, 0.25, 0.5], [0.0, 0.0, 0.0, 0.0]]], dtype=np.float32)
    assert linear_to_srgb8(pixels).tolist() == [[[188, 188, 188, 128], [0, 0, 0, 0]]]


def test_write_frame_writes_exact_exr_and_png(frame: Pixels, tmp_path: Path):
    files = write_frame(frame, tmp_path, "frame-0001")
    assert np.array_equal(read_exr(files.exr), frame)
    with Image.open(files.png) as png:
        assert png.size == (67, 49) and png.mode == "RGBA"


def test_partial_stitch_leaves_missing_tiles_transparent_black(frame: Pixels):
    rects = tile_rects(67, 49, 2, 2)
    partial = stitch_tiles(
        [(rects[0], frame[: rects[0].y_end, : rects[0].x_end])], 67, 49, complete=False
    )
    assert np.array_equal(
        partial[: rects[0].y_end, : rects[0].x_end], frame[: rects[0].y_end, : rects[0].x_end]
    )
    assert not partial[rects[3].y :, rects[3].x :].any()


def _manifest(**overrides: object):
    from tilefarm.manifest import build_manifest

    fields: dict[str, object] = {
        "scene_cid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
        "frames": [1],
        "resolution": {"width": 67, "height": 49},
        "tile_grid": {"columns": 3, "rows": 2},
        "samples": 4,
    }
    fields.update(overrides)
    return build_manifest(**fields)


def _tile_files(frame: Pixels, manifest, tmp_path: Path) -> dict[int, Path]:
    from tilefarm.pixels import write_exr

    return {
        i: write_exr(tmp_path / f"t{i}.exr", frame[r.y : r.y_end, r.x : r.x_end])
        for i, r in enumerate(manifest.tiles())
    }


def test_assemble_frame_from_tile_files(frame: Pixels, tmp_path: Path):
    manifest = _manifest()
    files = assemble_frame(manifest, _tile_files(frame, manifest, tmp_path), tmp_path, "f1")
    assert np.array_equal(read_exr(files.exr), frame)
    with pytest.raises(StitchError, match=r"tiles \[5\] are missing"):
        tiles = _tile_files(frame, manifest, tmp_path)
        del tiles[5]
        assemble_frame(manifest, tiles, tmp_path, "f2")


def test_a_frame_whose_tiles_ran_out_of_rounds_is_assembled_with_them_transparent(
    frame: Pixels, tmp_path: Path
):
    manifest = _manifest()
    tiles = _tile_files(frame, manifest, tmp_path)
    del tiles[1], tiles[4]
    files = assemble_frame(manifest, tiles, tmp_path, "f3", missing=[1, 4])
    pixels = read_exr(files.exr)
    rects = manifest.tiles()
    for index, rect in enumerate(rects):
        area = (slice(rect.y, rect.y_end), slice(rect.x, rect.x_end))
        expected = np.zeros_like(pixels[area]) if index in (1, 4) else frame[area]
        assert np.array_equal(pixels[area], expected), f"tile {index}"
    # The tiles said to be missing must be exactly the absent ones.
    with pytest.raises(StitchError, match=r"tiles \[1, 4\] are missing, \[1\] may be"):
        assemble_frame(manifest, tiles, tmp_path, "f4", missing=[1])


def test_denoised_frame_goes_through_the_denoiser_once_whole(frame: Pixels, tmp_path: Path):
    from tilefarm.pixels import write_exr

    manifest = _manifest(denoise_frame=True)
    calls: list[tuple[int, ...]] = []

    def fake_denoiser(src: Path, dst: Path) -> Path:
        pixels = read_exr(src)
        calls.append(pixels.shape[:2])
        return write_exr(dst, pixels * 0.5)

    tiles = _tile_files(frame, manifest, tmp_path)
    with pytest.raises(StitchError, match="no denoiser"):
        assemble_frame(manifest, tiles, tmp_path, "f")
    files = assemble_frame(manifest, tiles, tmp_path, "f", denoiser=fake_denoiser)
    assert calls == [(49, 67)]
    assert np.array_equal(read_exr(files.exr), frame * 0.5)
    assert np.array_equal(read_exr(tmp_path / "f-noisy.exr"), frame)


def test_colour_managed_preview_needs_blender_and_goes_through_it(frame: Pixels, tmp_path: Path):
    manifest = _manifest(colour={"view_transform": "AgX"})
    tiles = _tile_files(frame, manifest, tmp_path)
    with pytest.raises(StitchError, match="needs Blender for the PNG"):
        assemble_frame(manifest, tiles, tmp_path, "f")
    seen: list[Path] = []

    def previewer(exr: Path, png: Path) -> Path:
        seen.append(exr)
        return write_png_preview(read_exr(exr), png)

    files = assemble_frame(manifest, tiles, tmp_path, "f", previewer=previewer)
    assert seen == [files.exr] and files.png.exists()
