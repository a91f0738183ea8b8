"""A preview's picture: the frame scaled down so that its longest side is at most `LONGEST`
pixels (a smaller frame keeps its size, pixel for pixel), each tile pasted into its own integer
rectangle of it as the tile is read, every pixel no tile covers transparent.

Why scaled: the page shows a preview fitted to the screen anyway, and a 16384 x 16384 frame at
full resolution would be 4 GiB of float pixels for each remake, and a PNG of hundreds of MB in
the database for each frame still rendering. At most `LONGEST` px a side, the canvas is at most
16 MiB of float32 and its PNG a few MB, whatever the frame's size; only one tile at a time is
held at full resolution, while it is scaled down (`shrink`).

Tiles meet without gaps or overlaps: every tile edge goes through one rounding (`Canvas.box`),
and a tile's right edge is its neighbour's left edge, so both land on the same preview column.
A tile narrower than one preview pixel may get no column at all; its neighbours then meet.

The canvas is kept on disk between remakes with which revealed results list (`Source.key`)
each tile came from, so that a remake reads only the tiles whose source changed.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from tilefarm.pixels import Pixels, canonical_pixels
from tilefarm.tiles import Rect

LONGEST = 1024  # px: the longest side of a preview
HDR_CLIP = 1e6  # linear values past this are clipped before averaging (no inf, no NaN)
CANVAS_FILE = "canvas.npz"


def preview_size(width: int, height: int, longest: int = LONGEST) -> tuple[int, int]:
    """`(width, height)` of the preview of a `width` x `height` frame: the same when its longest
    side is at most `longest`, else scaled down to that (each side at least 1)."""
    side = max(width, height)
    if side <= longest:
        return width, height
    return max(1, edge(width, side, longest)), max(1, edge(height, side, longest))


def edge(at: int, full: int, small: int) -> int:
    """Where full-resolution column (or row) `at` of `full` lands in a preview of `small`."""
    return (at * small + full // 2) // full


def shrink(pixels: Pixels, width: int, height: int) -> Pixels:
    """`pixels` (RGBA, float) averaged down to `width` x `height` (box filter: each preview pixel
    the mean of the tile's pixels it covers); at the same size, the pixels themselves (in their
    canonical form: a preview of a small frame is its tiles exactly)."""
    if pixels.shape[:2] == (height, width):
        return canonical_pixels(pixels)
    out = np.zeros((height, width, 4), dtype=np.float32)
    if width == 0 or height == 0:
        return out
    for channel in range(4):
        plane = np.nan_to_num(pixels[..., channel], nan=0.0, posinf=HDR_CLIP, neginf=-HDR_CLIP)
        plane = np.clip(plane, -HDR_CLIP, HDR_CLIP).astype(np.float32)
        image = Image.fromarray(plane, mode="F")
        out[..., channel] = np.asarray(image.resize((width, height), Image.Resampling.BOX))
    return out


@dataclass
class Canvas:
    """The preview of the frame at `position` of the job whose manifest is `manifest_cid`."""

    manifest_cid: str
    position: int
    width: int  # the frame's, at full resolution
    height: int
    pixels: Pixels  # (preview height, preview width, 4) float32, transparent where no tile is
    shown: dict[int, str] = field(default_factory=dict)  # tile of the frame's grid -> source key

    @classmethod
    def blank(cls, manifest_cid: str, position: int, width: int, height: int) -> "Canvas":
        small_w, small_h = preview_size(width, height)
        pixels = np.zeros((small_h, small_w, 4), dtype=np.float32)
        return cls(manifest_cid, position, width, height, pixels)

    def box(self, rect: Rect) -> tuple[int, int, int, int]:
        """`(x, y, x_end, y_end)` of `rect` (full resolution) in the preview."""
        small_h, small_w = self.pixels.shape[:2]
        return (
            edge(rect.x, self.width, small_w),
            edge(rect.y, self.height, small_h),
            edge(rect.x_end, self.width, small_w),
            edge(rect.y_end, self.height, small_h),
        )

    def fit(self, rect: Rect, pixels: Pixels) -> Pixels:
        """A tile's pixels (of `rect`, full resolution) scaled to its place in the preview."""
        x, y, x_end, y_end = self.box(rect)
        return shrink(pixels, x_end - x, y_end - y)

    def paste(self, tile: int, rect: Rect, patch: Pixels, source: str) -> None:
        """Put `patch` (from `fit`) in place of tile `tile`, shown from `source`."""
        x, y, x_end, y_end = self.box(rect)
        self.pixels[y:y_end, x:x_end] = patch
        self.shown[tile] = source

    def clear(self, tile: int, rect: Rect) -> None:
        """Make tile `tile` transparent again (no source shows it now)."""
        x, y, x_end, y_end = self.box(rect)
        self.pixels[y:y_end, x:x_end] = 0.0
        self.shown.pop(tile, None)

    # -- on disk

    def save(self, folder: Path) -> None:
        """Keep the canvas in `folder` (replacing what was there), for the next remake: its
        pixels and which source shows each tile in one file, replaced at once, and only once
        its bytes are on disk (a crash leaves the old canvas or the new, never half of one)."""
        folder.mkdir(parents=True, exist_ok=True)
        index = {
            "manifest_cid": self.manifest_cid, "position": self.position,
            "width": self.width, "height": self.height,
            "shown": {str(t): key for t, key in sorted(self.shown.items())},
        }  # fmt: skip
        tmp = folder / f".{CANVAS_FILE}.part"
        with tmp.open("wb") as out:
            np.savez(out, pixels=self.pixels, index=np.array(json.dumps(index)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / CANVAS_FILE)

    @classmethod
    def load(
        cls, folder: Path, manifest_cid: str, position: int, width: int, height: int
    ) -> "Canvas | None":
        """The canvas kept in `folder`, if it is this frame's (same manifest and place); None
        when there is none or it is unreadable (the preview is then made from scratch)."""
        try:
            with np.load(folder / CANVAS_FILE, allow_pickle=False) as kept:
                index = json.loads(str(kept["index"]))
                pixels = kept["pixels"]
            same = (index["manifest_cid"], index["position"], index["width"], index["height"])
            shown = {int(t): str(key) for t, key in index["shown"].items()}
        except Exception:  # missing, empty, cut short, not a zip, not ours: made again instead
            return None
        small_w, small_h = preview_size(width, height)
        if (
            same != (manifest_cid, position, width, height)
            or pixels.shape != (small_h, small_w, 4)
            or pixels.dtype != np.float32
        ):
            return None
        return cls(manifest_cid, position, width, height, pixels, shown)
