"""Assembling tiles into frames and writing the frame files: float EXR (the deliverable) and an
8-bit sRGB PNG preview. Pure numpy; denoising the whole frame is the Blender child's job
(`BlenderChild.denoise`), never done per tile."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict

from tilefarm.errors import TilefarmError
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import Pixels, canonical_pixels, read_exr, write_exr
from tilefarm.tiles import Rect


class StitchError(TilefarmError, ValueError):
    """Tiles that do not assemble into exactly one frame."""


class FrameFiles(BaseModel):
    """The files written for one assembled frame."""

    model_config = ConfigDict(frozen=True)

    exr: Path
    png: Path


def stitch_tiles(
    tiles: Sequence[tuple[Rect, Pixels]], width: int, height: int, *, complete: bool = True
) -> Pixels:
    """Place each tile's RGBA pixels at its rectangle. Every frame pixel must be covered exactly
    once; with `complete=False` missing pixels stay transparent black (a partial preview)."""
    frame = np.zeros((height, width, 4), dtype=np.float32)
    covered = np.zeros((height, width), dtype=np.uint8)
    bounds = Rect(x=0, y=0, width=width, height=height)
    for rect, pixels in tiles:
        if not bounds.contains(rect):
            raise StitchError(f"tile {rect} lies outside the {width}x{height} frame")
        if pixels.shape != (rect.height, rect.width, 4):
            raise StitchError(
                f"tile {rect} has pixels of shape {pixels.shape}, expected "
                f"({rect.height}, {rect.width}, 4)"
            )
        frame[rect.y : rect.y_end, rect.x : rect.x_end] = canonical_pixels(pixels)
        covered[rect.y : rect.y_end, rect.x : rect.x_end] += 1
    if (covered > 1).any() or (complete and (covered == 0).any()):
        missing = int((covered == 0).sum())
        doubled = int((covered > 1).sum())
        raise StitchError(
            f"tiles do not cover the frame exactly once: {missing} pixels missing, "
            f"{doubled} covered more than once"
        )
    return frame


def stitch_files(
    tiles: Sequence[tuple[Rect, Path]], width: int, height: int, *, complete: bool = True
) -> Pixels:
    """`stitch_tiles` over tile EXR files."""
    return stitch_tiles(
        [(rect, read_exr(path)) for rect, path in tiles], width, height, complete=complete
    )


def linear_to_srgb8(pixels: Pixels) -> Pixels:
    """Scene-linear RGBA floats, premultiplied as Cycles renders them, to 8-bit sRGB RGBA with
    straight alpha as PNG stores it (clamped; alpha stays linear). Colour is divided by alpha
    first, as Blender does when it saves a render: encoded premultiplied, a half-transparent
    pixel's colour would come out far too dark."""
    alpha = np.clip(np.nan_to_num(pixels[..., 3:4].astype(np.float64), nan=1.0), 0.0, 1.0)
    rgb = np.nan_to_num(pixels[..., :3].astype(np.float64), nan=0.0)
    partly = (alpha > 0.0) & (alpha < 1.0)
    rgb = np.clip(np.divide(rgb, alpha, out=rgb.copy(), where=partly), 0.0, 1.0)
    srgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * np.power(rgb, 1.0 / 2.4) - 0.055)
    out = np.concatenate([srgb, alpha], axis=2)
    srgb8: Pixels = np.round(out * 255.0).astype(np.uint8)
    return srgb8


def write_png_preview(pixels: Pixels, path: Path | str) -> Path:
    """An 8-bit sRGB PNG of linear pixels, for the web page and quick looks."""
    path = Path(path)
    Image.fromarray(linear_to_srgb8(pixels), mode="RGBA").save(path, format="PNG")
    return path


def write_frame(pixels: Pixels, out_dir: Path | str, stem: str) -> FrameFiles:
    """Write `<stem>.exr` (float, lossless) and `<stem>.png` (sRGB preview) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return FrameFiles(
        exr=write_exr(out / f"{stem}.exr", pixels),
        png=write_png_preview(pixels, out / f"{stem}.png"),
    )


def assemble_frame(
    manifest: RenderManifest,
    tile_files: Mapping[int, Path],
    out_dir: Path | str,
    stem: str,
    *,
    denoiser: Callable[[Path, Path], Path] | None = None,
    previewer: Callable[[Path, Path], Path] | None = None,
    missing: Sequence[int] = (),
) -> FrameFiles:
    """Stitch a frame's tiles (index -> EXR path, every index of the manifest's grid but those
    in `missing`, which stay transparent) and write `<stem>.exr` and `<stem>.png`.

    When the manifest asks for `denoise_frame`, `denoiser(noisy_exr, out_exr)` (for example
    `BlenderChild.denoise`) runs on the WHOLE stitched frame; the noisy frame is kept as
    `<stem>-noisy.exr`. A manifest whose colour management is not plain sRGB needs
    `previewer(exr, png)` (for example `partial(child.preview, colour=manifest.colour)`) for the
    PNG. A missing helper is an error, never silently skipped.
    """
    rects = manifest.tiles()
    absent = sorted(set(range(len(rects))) - set(tile_files))
    if absent != sorted(missing):
        raise StitchError(
            f"cannot assemble: tiles {absent[:10]} are missing, {sorted(missing)[:10]} may be"
        )
    if manifest.denoise_frame and denoiser is None:
        raise StitchError("the manifest asks for a denoised frame but no denoiser was given")
    if not manifest.colour.plain_srgb and previewer is None:
        c = manifest.colour
        raise StitchError(
            f"the manifest's colour management ({c.view_transform} on {c.display_device}, look "
            f"{c.look}, dither {c.dither_intensity:g}) needs Blender for the PNG: pass a previewer"
        )
    pixels = stitch_files(
        [(rects[i], Path(p)) for i, p in sorted(tile_files.items())],
        manifest.resolution.width,
        manifest.resolution.height,
        complete=not missing,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exr = out / f"{stem}.exr"
    if denoiser is not None and manifest.denoise_frame:
        noisy = write_exr(out / f"{stem}-noisy.exr", pixels)
        exr = denoiser(noisy, exr)
    else:
        write_exr(exr, pixels)
    png = out / f"{stem}.png"
    if previewer is not None and not manifest.colour.plain_srgb:
        png = previewer(exr, png)
    else:
        write_png_preview(read_exr(exr), png)
    return FrameFiles(exr=exr, png=png)
