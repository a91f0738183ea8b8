"""Pure tile math: which pixels a tile or a verification patch covers, and the Blender border that
renders exactly those pixels.

Coordinates are image coordinates with the origin at the TOP-LEFT pixel: `x` grows to the right,
`y` grows downwards, the same row order as the canonical pixel arrays (`tilefarm.pixels`) and
as EXR/PNG files. Blender's border is expressed from the BOTTOM-left in fractions of the frame;
`blender_border` does that conversion in one place.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tilefarm.errors import TilefarmError


class TileError(TilefarmError, ValueError):
    """A tile grid, rectangle or patch request that cannot describe real pixels."""


class Rect(BaseModel):
    """A rectangle of whole pixels, origin top-left, half-open on the right and bottom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)

    @property
    def x_end(self) -> int:
        """One past the last column."""
        return self.x + self.width

    @property
    def y_end(self) -> int:
        """One past the last row."""
        return self.y + self.height

    @property
    def shape(self) -> tuple[int, int]:
        """`(height, width)`: the shape of its pixel array's first two axes."""
        return (self.height, self.width)

    @property
    def area(self) -> int:
        """Number of pixels."""
        return self.width * self.height

    def contains(self, other: Rect) -> bool:
        """True if every pixel of `other` lies inside this rectangle."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x_end <= self.x_end
            and other.y_end <= self.y_end
        )

    def relative_to(self, outer: Rect) -> Rect:
        """This rectangle in the coordinates of `outer` (which must contain it)."""
        if not outer.contains(self):
            raise TileError(f"{self} is not inside {outer}")
        return Rect(x=self.x - outer.x, y=self.y - outer.y, width=self.width, height=self.height)


class Border(NamedTuple):
    """Blender's `render.border_*` values: fractions of the frame, origin bottom-left."""

    min_x: float
    max_x: float
    min_y: float
    max_y: float


def _splits(length: int, parts: int) -> list[int]:
    # Balanced split: tile sizes differ by at most one pixel, so tiles cost the same to within
    # one row or column whatever the resolution; integer arithmetic keeps it exact.
    return [i * length // parts for i in range(parts + 1)]


def check_grid(width: int, height: int, columns: int, rows: int) -> None:
    """Raise TileError unless a `columns` x `rows` grid can cut a `width` x `height` frame."""
    if width <= 0 or height <= 0:
        raise TileError(f"frame size must be positive, got {width}x{height}")
    if columns <= 0 or rows <= 0:
        raise TileError(f"tile grid must be positive, got {columns}x{rows}")
    if columns > width or rows > height:
        raise TileError(
            f"a {columns}x{rows} grid leaves empty tiles on a {width}x{height} frame: "
            f"use at most {width} columns and {height} rows"
        )


def tile_count(columns: int, rows: int) -> int:
    """Number of tiles in a grid."""
    return columns * rows


def tile_rects(width: int, height: int, columns: int, rows: int) -> list[Rect]:
    """All tiles of the grid, row-major from the top-left: tile index = row * columns + column.

    The tiles cover the frame exactly once; when the size does not divide evenly, tiles differ
    by one pixel.
    """
    check_grid(width, height, columns, rows)
    xs = _splits(width, columns)
    ys = _splits(height, rows)
    return [
        Rect(x=xs[c], y=ys[r], width=xs[c + 1] - xs[c], height=ys[r + 1] - ys[r])
        for r in range(rows)
        for c in range(columns)
    ]


def tile_rect(width: int, height: int, columns: int, rows: int, index: int) -> Rect:
    """The rectangle of tile `index` (row-major from the top-left)."""
    check_grid(width, height, columns, rows)
    if not 0 <= index < columns * rows:
        raise TileError(f"tile index {index} is outside a {columns}x{rows} grid")
    r, c = divmod(index, columns)
    xs = _splits(width, columns)
    ys = _splits(height, rows)
    return Rect(x=xs[c], y=ys[r], width=xs[c + 1] - xs[c], height=ys[r + 1] - ys[r])


def blender_border(rect: Rect, width: int, height: int) -> Border:
    """The border that makes Blender render exactly `rect` of a `width` x `height` frame.

    Blender flips y (its origin is bottom-left), stores the border as float32 and truncates
    `border * size` to whole pixels; `border_to_pixels` models that and the tests check the
    round trip.
    """
    frame = Rect(x=0, y=0, width=width, height=height)
    if not frame.contains(rect):
        raise TileError(f"{rect} lies outside the {width}x{height} frame")
    return Border(
        min_x=_edge(rect.x, width),
        max_x=_edge(rect.x_end, width),
        min_y=_edge(height - rect.y_end, height),
        max_y=_edge(height - rect.y, height),
    )


def _edge(pixels: int, size: int) -> float:
    """The smallest float32 fraction whose float32 product with `size` is not below `pixels`:
    `pixels / size` rounded to float32 can land a hair below it (63/480, 7/270), and Blender's
    truncation would then lose a whole pixel."""
    fraction = np.float32(pixels / size)
    while float(fraction * np.float32(size)) < pixels:
        fraction = np.nextafter(fraction, np.float32(2.0))
    return float(fraction)


def border_to_pixels(border: Border, width: int, height: int) -> Rect:
    """The pixels Blender renders for `border`, as Blender computes them: float32 products of
    the border and the frame size, truncated to whole pixels."""

    def px(fraction: float, size: int) -> int:
        return math.floor(float(np.float32(fraction) * np.float32(size)))

    x0, x1 = px(border.min_x, width), px(border.max_x, width)
    y0, y1 = px(border.min_y, height), px(border.max_y, height)
    return Rect(x=x0, y=height - y1, width=x1 - x0, height=y1 - y0)


def patches_in_tile(tile: Rect, size: int) -> list[Rect]:
    """Every verification patch position of a tile: a grid of `size` x `size` patches.

    The last row and column are pushed back inside the tile so every patch has full size (they
    overlap their neighbours a little); a tile smaller than `size` yields itself.
    """
    if size <= 0:
        raise TileError(f"patch size must be positive, got {size}")

    def starts(origin: int, length: int) -> list[int]:
        if length <= size:
            return [origin]
        count = math.ceil(length / size)
        return [origin + min(i * size, length - size) for i in range(count)]

    pw, ph = min(size, tile.width), min(size, tile.height)
    return [
        Rect(x=x, y=y, width=pw, height=ph)
        for y in starts(tile.y, tile.height)
        for x in starts(tile.x, tile.width)
    ]


def patch_rect(tile: Rect, size: int, index: int) -> Rect:
    """Patch number `index` of `patches_in_tile(tile, size)` (row-major)."""
    patches = patches_in_tile(tile, size)
    if not 0 <= index < len(patches):
        raise TileError(f"patch index {index} is outside the {len(patches)} patches of {tile}")
    return patches[index]
