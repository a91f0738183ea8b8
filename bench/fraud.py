"""Cheaters against the real verifier: `python -m bench.fraud` prints JSON.

One job of the built-in demo scene (640x480, 64 samples, a 4x4 grid, the manifest's default
verification parameters: patch size, patch count, PSNR threshold, max-error guard) is rendered
honestly, honestly on another CPU kernel (CYCLES_CPU_NO_AVX2=1), and by cheaters: blank tiles,
noise, a wrong seed, a quarter of the samples, half the resolution upscaled, every tile holding
another tile's pixels, and honest pixels with 10% of the area (one contiguous block at a random
place each trial) taken from a render with a quarter of the samples (the cheat that saves
compute) or from a wrong-seed render (which saves nothing). Where such a block lies on flat
background the fake equals the honest pixels within the thresholds, so nothing was faked; those
trials are counted apart, not as misses.

Each trial draws a fresh 32-byte seed, selects patches exactly as the verifier does
(`tilefarm.patches.select_patches`) and judges each patch exactly as it does
(`compare_pixels(...).passes(threshold, max_error)` on tone-mapped values). The verifier's
re-render of a patch is a border render of the honest manifest; the facts measured here (and
`tests/blender`) show it is bit-identical to the same pixels of the honest whole-frame render, so
trials take those pixels — and the benchmark re-renders the patches of a few trials for real and
checks they are identical. The cost is measured, not estimated: the seconds of one real
verification's patch renders against the seconds of rendering all the job's tiles, in the same
long-lived child.
"""

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tilefarm.blender.launcher import BlenderChild
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.pixels import Pixels, compare_pixels, read_exr, write_exr
from tilefarm.scenes import build_builtin_scene
from tilefarm.tiles import Rect

WIDTH, HEIGHT, SAMPLES, GRID = 640, 480, 64, 4
TRIALS = int(os.environ.get("BENCH_FRAUD_TRIALS", "400"))
SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # not fetched here


def manifest(**changes: Any) -> RenderManifest:
    fields: dict[str, Any] = {
        "scene_cid": SCENE_CID,
        "frames": [1],
        "resolution": {"width": WIDTH, "height": HEIGHT},
        "tile_grid": {"columns": GRID, "rows": GRID},
        "samples": SAMPLES,
        "seed": 7,
    }
    fields.update(changes)
    return build_manifest(**fields)


def render_whole(
    blend: Path, m: RenderManifest, out: Path, env: dict[str, str] | None = None
) -> Pixels:
    """The whole frame; cached under BENCH_FRAUD_CACHE (if set) to re-judge without re-rendering."""
    cache = os.environ.get("BENCH_FRAUD_CACHE")
    res = m.resolution
    name = f"seed{m.seed}-s{m.samples}-{res.width}x{res.height}-{sorted((env or {}).items())}"
    key = Path(cache) / f"{name}.exr" if cache else None
    if key is not None and key.exists():
        return read_exr(key)
    with BlenderChild(extra_env=env) as child:
        child.open(blend, m)
        pixels = read_exr(child.render_frame(m.frames[0], out).path)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        write_exr(key, pixels)
    return pixels


def judge(
    reference: Pixels, committed: Pixels, choices: list[PatchChoice], m: RenderManifest
) -> tuple[bool, float, float]:
    """(caught, worst PSNR, largest error) of one verification of `committed`."""
    params, worst, largest, caught = m.verification, math.inf, 0.0, False
    for c in choices:
        r = c.rect
        metrics = compare_pixels(
            reference[r.y : r.y_end, r.x : r.x_end], committed[r.y : r.y_end, r.x : r.x_end]
        )
        worst, largest = min(worst, metrics.psnr_db), max(largest, metrics.max_error)
        caught |= not metrics.passes(params.psnr_threshold_db, params.max_error)
    return caught, worst, largest


def main() -> None:
    rng = np.random.default_rng(20261126)
    honest_m = manifest()
    tiles = list(range(honest_m.tile_count))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # Two builds of the demo scene are not byte-identical and do not render identically, so
        # the cache keeps the .blend its renders came from.
        cache = os.environ.get("BENCH_FRAUD_CACHE")
        blend = Path(cache) / "demo.blend" if cache else tmp / "demo.blend"
        if not blend.exists():
            blend.parent.mkdir(parents=True, exist_ok=True)
            build_builtin_scene("demo", blend)
        t = time.monotonic()
        honest = render_whole(blend, honest_m, tmp / "honest")
        whole_seconds = time.monotonic() - t
        other_kernel = render_whole(blend, honest_m, tmp / "sse", {"CYCLES_CPU_NO_AVX2": "1"})
        wrong_seed = render_whole(blend, manifest(seed=8), tmp / "seed")
        fewer = render_whole(blend, manifest(samples=SAMPLES // 4), tmp / "fewer")
        half = render_whole(
            blend, manifest(resolution={"width": WIDTH // 2, "height": HEIGHT // 2}), tmp / "half"
        )
        upscaled = np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)
        rects = honest_m.tiles()
        copied = honest.copy()
        for i, rect in enumerate(rects):  # every tile carries the next tile's pixels
            src = rects[(i + 1) % len(rects)]
            copied[rect.y : rect.y_end, rect.x : rect.x_end] = honest[
                src.y : src.y_end, src.x : src.x_end
            ]

        harmless: dict[str, int] = {}

        def partial(name: str, source: Pixels) -> Callable[[int], Pixels | None]:
            def make(_: int) -> Pixels | None:
                faked = honest.copy()
                h = HEIGHT // 4
                w = round(0.10 * WIDTH * HEIGHT / h)
                x, y = int(rng.integers(0, WIDTH - w + 1)), int(rng.integers(0, HEIGHT - h + 1))
                faked[y : y + h, x : x + w] = source[y : y + h, x : x + w]
                params = honest_m.verification
                block = compare_pixels(honest[y : y + h, x : x + w], faked[y : y + h, x : x + w])
                if block.passes(params.psnr_threshold_db, params.max_error):
                    harmless[name] = harmless.get(name, 0) + 1
                    return None  # the "fake" equals the honest pixels: nothing to catch
                return faked

            return make

        strategies: dict[str, Callable[[int], Pixels | None]] = {
            "blank": lambda _: np.zeros_like(honest),
            "noise": lambda _: rng.random(honest.shape, dtype=np.float32),
            "wrong_seed": lambda _: wrong_seed,
            "fewer_samples_16_of_64": lambda _: fewer,
            "half_resolution_upscaled": lambda _: upscaled,
            "another_tiles_pixels": lambda _: copied,
            "honest_with_10pct_at_quarter_samples": partial("quarter", fewer),
            "honest_with_10pct_from_wrong_seed": partial("seed", wrong_seed),
        }
        report: dict[str, Any] = {
            "trials": TRIALS,
            "patches_per_job": honest_m.verification.patch_count,
            "patch_size": honest_m.verification.patch_size,
            "psnr_threshold_db": honest_m.verification.psnr_threshold_db,
            "cheaters": {},
            "honest": {},
        }
        seeds = [rng.bytes(32) for _ in range(TRIALS)]
        for name, make in strategies.items():
            results = []
            for i in range(TRIALS):
                committed = make(i)
                if committed is not None:
                    choices = select_patches(seeds[i], honest_m, tiles)
                    results.append(judge(honest, committed, choices, honest_m))
            report["cheaters"][name] = {
                "jobs": len(results),
                "detection_rate": sum(c for c, _, _ in results) / len(results),
                "median_worst_patch_psnr_db": round(
                    float(np.median([w for _, w, _ in results])), 1
                ),
                "median_largest_error": round(float(np.median([e for _, _, e in results])), 4),
            }
        for name, key in (("quarter", "honest_with_10pct_at_quarter_samples"),
                          ("seed", "honest_with_10pct_from_wrong_seed")):  # fmt: skip
            report["cheaters"][key]["fakes_equal_to_honest_skipped"] = harmless.get(name, 0)
        for name, frame in (("same_kernel", honest), ("other_cpu_kernel_no_avx2", other_kernel)):
            results = [
                judge(honest, frame, select_patches(seeds[i], honest_m, tiles), honest_m)
                for i in range(TRIALS)
            ]
            worst = min(w for _, w, _ in results)
            report["honest"][name] = {
                "false_positive_rate": sum(c for c, _, _ in results) / TRIALS,
                "worst_patch_psnr_db": "inf" if math.isinf(worst) else round(worst, 1),
                "largest_error": round(max(e for _, _, e in results), 4),
            }

        # The cost, measured: render the job's tiles, then one verification's patches, in one child.
        with BlenderChild() as child:
            child.open(blend, honest_m)
            t = time.monotonic()
            child.render_tiles(1, None, tmp / "tiles")
            render_seconds = time.monotonic() - t
            verify_seconds, identical = [], True
            for i in range(3):
                choices = select_patches(seeds[i], honest_m, tiles)
                t = time.monotonic()
                done = child.render_regions(
                    1, [(f"p{j}", c.rect) for j, c in enumerate(choices)], tmp / f"v{i}"
                )
                verify_seconds.append(time.monotonic() - t)
                for c, region in zip(choices, done, strict=True):
                    r: Rect = c.rect
                    identical &= bool(
                        np.array_equal(read_exr(region.path), honest[r.y : r.y_end, r.x : r.x_end])
                    )
        patch_pixels = honest_m.verification.patch_count * honest_m.verification.patch_size**2
        report["cost"] = {
            "job_render_seconds_16_tiles": round(render_seconds, 2),
            "whole_frame_render_seconds": round(whole_seconds, 2),
            "verification_render_seconds": [round(s, 2) for s in verify_seconds],
            "verification_share_of_render": round(
                float(np.median(verify_seconds)) / render_seconds, 4
            ),
            "verified_pixel_share": round(patch_pixels / (WIDTH * HEIGHT), 4),
            "real_rerenders_identical_to_reference": identical,
        }
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
