"""Tile overhead benchmark: `python -m bench.tiles` prints JSON.

One 640x480 frame of the built-in demo scene at 64 samples, rendered whole and as 4, 16 and 64
tiles, all through ONE long-lived Blender child (the scene is loaded once, as a worker does).
For each configuration it reports wall seconds and the child's CPU seconds, and their ratio to the
whole-frame render (target: 16 tiles within 1.10x), whether the stitched tiles equal the whole
frame bit for bit, and the child's peak resident memory.

Shared machines are noisy, so the configurations run interleaved `--repeats` times and the
fastest run of each counts; CPU seconds are the contention-free measure of tiling overhead.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.cids import cid_of_file
from tilefarm.manifest import build_manifest
from tilefarm.pixels import pixel_hash
from tilefarm.stitch import stitch_files
from tilefarm.tiles import Rect, tile_rects
from tilefarm_cli.scenes import build_builtin_scene

GRIDS = ((1, 1), (2, 2), (4, 4), (8, 8))


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def run(
    width: int, height: int, samples: int, frame: int, threads: int, repeats: int
) -> dict[str, Any]:
    """Render the frame as each grid (1x1 = whole), `repeats` rounds; return the figures."""
    best: dict[tuple[int, int], dict[str, float]] = {}
    identical: dict[tuple[int, int], bool] = {}
    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-tiles-") as tmp:
        root = Path(tmp)
        scene = build_builtin_scene("demo", root / "demo.blend")
        manifest = build_manifest(
            scene_cid=cid_of_file(scene),
            frames=[frame],
            resolution={"width": width, "height": height},
            tile_grid={"columns": 1, "rows": 1},
            samples=samples,
            seed=1,
        )
        with BlenderChild(threads=threads) as child:
            opened = child.open(scene, manifest)
            assert child.pid is not None
            # Warm-up on a small patch: first-render costs (kernel load) are not tiling costs.
            child.render_regions(frame, [("warmup", Rect(x=0, y=0, width=16, height=16))], root)
            whole_hash = ""
            for _ in range(repeats):
                for columns, rows in GRIDS:
                    rects = tile_rects(width, height, columns, rows)
                    cpu0, t0 = _cpu_seconds(child.pid), time.monotonic()
                    tiles = child.render_regions(
                        frame,
                        [(f"t{i}", r) for i, r in enumerate(rects)],
                        root / f"{columns}x{rows}",
                    )
                    wall, cpu = time.monotonic() - t0, _cpu_seconds(child.pid) - cpu0
                    key = (columns, rows)
                    previous = best.get(key)
                    best[key] = {
                        "wall": min(wall, previous["wall"]) if previous else wall,
                        "cpu": min(cpu, previous["cpu"]) if previous else cpu,
                    }
                    stitched = pixel_hash(
                        stitch_files([(t.rect, t.path) for t in tiles], width, height)
                    )
                    if key == (1, 1):
                        whole_hash = stitched
                    identical[key] = stitched == whole_hash
            peak = child.peak_rss_bytes
    whole = best[(1, 1)]
    runs: list[dict[str, Any]] = [
        {
            "tiles": c * r,
            "grid": f"{c}x{r}",
            "wall_seconds": round(best[(c, r)]["wall"], 3),
            "child_cpu_seconds": round(best[(c, r)]["cpu"], 3),
            "wall_ratio_to_whole": round(best[(c, r)]["wall"] / whole["wall"], 3),
            "cpu_ratio_to_whole": round(best[(c, r)]["cpu"] / whole["cpu"], 3),
            "bit_identical_to_whole": identical[(c, r)],
        }
        for c, r in GRIDS
        if (c, r) != (1, 1)
    ]
    sixteen = next(r for r in runs if r["tiles"] == 16)
    return {
        "scene": "demo",
        "resolution": f"{width}x{height}",
        "samples": samples,
        "frame": frame,
        "threads": opened.threads,
        "device": opened.selection.backend,
        "repeats": repeats,
        "open_seconds": round(opened.seconds, 3),
        "whole_frame_wall_seconds": round(whole["wall"], 3),
        "whole_frame_child_cpu_seconds": round(whole["cpu"], 3),
        "tiled": runs,
        "target_16_tiles_within": 1.10,
        "target_met_wall": sixteen["wall_ratio_to_whole"] <= 1.10,
        "target_met_cpu": sixteen["cpu_ratio_to_whole"] <= 1.10,
        "child_peak_rss_mib": round(peak / 2**20, 1),
        "load_average_1min": round(psutil.getloadavg()[0], 2),
    }


def main() -> None:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description="Tile overhead benchmark (prints JSON).")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--frame", type=int, default=6)
    parser.add_argument("--threads", type=int, default=0, help="0 = one per core")
    parser.add_argument("--repeats", type=int, default=2, help="rounds; the fastest counts")
    args = parser.parse_args()
    figures = run(args.width, args.height, args.samples, args.frame, args.threads, args.repeats)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
