"""`render-worker render`: render tiles of a local .blend through the same sandboxed Blender child
the daemon uses, stitch them and report per-tile pixel hashes. A debugging tool for operators and
a reference for checks (`check_whole` renders the frame in one piece and compares)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from render_worker.settings import WorkerSettings
from tilefarm.adapters.blender.devices import DeviceSelection
from tilefarm.adapters.blender.launcher import BlenderChild, RenderedRegion
from tilefarm.cids import cid_of_file
from tilefarm.errors import TilefarmError
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.stitch import stitch_files, write_frame, write_png_preview
from tilefarm.tiles import Rect


class UsageError(TilefarmError, ValueError):
    """A command-line value that cannot be understood."""


class TileReport(BaseModel):
    """One rendered tile."""

    index: int
    rect: Rect
    path: Path
    pixel_hash: str
    seconds: float


class RenderReport(BaseModel):
    """Everything `render-worker render` did, printed as a table or `--json`."""

    scene: Path
    scene_cid: str
    manifest_cid: str
    manifest: RenderManifest
    frame: int
    tiles: list[TileReport]
    complete: bool
    frame_exr: Path
    frame_png: Path
    frame_pixel_hash: str
    whole_frame_pixel_hash: str | None
    whole_frame_match: bool | None
    selection: DeviceSelection
    sandboxed: bool
    warnings: list[str]
    seconds: float
    peak_rss_bytes: int


def parse_grid(text: str) -> tuple[int, int]:
    """`4x3` -> (4 columns, 3 rows)."""
    try:
        columns, rows = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"grid {text!r} must look like 4x3 (columns x rows)") from None
    return columns, rows


def parse_size(text: str) -> tuple[int, int]:
    """`640x480` -> (640, 480)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"resolution {text!r} must look like 640x480") from None
    return width, height


def parse_tiles(text: str, count: int) -> list[int]:
    """`0,2,5-7` -> [0, 2, 5, 6, 7], each checked against the tile count."""
    chosen: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            if "-" in part:
                first, last = (int(x) for x in part.split("-", 1))
                chosen.extend(range(first, last + 1))
            else:
                chosen.append(int(part))
        except ValueError:
            raise UsageError(f"tiles {text!r} must look like 0,2,5-7") from None
    bad = [i for i in chosen if not 0 <= i < count]
    if bad or not chosen:
        raise UsageError(f"tiles must be within 0..{count - 1}, got {text!r}")
    return list(dict.fromkeys(chosen))


def render_scene(
    scene: Path,
    *,
    frame: int,
    grid: tuple[int, int],
    samples: int,
    seed: int,
    out_dir: Path,
    settings: WorkerSettings,
    tiles: str | None = None,
    resolution: tuple[int, int] | None = None,
    denoise: bool = False,
    check_whole: bool = False,
    on_opened: Callable[[int], None] | None = None,
    on_tile: Callable[[RenderedRegion], None] | None = None,
) -> RenderReport:
    """Render `frame` of `scene` as tiles, stitch them into `out_dir`, return the report."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    child = BlenderChild(
        limits=settings.child_limits(),
        sandbox=settings.sandbox,
        threads=settings.threads,
        devices=settings.devices,
        scratch_root=settings.scratch_dir,
    )
    with child:
        info = child.inspect(scene)
        if resolution is None:
            scale = info.resolution_percentage / 100
            resolution = (max(1, round(info.width * scale)), max(1, round(info.height * scale)))
        manifest = build_manifest(
            scene_cid=cid_of_file(scene),
            frames=[frame],
            resolution={"width": resolution[0], "height": resolution[1]},
            tile_grid={"columns": grid[0], "rows": grid[1]},
            samples=samples,
            seed=seed,
            denoise_frame=denoise,
        )
        indices = (
            list(range(manifest.tile_count))
            if tiles is None
            else parse_tiles(tiles, manifest.tile_count)
        )
        opened = child.open(scene, manifest)
        if on_opened is not None:
            on_opened(len(indices))
        rendered = child.render_tiles(frame, indices, out_dir / "tiles", on_progress=on_tile)
        complete = len(indices) == manifest.tile_count
        stitched = stitch_files(
            [(r.rect, r.path) for r in rendered],
            manifest.resolution.width,
            manifest.resolution.height,
            complete=complete,
        )
        stem = f"frame-{frame:06d}"
        files = write_frame(stitched, out_dir, stem)
        if denoise and complete:
            # Only the whole stitched frame is denoised, never a tile.
            denoised = child.denoise(files.exr, out_dir / f"{stem}-denoised.exr")
            write_png_preview(read_exr(denoised), out_dir / f"{stem}-denoised.png")
        whole_hash = None
        if check_whole:
            if child.manifest is None:
                child.open(scene, manifest)
            whole_hash = child.render_frame(frame, out_dir / "whole").pixel_hash
        frame_hash = pixel_hash(stitched)
        return RenderReport(
            scene=scene,
            scene_cid=manifest.scene_cid,
            manifest_cid=manifest.cid(),
            manifest=manifest,
            frame=frame,
            tiles=[
                TileReport(
                    index=i, rect=r.rect, path=r.path, pixel_hash=r.pixel_hash, seconds=r.seconds
                )
                for i, r in zip(indices, rendered, strict=True)
            ],
            complete=complete,
            frame_exr=files.exr,
            frame_png=files.png,
            frame_pixel_hash=frame_hash,
            whole_frame_pixel_hash=whole_hash,
            whole_frame_match=None if whole_hash is None else (whole_hash == frame_hash),
            selection=opened.selection,
            sandboxed=child.isolated,
            warnings=list(child.warnings),
            seconds=time.monotonic() - started,
            peak_rss_bytes=child.peak_rss_bytes,
        )
