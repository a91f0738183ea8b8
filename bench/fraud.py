"""Cheaters against the real verifier: `python -m bench.fraud` prints JSON.

One job of the built-in demo scene (640x480, 64 samples, a 4x4 grid, the manifest's default
verification parameters: patch size and count, PSNR threshold, max-error guard, pixel tolerance
and the share of pixels allowed beyond it) is rendered
honestly, honestly on another CPU kernel (CYCLES_CPU_NO_AVX2=1), and by cheaters: blank tiles,
noise, a wrong seed, a quarter of the samples, half the resolution upscaled, every tile holding
another tile's pixels, and honest pixels with 10% of the area (one contiguous block at a random
place each trial) taken from a render with a quarter of the samples (the cheat that saves
compute) or from a wrong-seed render (which saves nothing). A block whose fake passes the
verifier's own patch judgement as a whole equals the honest pixels (the sky is the same whatever
the seed), so nothing was faked; those trials are counted apart, not as misses. For the misses
that remain, the report says whether a patch lay on the faked block (it then passed: those
pixels do not differ from the honest ones) or none did.

Each trial draws a fresh 32-byte seed, selects patches exactly as the verifier does
(`tilefarm.patches.select_patches`) and judges each patch exactly as it does
(`tilefarm.patch_judge.judge_patch`). The trials' random numbers come from BENCH_FRAUD_SEED
(default 6; the thresholds were chosen on other seeds). The verifier's
re-render of a patch is a border render of the honest manifest; the facts measured here (and
`tests/blender`) show it is bit-identical to the same pixels of the honest whole-frame render, so
trials take those pixels — and the benchmark re-renders the patches of a few trials for real and
checks they are identical. The cost is measured, not estimated: the Blender child's CPU seconds
(user + system) of one real verification's patch renders against those of rendering all the
job's tiles, in the same long-lived child (median over several of each); wall seconds are
reported too but mean little on a shared, loaded machine.
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
import psutil

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.envelope import Thresholds
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.patch_judge import judge_patch
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.pixels import Pixels, read_exr, write_exr
from tilefarm.tiles import Rect
from tilefarm_cli.scenes import build_builtin_scene

WIDTH, HEIGHT, SAMPLES, GRID = 640, 480, 64, 4
TRIALS = int(os.environ.get("BENCH_FRAUD_TRIALS", "400"))
SEED = int(os.environ.get("BENCH_FRAUD_SEED", "6"))
TILE_ROUNDS, VERIFY_ROUNDS = 2, 5
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


class Judged:
    """One verification of a committed frame: caught or not, and its extreme figures."""

    def __init__(self) -> None:
        self.caught = False
        self.patch_on_fake = False
        self.worst_psnr = math.inf
        self.largest_error = 0.0
        self.largest_differing = 0.0


def judge(
    reference: Pixels,
    committed: Pixels,
    choices: list[PatchChoice],
    m: RenderManifest,
    faked: Rect | None = None,
    thresholds: Thresholds | None = None,
) -> Judged:
    """Judge every chosen patch of `committed` against the honest `reference`, by `thresholds`
    (default: the manifest's own, the CPU pair's)."""
    out = Judged()
    limits = m.verification if thresholds is None else thresholds
    for c in choices:
        r = c.rect
        j = judge_patch(
            reference[r.y : r.y_end, r.x : r.x_end], committed[r.y : r.y_end, r.x : r.x_end],
            limits,
        )  # fmt: skip
        out.worst_psnr = min(out.worst_psnr, j.psnr_db)
        out.largest_error = max(out.largest_error, j.max_error)
        out.largest_differing = max(out.largest_differing, j.differing_fraction)
        out.caught |= not j.passed
        if faked is not None and _overlaps(r, faked):
            out.patch_on_fake = True
    return out


def cheat_manifests() -> dict[str, RenderManifest]:
    """The manifests whose honest renders the cheaters take their pixels from."""
    return {
        "wrong_seed": manifest(seed=8),
        "fewer_samples": manifest(samples=SAMPLES // 4),
        "half_resolution": manifest(resolution={"width": WIDTH // 2, "height": HEIGHT // 2}),
    }


class Cheats:
    """The cheaters of one honest frame: `strategies` maps a cheat's name to a function of the
    trial's index that returns the frame it commits (None when its fake equals the honest pixels
    by `params`' judgement, counted in `harmless`). The random draws (noise, the faked block's
    place, recorded in `blocks` by trial) come from `rng`, in the order the functions are
    called."""

    def __init__(
        self,
        honest: Pixels,
        sources: dict[str, Pixels],
        m: RenderManifest,
        params: Thresholds,
        rng: np.random.Generator,
    ) -> None:
        self.honest, self.params, self.rng = honest, params, rng
        self.harmless: dict[str, int] = {}
        self.blocks: dict[int, Rect] = {}
        half = sources["half_resolution"]
        upscaled = np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)
        rects = m.tiles()
        copied = honest.copy()
        for i, rect in enumerate(rects):  # every tile carries the next tile's pixels
            src = rects[(i + 1) % len(rects)]
            copied[rect.y : rect.y_end, rect.x : rect.x_end] = honest[
                src.y : src.y_end, src.x : src.x_end
            ]
        wrong_seed, fewer = sources["wrong_seed"], sources["fewer_samples"]
        self.strategies: dict[str, Callable[[int], Pixels | None]] = {
            "blank": lambda _: np.zeros_like(honest),
            "noise": lambda _: rng.random(honest.shape, dtype=np.float32),
            "wrong_seed": lambda _: wrong_seed,
            "fewer_samples_16_of_64": lambda _: fewer,
            "half_resolution_upscaled": lambda _: upscaled,
            "another_tiles_pixels": lambda _: copied,
            "honest_with_10pct_at_quarter_samples": self._partial("quarter", fewer),
            "honest_with_10pct_from_wrong_seed": self._partial("seed", wrong_seed),
        }

    def _partial(self, name: str, source: Pixels) -> Callable[[int], Pixels | None]:
        honest, rng = self.honest, self.rng
        height, width = honest.shape[:2]

        def make(trial: int) -> Pixels | None:
            faked = honest.copy()
            h = height // 4
            w = round(0.10 * width * height / h)
            x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
            faked[y : y + h, x : x + w] = source[y : y + h, x : x + w]
            self.blocks[trial] = Rect(x=x, y=y, width=w, height=h)
            block = judge_patch(
                honest[y : y + h, x : x + w], faked[y : y + h, x : x + w], self.params
            )
            if block.passed:
                self.harmless[name] = self.harmless.get(name, 0) + 1
                return None  # the "fake" equals the honest pixels: nothing to catch
            return faked

        return make


def _overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.x_end and b.x < a.x_end and a.y < b.y_end and b.y < a.y_end


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the sandbox may wrap it)."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        times = p.cpu_times()
        total += times.user + times.system
    return total


def main() -> None:
    rng = np.random.default_rng(SEED)
    honest_m = manifest()
    params = honest_m.verification
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
        honest = render_whole(blend, honest_m, tmp / "honest")
        other_kernel = render_whole(blend, honest_m, tmp / "sse", {"CYCLES_CPU_NO_AVX2": "1"})
        sources = {
            name: render_whole(blend, m, tmp / name) for name, m in cheat_manifests().items()
        }
        cheats = Cheats(honest, sources, honest_m, params, rng)
        strategies, harmless, blocks = cheats.strategies, cheats.harmless, cheats.blocks
        report: dict[str, Any] = {
            "trials": TRIALS,
            "rng_seed": SEED,
            "verification": params.model_dump(),
            "cheaters": {},
            "honest": {},
        }
        seeds = [rng.bytes(32) for _ in range(TRIALS)]
        for name, make in strategies.items():
            results: list[Judged] = []
            blocks.clear()
            for i in range(TRIALS):
                committed = make(i)
                if committed is not None:
                    choices = select_patches(seeds[i], honest_m, tiles)
                    results.append(judge(honest, committed, choices, honest_m, blocks.get(i)))
            entry: dict[str, Any] = {
                "jobs": len(results),
                "detection_rate": sum(r.caught for r in results) / len(results),
                "median_worst_patch_psnr_db": round(
                    float(np.median([r.worst_psnr for r in results])), 1
                ),
                "median_largest_error": round(
                    float(np.median([r.largest_error for r in results])), 4
                ),
                "median_largest_differing_fraction": round(
                    float(np.median([r.largest_differing for r in results])), 3
                ),
            }
            if blocks:
                missed = [r for r in results if not r.caught]
                entry["missed_with_a_patch_on_the_fake"] = sum(r.patch_on_fake for r in missed)
                entry["missed_with_no_patch_on_the_fake"] = sum(not r.patch_on_fake for r in missed)
            report["cheaters"][name] = entry
        for name, key in (("quarter", "honest_with_10pct_at_quarter_samples"),
                          ("seed", "honest_with_10pct_from_wrong_seed")):  # fmt: skip
            report["cheaters"][key]["fakes_equal_to_honest_skipped"] = harmless.get(name, 0)
        for name, frame in (("same_kernel", honest), ("other_cpu_kernel_no_avx2", other_kernel)):
            results = [
                judge(honest, frame, select_patches(seeds[i], honest_m, tiles), honest_m)
                for i in range(TRIALS)
            ]
            worst = min(r.worst_psnr for r in results)
            report["honest"][name] = {
                "false_positive_rate": sum(r.caught for r in results) / TRIALS,
                "worst_patch_psnr_db": "inf" if math.isinf(worst) else round(worst, 1),
                "largest_error": round(max(r.largest_error for r in results), 4),
                "largest_differing_fraction": round(max(r.largest_differing for r in results), 4),
            }
        report["cost"] = measure_cost(blend, honest_m, honest, seeds, tmp)
        print(json.dumps(report, indent=2))


def measure_cost(
    blend: Path, m: RenderManifest, honest: Pixels, seeds: list[bytes], tmp: Path
) -> dict[str, Any]:
    """Render the job's tiles, then several verifications' patches, in one child: CPU and wall
    seconds of each, and whether the real patch renders equal the honest frame's pixels."""
    tiles = list(range(m.tile_count))
    render_cpu, render_wall, verify_cpu, verify_wall = [], [], [], []
    identical = True
    with BlenderChild() as child:
        child.open(blend, m)
        assert child.pid is not None
        for i in range(TILE_ROUNDS):
            cpu, wall = _cpu_seconds(child.pid), time.monotonic()
            child.render_tiles(1, None, tmp / f"tiles{i}")
            render_cpu.append(_cpu_seconds(child.pid) - cpu)
            render_wall.append(time.monotonic() - wall)
        for i in range(VERIFY_ROUNDS):
            choices = select_patches(seeds[i], m, tiles)
            cpu, wall = _cpu_seconds(child.pid), time.monotonic()
            done = child.render_regions(
                1, [(f"p{j}", c.rect) for j, c in enumerate(choices)], tmp / f"v{i}"
            )
            verify_cpu.append(_cpu_seconds(child.pid) - cpu)
            verify_wall.append(time.monotonic() - wall)
            for c, region in zip(choices, done, strict=True):
                r: Rect = c.rect
                identical &= bool(
                    np.array_equal(read_exr(region.path), honest[r.y : r.y_end, r.x : r.x_end])
                )
    params = m.verification
    patch_pixels = params.patch_count * params.patch_size**2

    def med(values: list[float]) -> float:
        return float(np.median(values))

    return {
        "job_render_child_cpu_seconds_16_tiles": [round(s, 2) for s in render_cpu],
        "verification_child_cpu_seconds": [round(s, 3) for s in verify_cpu],
        "verification_share_of_render_cpu": round(med(verify_cpu) / med(render_cpu), 4),
        "job_render_wall_seconds_16_tiles": [round(s, 2) for s in render_wall],
        "verification_wall_seconds": [round(s, 3) for s in verify_wall],
        "verification_share_of_render_wall": round(med(verify_wall) / med(render_wall), 4),
        "verified_pixel_share": round(patch_pixels / (WIDTH * HEIGHT), 4),
        "load_average_1min": round(psutil.getloadavg()[0], 2),
        "real_rerenders_identical_to_reference": identical,
    }


if __name__ == "__main__":
    main()
