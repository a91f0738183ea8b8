"""Tile math: grids cover frames exactly, borders map back to the same pixels Blender renders."""

import itertools

import numpy as np
import pytest

from tilefarm.tiles import (
    Rect,
    TileError,
    blender_border,
    border_to_pixels,
    patch_rect,
    patches_in_tile,
    tile_rect,
    tile_rects,
)


@pytest.mark.parametrize(
    ("width", "height", "columns", "rows"),
    [(64, 48, 1, 1), (64, 48, 4, 4), (67, 49, 3, 2), (640, 480, 8, 8), (1, 1, 1, 1), (7, 5, 7, 5)],
)
def test_tiles_cover_the_frame_exactly_once(width: int, height: int, columns: int, rows: int):
    cover = np.zeros((height, width), dtype=int)
    tiles = tile_rects(width, height, columns, rows)
    assert len(tiles) == columns * rows
    for rect in tiles:
        cover[rect.y : rect.y_end, rect.x : rect.x_end] += 1
    assert (cover == 1).all()


def test_uneven_tiles_differ_by_at_most_one_pixel():
    tiles = tile_rects(67, 49, 3, 2)
    assert {t.width for t in tiles} == {22, 23}
    assert {t.height for t in tiles} == {24, 25}


def test_tile_index_is_row_major_from_top_left():
    tiles = tile_rects(100, 60, 4, 3)
    assert tiles[0] == Rect(x=0, y=0, width=25, height=20)
    assert tiles[5] == Rect(x=25, y=20, width=25, height=20)
    assert all(tile_rect(100, 60, 4, 3, i) == t for i, t in enumerate(tiles))


@pytest.mark.parametrize(("columns", "rows"), [(0, 1), (1, -1), (65, 1), (1, 49)])
def test_grid_that_cannot_cut_the_frame_is_rejected(columns: int, rows: int):
    with pytest.raises(TileError):
        tile_rects(64, 48, columns, rows)


def test_tile_index_outside_grid_is_rejected():
    with pytest.raises(TileError, match="outside"):
        tile_rect(64, 48, 2, 2, 4)


def test_border_is_bottom_left_fractions():
    border = blender_border(Rect(x=0, y=0, width=32, height=24), 64, 48)
    assert border == (0.0, 0.5, 0.5, 1.0)


@pytest.mark.parametrize(("width", "height"), [(64, 48), (67, 49), (1920, 1080), (4097, 2161)])
def test_border_round_trips_to_the_same_pixels_for_every_tile(width: int, height: int):
    for columns, rows in itertools.product((1, 2, 3, 7, 16), (1, 3, 5, 16)):
        for rect in tile_rects(width, height, columns, rows):
            assert border_to_pixels(blender_border(rect, width, height), width, height) == rect


def test_border_round_trips_for_every_one_pixel_rect_of_odd_frames():
    for width, height in [(97, 61), (1013, 3)]:
        for x in range(width):
            rect = Rect(x=x, y=height - 1, width=1, height=1)
            assert border_to_pixels(blender_border(rect, width, height), width, height) == rect


def test_border_keeps_every_patch_whole_where_float32_lands_below_the_pixel():
    # 63/480 and 7/270 in float32 times the size fall a hair short of 63 and 7; Blender
    # truncates, so a naive border rendered 15 or 17 pixels of a 16-pixel patch.
    for x in range(480 - 16 + 1):
        rect = Rect(x=x, y=0, width=16, height=16)
        assert border_to_pixels(blender_border(rect, 480, 270), 480, 270) == rect
    for y in range(270 - 16 + 1):
        rect = Rect(x=0, y=y, width=16, height=16)
        assert border_to_pixels(blender_border(rect, 480, 270), 480, 270) == rect


def test_border_outside_frame_is_rejected():
    with pytest.raises(TileError):
        blender_border(Rect(x=60, y=0, width=8, height=8), 64, 48)


def test_patches_are_full_size_inside_their_tile():
    tile = Rect(x=10, y=20, width=37, height=16)
    patches = patches_in_tile(tile, 16)
    assert len(patches) == 3
    assert all(tile.contains(p) and p.width == 16 and p.height == 16 for p in patches)
    cover = np.zeros((16, 37), dtype=int)
    for p in patches:
        q = p.relative_to(tile)
        cover[q.y : q.y_end, q.x : q.x_end] += 1
    assert (cover >= 1).all()


def test_patch_larger_than_tile_is_the_tile():
    tile = Rect(x=0, y=0, width=5, height=3)
    assert patches_in_tile(tile, 16) == [tile]
    assert patch_rect(tile, 16, 0) == tile
    with pytest.raises(TileError):
        patch_rect(tile, 16, 1)
