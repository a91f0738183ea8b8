"""What an idle Blender child costs: `python -m bench.idle` prints a table, `--json` the figures.

For each thread count (`--threads`, default 1, 2 and 0 = every core) it starts a Blender child as
a worker does, opens the built-in tiny scene, renders a tile (so that Cycles' session and its
thread pool exist, as between a worker's requests), then measures the child's CPU time while it
waits `--seconds` s (3) for its next request: cores in use = CPU seconds / wall seconds. Each count
runs twice: with the child's thread pool capped before bpy starts (`tbb_threads`, what workers
do) and without the cap (the child as it was before), so the table shows what the cap saves.

Target: an idle child uses no CPU (under 0.02 cores) at every thread count.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import psutil

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.blender.tbb_threads import THREAD_LIMIT_ENV
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm_cli.scenes import build_builtin_scene


def _manifest() -> RenderManifest:
    return build_manifest(
        # Any CID: the child opens the file it is given, not the CID.
        scene_cid="bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
        frames=[1],
        resolution={"width": 64, "height": 48},
        tile_grid={"columns": 2, "rows": 2},
        samples=8,
        seed=7,
    )


def idle_cores(blend: Path, threads: int, capped: bool, seconds: float, out: Path) -> float:
    """Cores an idle child of `threads` threads keeps busy after one tile (CPU s / wall s)."""
    env = {} if capped else {THREAD_LIMIT_ENV: "0"}
    with BlenderChild(threads=threads, extra_env=env) as child:
        child.open(blend, _manifest())
        child.render_tiles(1, [0], out)
        assert child.pid is not None
        proc = psutil.Process(child.pid)
        before, start = sum(proc.cpu_times()[:2]), time.monotonic()
        time.sleep(seconds)
        busy: float = sum(proc.cpu_times()[:2]) - before
        return busy / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-idle-") as tmp:
        root = Path(tmp)
        blend = build_builtin_scene("tiny", root / "tiny.blend")
        rows = [
            {
                "threads": threads,
                "capped": capped,
                "idle_cores": round(
                    idle_cores(blend, threads, capped, args.seconds, root / f"{threads}-{capped}"),
                    3,
                ),
            }
            for threads in args.threads
            for capped in (True, False)
        ]
    if args.json:
        print(json.dumps({"seconds": args.seconds, "children": rows}, indent=2))
        return
    print(f"cores an idle Blender child uses over {args.seconds:g} s after rendering a tile")
    print(f"{'threads':>8} {'capped (workers)':>18} {'uncapped (before)':>18}")
    for threads in args.threads:
        by = {row["capped"]: row["idle_cores"] for row in rows if row["threads"] == threads}
        print(f"{threads or 'all':>8} {by[True]:>18.3f} {by[False]:>18.3f}")


if __name__ == "__main__":
    main()
