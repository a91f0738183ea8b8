"""Honest renders on other devices as the verifier's judge sees them, and what tolerance costs in
missed fraud: `python -m bench.crossdevice` prints a table, `--json` the figures as JSON.

What it renders. Two scenes under bench/fraud.py's manifest (640x480, 64 samples, a 4x4 grid,
seed 7): that benchmark's built-in `demo` scene, and `glass_volume` (tilefarm_cli/scenes: a glass
ball before a checkered wall, a smoky cube under a spot light, a block moving during the shutter
with motion blur on), where a device's kernels part ways soonest. Each is rendered whole, honestly:
- on every backend the machine has (`BlenderChild.list_devices()`, then a child with
  `devices=[backend]`; a GPU render that fell back to the CPU is reported, not used);
- on every CPU kernel Cycles can be forced to by its environment (`extra_env`). Cycles 5.0 reads
  one such variable, `CYCLES_CPU_NO_AVX2` (intern/cycles/util/debug.cpp: `CHECK_CPU_FLAGS(avx2,
  "CYCLES_CPU_NO_AVX2")`; device/cpu/kernel_function.h then picks AVX2 if allowed and the CPU has
  it, else SSE4.2, the x86-64 floor since Blender 4.2). Older Cycles also read `CYCLES_CPU_NO_AVX`,
  `_SSE41`, `_SSE3` and `_SSE2`, removed with their kernels in Blender 3 and 4; none reads `_SSE42`
  (5.0 keeps an sse42 flag that no variable sets). Each variable is checked here twice: whether its
  name is in Blender's binary at all (Cycles is linked into bpy's module: a `getenv` of a name it
  does not hold reads nothing), and by rendering. A variable that leaves every pixel bit for bit
  equal to the default kernel's is reported as "same kernel as CPU", not counted as a pair. The
  variables absent from the binary are rendered together, in one child per scene (separately only
  if that render differs): one render shows that none of them changes a pixel.
The report also gives the CPU's SIMD flags (/proc/cpuinfo) and any line of the children's output
about kernels or instruction sets. Cycles 5.0 logs its choice ("Using AVX2 CPU kernels.") at
INFO level only, which the bpy module does not print, so that list is usually empty; the kernel
named for each render is inferred from the flags and the selection rule above. On a machine
without some GPU backend, each pair it could not measure (every GPU backend class of
`tilefarm.hardware` with the CPU and with itself) is listed with the reason.

What it measures.
1. Per pair of measured renders of one scene (each unordered pair of distinct kernels and
   devices), over BENCH_CROSSDEVICE_TRIALS trials (default 400): each trial draws a fresh
   32-byte seed (numpy, from BENCH_CROSSDEVICE_SEED, default 11), selects patches exactly as the
   verifier does (`tilefarm.patches.select_patches`, all 16 tiles held by one worker: 48
   patches of 16x16) and judges each patch exactly as it does (`tilefarm.patch_judge.
   judge_patch`, through bench/fraud.py's `judge`). Reported: the worst patch PSNR, the largest
   channel difference, the largest share of a patch's pixels beyond each thresholds' pixel
   tolerance (1e-3 for the CPU pair, 0.038 for the envelope, 0.016 for Blender's), and the false
   positive rate under each thresholds: the share of trials in which some patch of the honest
   render failed.
2. The price of tolerance: bench/fraud.py's cheaters (`bench.fraud.Cheats`: blank, noise, a wrong
   seed, a quarter of the samples, half the resolution upscaled, another tile's pixels, and 10%
   of the frame in one block from a quarter-samples or a wrong-seed render), built on the
   scene's default-kernel CPU render, judged on the same trials' patches under each thresholds.
   A partial fake whose block passes the CPU pair's own judgement as a whole equals the honest
   pixels and is skipped, as in bench/fraud.py; the same jobs are then judged under every
   thresholds, so a fake the looser thresholds let through counts as missed.

The three thresholds (`tilefarm.envelope.Thresholds`, on tone-mapped x/(1+x) values):
- `cpu_pair`: the manifest's defaults, `VerificationParams()` (53 dB, max error 0.1, 10% of a
  patch beyond 1e-3), measured by bench/fraud.py for two CPU kernels;
- `cross_device`: `tilefarm.envelope.CROSS_DEVICE` (20 dB, max error 1.0, 10% beyond 0.038),
  what a pair with a GPU on either side is judged by;
- `blender_gpu_default`: Blender's own regression tests compare a GPU render with the CPU
  reference by `oiiotool --fail 0.016 --failpercent 1` (tests/python/modules/render_report.py):
  a pixel fails when a channel differs by more than 0.016, the test when more than 1% of the
  image's pixels fail, with no bound on how much they differ and no mean. Translated to one
  16x16 patch: pixel tolerance 0.016, `max_differing_fraction` 0.01 (2 of 256 pixels may fail,
  a third is 1.2%), max error 1.0 and PSNR 20 dB (the schema's floor: no guard). Two ways in
  which it is not the same test: Blender compares 8-bit display-referred PNGs (sRGB, which
  spreads dark values further than x/(1+x) does) and counts 1% of a whole image, where the judge
  counts per 16x16 patch, which is stricter for differences that cluster.

How long it takes here (2 shared cores, no GPU; 400 trials): the renders dominate, 6 per scene (the
default kernel, CYCLES_CPU_NO_AVX2, the unread variables together, then the wrong seed, a quarter
of the samples and half the resolution for the cheaters: 4.5 full frames' work), 30 to 45 s a full
frame on an idle machine, 52 to 83 s in the measured run; judging took 37 s (demo) and 74 s
(glass_volume). The measured run took 13 minutes of wall time under a load average of 5 to 6 (other
engineers' test suites), 7 min 51 s of CPU time in all. BENCH_CROSSDEVICE_CACHE (a folder) keeps
the .blend files and the renders so that a second run only judges (two builds of a scene do not
render identically, so the .blend is kept with them; delete the folder after changing a scene);
BENCH_CROSSDEVICE_SCENES picks the scenes (default `demo,glass_volume`) and
BENCH_CROSSDEVICE_TRIALS the trials.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import mmap
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.fraud import Cheats, cheat_manifests, judge, manifest
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.envelope import CROSS_DEVICE, Thresholds
from tilefarm.hardware import GPU_BACKENDS
from tilefarm.manifest import RenderManifest, VerificationParams
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.pixels import Pixels, read_exr, write_exr
from tilefarm_cli.scenes import build_builtin_scene

TRIALS = int(os.environ.get("BENCH_CROSSDEVICE_TRIALS", "400"))
SEED = int(os.environ.get("BENCH_CROSSDEVICE_SEED", "11"))
SCENES = tuple(
    s for s in os.environ.get("BENCH_CROSSDEVICE_SCENES", "demo,glass_volume").split(",")
)
CACHE = os.environ.get("BENCH_CROSSDEVICE_CACHE")

# Blender's `--fail 0.016 --failpercent 1` on one 16x16 patch (see the module's text).
BLENDER_GPU_DEFAULT = Thresholds(
    psnr_threshold_db=20.0, max_error=1.0, pixel_tolerance=0.016, max_differing_fraction=0.01
)
THRESHOLDS: dict[str, Thresholds] = {
    "cpu_pair": VerificationParams().limits(),
    "cross_device": CROSS_DEVICE,
    "blender_gpu_default": BLENDER_GPU_DEFAULT,
}
# Every variable some Cycles version read to force a CPU kernel (5.0 reads the first only).
KERNEL_VARIABLES = (
    "CYCLES_CPU_NO_AVX2",
    "CYCLES_CPU_NO_AVX",
    "CYCLES_CPU_NO_SSE42",
    "CYCLES_CPU_NO_SSE41",
    "CYCLES_CPU_NO_SSE3",
    "CYCLES_CPU_NO_SSE2",
)
SIMD_FLAG = re.compile(r"^(sse\w*|ssse3|avx\w*|fma|f16c|bmi\d)$")
KERNEL_LINE = re.compile(r"kernel|instruction set|\bavx|\bsse", re.IGNORECASE)
CPU = "CPU"


# ---- the statistics (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class PairFigures:
    """How two honest renders of one manifest compare under the verifier's patch checks."""

    trials: int
    worst_patch_psnr_db: float
    largest_error: float
    # By thresholds' name: the largest share of a patch's pixels beyond its pixel tolerance,
    # and the share of trials in which the judge failed an honest render.
    largest_differing_fraction: dict[str, float]
    false_positive_rate: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        worst = self.worst_patch_psnr_db
        return {
            "trials": self.trials,
            "worst_patch_psnr_db": "inf" if math.isinf(worst) else round(worst, 1),
            "largest_error": round(self.largest_error, 4),
            "largest_differing_fraction": {
                k: round(v, 4) for k, v in self.largest_differing_fraction.items()
            },
            "false_positive_rate": {k: round(v, 4) for k, v in self.false_positive_rate.items()},
        }


def choose_patches(seeds: Sequence[bytes], m: RenderManifest) -> list[list[PatchChoice]]:
    """Each trial's patches, as the verifier chooses them for one worker holding every tile."""
    tiles = list(range(m.tile_count))
    return [select_patches(seed, m, tiles) for seed in seeds]


def compare_honest(
    a: Pixels,
    b: Pixels,
    m: RenderManifest,
    trials: Sequence[list[PatchChoice]],
    judged_by: Mapping[str, Thresholds],
) -> PairFigures:
    """Judge `b`'s patches against `a`'s (the figures are symmetric) in every trial, under each
    of `judged_by`'s thresholds."""
    if not trials:
        raise ValueError("compare_honest needs at least one trial")
    worst, largest = math.inf, 0.0
    differing = dict.fromkeys(judged_by, 0.0)
    failed = dict.fromkeys(judged_by, 0)
    for choices in trials:
        for name, limits in judged_by.items():
            j = judge(a, b, choices, m, thresholds=limits)
            worst, largest = min(worst, j.worst_psnr), max(largest, j.largest_error)
            differing[name] = max(differing[name], j.largest_differing)
            failed[name] += j.caught
    return PairFigures(
        trials=len(trials),
        worst_patch_psnr_db=worst,
        largest_error=largest,
        largest_differing_fraction=differing,
        false_positive_rate={k: v / len(trials) for k, v in failed.items()},
    )


def detect(
    cheats: Cheats,
    reference: Pixels,
    m: RenderManifest,
    trials: Sequence[list[PatchChoice]],
    judged_by: Mapping[str, Thresholds],
) -> dict[str, Any]:
    """Each cheater's detection rate under each thresholds, the same jobs judged by all."""
    report: dict[str, Any] = {}
    for name, make in cheats.strategies.items():
        cheats.blocks.clear()
        jobs = 0
        caught = dict.fromkeys(judged_by, 0)
        missed_on_fake = dict.fromkeys(judged_by, 0)
        for i, choices in enumerate(trials):
            committed = make(i)
            if committed is None:
                continue
            jobs += 1
            for tname, limits in judged_by.items():
                j = judge(reference, committed, choices, m, cheats.blocks.get(i), limits)
                caught[tname] += j.caught
                missed_on_fake[tname] += not j.caught and j.patch_on_fake
        entry: dict[str, Any] = {
            "jobs": jobs,
            "detection_rate": {k: round(v / jobs, 4) if jobs else None for k, v in caught.items()},
        }
        if cheats.blocks:
            entry["fakes_equal_to_honest_skipped"] = len(trials) - jobs
            entry["missed_with_a_patch_on_the_fake"] = missed_on_fake
        report[name] = entry
    return report


# ---- the machine and its renders --------------------------------------------------------------


@dataclass
class Render:
    """One honest whole-frame render of a scene."""

    label: str
    backend: str
    env: dict[str, str]
    pixels: Pixels
    device: str = ""
    seconds: float | None = None  # None: read from the cache
    warnings: list[str] = field(default_factory=list)
    kernel_lines: list[str] = field(default_factory=list)


def cpu_flags() -> tuple[str, list[str]]:
    """The CPU's model name and SIMD flags, from /proc/cpuinfo ("" and [] where unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "", []
    first = text.split("\n\n", 1)[0]  # every core lists the same; the first will do
    fields = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in first.splitlines())}
    model, flags = fields.get("model name", ""), fields.get("flags", "").split()
    return model, [f for f in flags if SIMD_FLAG.match(f)]


def inferred_kernel(flags: Sequence[str], env: Mapping[str, str]) -> str:
    """The CPU kernel Cycles 5.0 picks (device/cpu/kernel_function.h), from the CPU's flags."""
    if "CYCLES_CPU_NO_AVX2" not in env and {"avx2", "fma", "bmi1", "bmi2"} <= set(flags):
        return "AVX2"
    return "SSE4.2"


def names_in_blender(names: Sequence[str]) -> dict[str, bool]:
    """Whether each name occurs in bpy's binary, into which Cycles is linked: a variable Cycles
    reads with getenv has its name there."""
    spec = importlib.util.find_spec("bpy")  # finds the module without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("bpy is not installed: run `make setup`")
    with open(spec.origin, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return {n: data.find(n.encode() + b"\0") >= 0 for n in names}


def _cache_path(scene: str, label: str, m: RenderManifest) -> Path | None:
    if not CACHE:
        return None
    res = m.resolution
    safe = re.sub(r"[^A-Za-z0-9_.=-]+", "_", label)
    return Path(CACHE) / f"{scene}-{safe}-seed{m.seed}-s{m.samples}-{res.width}x{res.height}.exr"


def render(
    blend: Path,
    scene: str,
    m: RenderManifest,
    out: Path,
    *,
    backend: str = CPU,
    env: dict[str, str] | None = None,
    label: str = CPU,
) -> Render:
    """The whole frame on `backend` with `env` in the child's environment (cached if asked)."""
    env = dict(env or {})
    key = _cache_path(scene, label, m)
    if key is not None and key.exists():
        return Render(label=label, backend=backend, env=env, pixels=read_exr(key))
    with BlenderChild(devices=[backend], extra_env=env) as child:
        child.open(blend, m)
        start = time.monotonic()
        region = child.render_frame(m.frames[0], out / re.sub(r"\W+", "_", label))
        seconds = time.monotonic() - start
        pixels = read_exr(region.path)
        lines = [ln for ln in child.stderr_tail(60).splitlines() if KERNEL_LINE.search(ln)]
        done = Render(
            label=label,
            backend=region.rendered_on.backend,
            env=env,
            pixels=pixels,
            device=region.rendered_on.device,
            seconds=seconds,
            warnings=list(child.warnings),
            kernel_lines=lines,
        )
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        write_exr(key, pixels)
    return done


def list_devices() -> list[tuple[str, str]]:
    """(backend, device name) of every device Cycles sees here."""
    with BlenderChild() as child:
        return [(d.type, d.name) for d in child.list_devices()]


@dataclass
class SceneRenders:
    """A scene's measured renders (distinct kernels and devices) and its kernel checks."""

    measured: list[Render]
    kernels: dict[str, str]  # variable -> "real: ..." or "same kernel as CPU ..."
    failed: list[dict[str, Any]]  # renders asked for and not usable, with the reason
    notes: list[Render]  # every render made, for the report


def render_scene(
    blend: Path,
    scene: str,
    m: RenderManifest,
    out: Path,
    gpus: Sequence[str],
    read: Mapping[str, bool],
) -> SceneRenders:
    """The scene's default CPU render, each CPU kernel variant and each GPU backend's render."""
    base = render(blend, scene, m, out)
    measured, failed, made = [base], [], [base]
    kernels: dict[str, str] = {}
    unread = [v for v in KERNEL_VARIABLES if not read[v]]
    groups = [[v] for v in KERNEL_VARIABLES if read[v]] + ([unread] if unread else [])
    while groups:
        group = groups.pop(0)
        env = dict.fromkeys(group, "1")
        label = "CPU " + " ".join(f"{v}=1" for v in group)
        variant = render(blend, scene, m, out, env=env, label=label)
        made.append(variant)
        if np.array_equal(variant.pixels, base.pixels):
            for v in group:
                kernels[v] = "same kernel as CPU (every pixel bit for bit equal)"
        elif len(group) > 1:  # one of them changed something: find out which, one at a time
            groups.extend([v] for v in group)
        else:
            measured.append(variant)
            kernels[group[0]] = "real: its pixels differ from the default kernel's"
    for gpu in gpus:
        r = render(blend, scene, m, out, backend=gpu, label=gpu)
        made.append(r)
        if r.backend != gpu:
            failed.append({"backend": gpu, "reason": "; ".join(r.warnings) or "fell back"})
        else:
            measured.append(r)
    return SceneRenders(measured=measured, kernels=kernels, failed=failed, notes=made)


def unmeasured_gpu_pairs(devices: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The pairs with a GPU this machine could not measure, each with the reason."""
    seen = ", ".join(sorted({f"{b} ({n})" for b, n in devices})) or "nothing"
    count = {b: sum(1 for t, _ in devices if t == b) for b in GPU_BACKENDS}
    pairs: list[dict[str, Any]] = []
    for b in GPU_BACKENDS:
        if not count[b]:
            reason = f"no {b} device on this machine (Cycles lists {seen})"
            pairs.append({"pair": [b, CPU], "reason": reason})
            pairs.append({"pair": [b, b], "reason": reason})
        elif count[b] == 1:
            pairs.append({"pair": [b, b], "reason": f"one {b} device here: the pair needs two"})
    return pairs


# ---- the run ----------------------------------------------------------------------------------


def run() -> dict[str, Any]:
    started = time.monotonic()
    rng = np.random.default_rng(SEED)
    m = manifest()
    seeds = [rng.bytes(32) for _ in range(TRIALS)]
    trials = choose_patches(seeds, m)
    model, flags = cpu_flags()
    devices = list_devices()
    gpus = [b for b in GPU_BACKENDS if any(t == b for t, _ in devices)]
    read = names_in_blender(KERNEL_VARIABLES)
    report: dict[str, Any] = {
        "trials": TRIALS,
        "rng_seed": SEED,
        "manifest": {
            "width": m.resolution.width,
            "height": m.resolution.height,
            "samples": m.samples,
            "grid": "4x4",
            "seed": m.seed,
            "patches": m.verification.patch_count,
            "patch_size": m.verification.patch_size,
        },
        "thresholds": {k: v.model_dump() for k, v in THRESHOLDS.items()},
        "machine": {
            "cpu": model,
            "cpu_simd_flags": flags,
            "cores": os.cpu_count(),
            "devices": [{"backend": b, "name": n} for b, n in devices],
        },
        "default_cpu_kernel": inferred_kernel(flags, {}),
        "cpu_kernel_variables": {},
        "scenes": {},
        "unmeasured_gpu_pairs": unmeasured_gpu_pairs(devices),
    }
    kernel_lines: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for scene in SCENES:
            blend = (Path(CACHE) if CACHE else tmp) / f"{scene}.blend"
            if not blend.exists():
                blend.parent.mkdir(parents=True, exist_ok=True)
                build_builtin_scene(scene, blend)
            renders = render_scene(blend, scene, m, tmp / scene, gpus, read)
            for r in renders.notes:
                kernel_lines.update(r.kernel_lines)
            for variable, verdict in renders.kernels.items():
                entry = report["cpu_kernel_variables"].setdefault(
                    variable, {"named_in_blenders_binary": read[variable], "by_scene": {}}
                )
                entry["by_scene"][scene] = verdict
            honest = renders.measured[0].pixels
            sources = {
                name: render(blend, scene, cm, tmp / scene, label=f"CPU cheat {name}").pixels
                for name, cm in cheat_manifests().items()
            }
            judging = time.monotonic()
            pairs = {}
            for a, b in itertools.combinations(renders.measured, 2):
                figures = compare_honest(a.pixels, b.pixels, m, trials, THRESHOLDS)
                pairs[f"{_name(a, flags)} vs {_name(b, flags)}"] = figures.as_json()
            cheat_rng = np.random.default_rng([SEED, 1])
            cheats = Cheats(honest, sources, m, THRESHOLDS["cpu_pair"], cheat_rng)
            detection = detect(cheats, honest, m, trials, THRESHOLDS)
            judging_seconds = time.monotonic() - judging
            report["scenes"][scene] = {
                "renders": [
                    {
                        "render": _name(r, flags),
                        "backend": r.backend,
                        "device": r.device,
                        "env": r.env,
                        "seconds": None if r.seconds is None else round(r.seconds, 1),
                        "warnings": r.warnings,
                    }
                    for r in renders.notes
                ],
                "failed_renders": renders.failed,
                "pairs": pairs,
                "cheats": detection,
                "judging_seconds": round(judging_seconds, 1),
            }
    report["cycles_kernel_messages"] = sorted(kernel_lines)
    report["load_average_1min"] = round(psutil.getloadavg()[0], 2)
    report["run_seconds"] = round(time.monotonic() - started, 1)
    return report


def _name(r: Render, flags: Sequence[str]) -> str:
    if r.backend != CPU:
        return f"{r.backend} ({r.device})" if r.device else r.backend
    kernel = inferred_kernel(flags, r.env)
    if len(r.env) <= 1:
        return f"CPU {kernel}" + "".join(f" ({k}=1)" for k in r.env)
    prefix = "CYCLES_CPU_NO_" if all(k.startswith("CYCLES_CPU_NO_") for k in r.env) else ""
    return f"CPU {kernel} ({prefix}{{{','.join(k[len(prefix) :] for k in r.env)}}}=1)"


def table(report: dict[str, Any]) -> str:
    """The report as text tables."""
    out: list[str] = []
    mach = report["machine"]
    out.append(
        f"CPU: {mach['cpu']} ({mach['cores']} cores); SIMD: {' '.join(mach['cpu_simd_flags'])}"
    )
    out.append(
        "Devices Cycles sees: "
        + ", ".join(f"{d['backend']} ({d['name']})" for d in mach["devices"])
    )
    out.append(
        f"Trials: {report['trials']} (seed {report['rng_seed']}); run {report['run_seconds']} s"
    )
    out.append("")
    out.append("CPU kernel variables:")
    for var, e in report["cpu_kernel_variables"].items():
        verdicts = "; ".join(f"{s}: {v}" for s, v in e["by_scene"].items())
        named = "named" if e["named_in_blenders_binary"] else "not named"
        out.append(f"  {var:22} {named} in Blender's binary; {verdicts}")
    msgs = report["cycles_kernel_messages"]
    out.append("Cycles' messages about kernels: " + ("; ".join(msgs) if msgs else "none"))
    names = list(report["thresholds"])
    for scene, s in report["scenes"].items():
        out.append("")
        out.append(f"== {scene}")
        for r in s["renders"]:
            took = "cached" if r["seconds"] is None else f"{r['seconds']} s"
            out.append(f"  render {r['render']:58} {r['device']:28} {took}")
        for f in s["failed_renders"]:
            out.append(f"  not measured: {f['backend']}: {f['reason']}")
        out.append(
            "  honest pairs: worst PSNR, largest error; per thresholds "
            "(largest differing fraction / false positive rate)"
        )
        out.append(
            f"  {'pair':58} {'PSNR':>6} {'error':>7}  " + "  ".join(f"{n:>21}" for n in names)
        )
        for pair, p in s["pairs"].items():
            cells = "  ".join(
                f"{p['largest_differing_fraction'][n]:>10.4f} / {p['false_positive_rate'][n]:>8.4f}"
                for n in names
            )
            out.append(
                f"  {pair:58} {p['worst_patch_psnr_db']!s:>6} {p['largest_error']:>7.4f}  {cells}"
            )
        out.append("  cheats: detection rate per thresholds")
        out.append(f"  {'cheat':40} {'jobs':>5}  " + "  ".join(f"{n:>20}" for n in names))
        for cheat, c in s["cheats"].items():
            rates = "  ".join(f"{c['detection_rate'][n]!s:>20}" for n in names)
            out.append(f"  {cheat:40} {c['jobs']:>5}  {rates}")
    out.append("")
    out.append("GPU pairs not measured here:")
    for p in report["unmeasured_gpu_pairs"]:
        out.append(f"  {p['pair'][0]}-{p['pair'][1]}: {p['reason']}")
    return "\n".join(out)


def main(argv: Sequence[str]) -> None:
    report = run()
    print(json.dumps(report, indent=2) if "--json" in argv else table(report))


if __name__ == "__main__":
    main(sys.argv[1:])
