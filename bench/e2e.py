"""The demo's job through the whole marketplace vs plain Blender: `python -m bench.e2e` prints JSON.

Marketplace: exactly what `tilefarm demo` runs (tilefarm_cli/demo): anvil, Kubo, `tilefarm serve`
and three `render-worker` processes, the showcase scene's frames 1, 12 and 24 at 960x540, 64
samples, 3x2 tiles a frame (about a minute of plain rendering on two cores), posted through the API
and followed until the server has assembled every frame. Its time is from `postJob` to the last
frame stored by the server (its clock): sealed bids, reveals, settlement, rendering, commitments,
spot-check verification, payment and assembly. `--width 480 --height 270
--samples 32` is the smaller job `make demo` used to post (its fixed protocol latency of about
8 s is most of its time).

Plain Blender: the same frames of the same .blend with the same samples, seed and threads, one
Blender process per frame, as many processes as workers, all at once; its time is from starting
the processes to the last frame written (process start and scene load included, as for workers).

Also: gas per tile (receipts of every transaction of the job), and the verification share: the
verifiers' patch re-render seconds (from the evidence each published on IPFS) against the workers'
tile render seconds (their metrics), and the wall time from each verifier draw to its verdict;
and the CPU seconds each part of the stack spent from posting to the frames (`bench/cpu.py`).
Figures on a loaded machine are noisy; the JSON says how loaded it was (load average), and
`--rounds N` runs both sides N times and takes the median ratio.

`--kill-worker N` measures what a dead worker costs instead: the same job twice on the
marketplace (no plain Blender run), once as it is and once with worker N SIGKILLed right after it
won tiles and never restarted (`tilefarm demo --kill-worker N`), both with the render and verify
windows the demo uses for that (180 s and 120 s): its tiles go back on the market after the
render deadline and another worker renders them in a later round. It prints both times, how much
longer the job took with the kill, the rounds it needed and whether every frame came out whole.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench import cpu
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_file
from tilefarm.manifest import build_manifest
from tilefarm.tiles import Rect
from tilefarm_cli.demo import DemoOptions, DemoRun
from tilefarm_cli.devnet.ports import free_port


def marketplace(options: DemoOptions) -> dict[str, Any]:
    """Run the demo's job; return its summary, what the workers and verifiers measured, and the
    CPU seconds of every process from posting the job to downloading its frames."""
    cpu_marks: list[cpu.Snapshot] = []

    def on_step(message: str) -> None:
        if message.startswith(("posting the job", "downloading the frames")):
            cpu_marks.append(cpu.snapshot())

    with DemoRun(options, on_step=on_step) as run:
        summary = run.run()
        detail = run.api.get(f"/api/jobs/{summary.job_id}").json()
        metrics = {w.address: w.metrics(run.local_http) or {} for w in run.workers}
        # The evidence is on the server's node (the demo gives each party its own).
        assert run.nodes is not None
        with KuboClient(run.nodes.server.api_url) as ipfs:
            evidence = [
                json.loads(ipfs.cat(e["args"]["evidence_cid"]))
                for e in detail["events"]
                if e["name"] == "ResultsAttested"
            ]
        blend = options.state_dir / "artist" / f"{options.scene}.blend"
        blend_copy = options.out_dir / blend.name
        blend_copy.parent.mkdir(parents=True, exist_ok=True)
        blend_copy.write_bytes(blend.read_bytes())
    drawn = {e["args"]["worker"]: e["timestamp"] for e in detail["events"]
             if e["name"] == "VerifierDrawn"}  # fmt: skip
    verify_wall = [
        e["timestamp"] - drawn[e["args"]["worker"]]
        for e in detail["events"]
        if e["name"] == "ResultsAttested" and e["args"]["worker"] in drawn
    ]
    tile_seconds = sum(
        m.get("tilefarm_worker_tile_render_seconds_sum", 0.0) for m in metrics.values()
    )
    # An evidence bundle lists each re-rendered patch with its render time.
    patch_seconds = sum(
        float(p.get("seconds", 0.0)) for e in evidence for p in e.get("patches", [])
    )
    return {
        "summary": summary,
        "blend": blend_copy,
        "tile_render_seconds": round(tile_seconds, 2),
        "patch_render_seconds": round(patch_seconds, 2),
        "patches_checked": sum(len(e.get("patches", [])) for e in evidence),
        "verify_wall_seconds_per_seat": verify_wall,
        "cpu_seconds_during_job": cpu.spent(*cpu_marks),
    }


def plain_blender(blend: Path, options: DemoOptions) -> dict[str, Any]:
    """Each frame rendered whole by its own Blender process, `options.workers` at a time."""
    manifest = build_manifest(
        scene_cid=cid_of_file(blend), frames=options.frames,
        resolution={"width": options.width, "height": options.height},
        tile_grid={"columns": 1, "rows": 1}, samples=options.samples, seed=options.seed,
    )  # fmt: skip
    whole = Rect(x=0, y=0, width=options.width, height=options.height)
    frames = list(options.frames)
    lock = threading.Lock()
    render_seconds: list[float] = []
    cpu_seconds: list[float] = []
    failures: list[BaseException] = []

    def process(out: Path) -> None:
        try:
            with BlenderChild(threads=options.worker_threads) as child:
                child.open(blend, manifest)
                while True:
                    with lock:
                        if not frames:
                            break
                        frame = frames.pop(0)
                    (region,) = child.render_regions(frame, [(f"frame-{frame:04d}", whole)], out)
                    render_seconds.append(region.seconds)
                assert child.pid is not None
                times = psutil.Process(child.pid).cpu_times()
                cpu_seconds.append(times.user + times.system)
        except BaseException as exc:  # reported after the others finish
            failures.append(exc)

    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-e2e-") as tmp:
        start = time.monotonic()
        threads = [
            threading.Thread(target=process, args=(Path(tmp) / str(i),))
            for i in range(options.workers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - start
    if failures:
        raise failures[0]
    return {
        "seconds": round(seconds, 2),
        "processes": options.workers,
        "render_seconds": round(sum(render_seconds), 2),
        "blender_cpu_seconds": round(sum(cpu_seconds), 2),
    }


def kill_comparison(options: DemoOptions, number: int) -> dict[str, Any]:
    """The job with and without worker `number` killed: how much longer the kill made it."""
    windows = {"render_window": 180, "verify_window": 120}
    plain = marketplace(options.model_copy(update=windows))["summary"]
    killed = marketplace(options.model_copy(update={**windows, "kill_worker": number}))["summary"]

    def seconds(summary: Any) -> float:
        marks = summary.seconds_from_post
        return float(marks.get("all_frames_assembled") or marks["job_completed"])

    without, with_kill = seconds(plain), seconds(killed)
    return {
        "killed_worker": number,
        "killed_after_seconds": killed.killed_worker.after_seconds,
        "seconds_without_kill": without,
        "seconds_with_kill": with_kill,
        "extra_seconds": round(with_kill - without, 2),
        "extra_ratio": round(with_kill / without, 3),
        "rounds_with_kill": killed.rounds,
        "frames_complete_with_kill": killed.frames_complete,
        "frames_complete_without_kill": plain.frames_complete,
        "tiles_by_round_with_kill": {
            str(r): sum(1 for t in killed.tiles_by_round if t.round == r)
            for r in range(killed.rounds + 1)
        },
        "windows": windows,
    }


def _options(args: argparse.Namespace, root: Path) -> DemoOptions:
    """The demo's options from the command line, with a fresh state under `root` and free ports."""
    columns, rows = (int(x) for x in args.grid.split("x"))
    return DemoOptions(
        frames=[int(f) for f in args.frames.split(",")], columns=columns, rows=rows,
        width=args.width, height=args.height, samples=args.samples,
        block_seconds=args.block_seconds, poll_seconds=args.poll_seconds,
        bid_window=args.bid_window, reveal_window=args.reveal_window,
        state_dir=root / "demo", out_dir=root / "out", worker_threads=args.threads,
        server_port=free_port(), chain_port=free_port(), ipfs_api_port=free_port(),
        ipfs_gateway_port=free_port(),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = DemoOptions()
    parser.add_argument("--samples", type=int, default=defaults.samples)
    parser.add_argument(
        "--grid", default=f"{defaults.columns}x{defaults.rows}", help="tiles a frame, CxR"
    )
    parser.add_argument("--frames", default=",".join(map(str, defaults.frames)))
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--height", type=int, default=defaults.height)
    parser.add_argument("--block-seconds", type=float, default=defaults.block_seconds)
    parser.add_argument("--poll-seconds", type=float, default=defaults.poll_seconds)
    parser.add_argument("--bid-window", type=int, default=defaults.bid_window)
    parser.add_argument("--reveal-window", type=int, default=defaults.reveal_window)
    parser.add_argument(
        "--threads", type=int, default=defaults.worker_threads, help="Cycles threads a process"
    )
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="run both sides this many times (fresh stack each round); the median ratio counts",
    )  # fmt: skip
    parser.add_argument(
        "--kill-worker", type=int, default=None, metavar="N",
        help="instead: the job with and without worker N killed after it won tiles",
    )  # fmt: skip
    args = parser.parse_args()
    if args.kill_worker is not None:
        with tempfile.TemporaryDirectory(prefix="tilefarm-bench-e2e-") as tmp:
            options = _options(args, Path(tmp))
            print(json.dumps(kill_comparison(options, args.kill_worker), indent=2))
        return
    rounds = []
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="tilefarm-bench-e2e-") as tmp:
            options = _options(args, Path(tmp))
            market = marketplace(options)
            baseline = plain_blender(market["blend"], options)
        marks = market["summary"].seconds_from_post
        market_seconds = marks.get("all_frames_assembled") or marks["job_completed"]
        rounds.append((market_seconds / baseline["seconds"], market_seconds, market, baseline))
    load_after = os.getloadavg()
    ratio, market_seconds, market, baseline = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
    summary = market["summary"]
    marks = summary.seconds_from_post
    tile_s, patch_s = market["tile_render_seconds"], market["patch_render_seconds"]
    result = {
        "job": f"{summary.scene} frames {summary.frames} at {summary.resolution}, "
        f"{summary.samples} samples, {summary.tile_grid} tiles a frame ({summary.tiles} tiles), "
        f"{len(summary.workers)} worker processes, threads each: "
        f"{options.worker_threads or 'all cores'}",
        "marketplace_seconds": market_seconds,
        "marketplace_seconds_from_post": marks,
        "plain_blender": baseline,
        "ratio": round(ratio, 3),
        "target_ratio": 1.2,
        "rounds": [
            {"marketplace_seconds": m, "plain_blender_seconds": b["seconds"], "ratio": round(r, 3)}
            for r, m, _, b in rounds
        ],
        "gas": {
            "per_tile": summary.gas.gas_per_tile,
            "total": summary.gas.gas_used,
            "transactions": summary.gas.transactions,
            "by_event": summary.gas.by_event,
        },
        "verification": {
            "patches_checked": market["patches_checked"],
            "patch_render_seconds": patch_s,
            "tile_render_seconds": tile_s,
            "share_of_render_seconds": round(patch_s / tile_s, 3) if tile_s else None,
            "verify_wall_seconds_per_seat": market["verify_wall_seconds_per_seat"],
        },
        "cpu_seconds_during_job": market["cpu_seconds_during_job"],
        "settings": {
            "block_seconds": options.block_seconds,
            "poll_seconds": options.poll_seconds,
            "bid_window": options.bid_window,
            "threads_per_process": options.worker_threads,
            "reveal_window": options.reveal_window,
        },
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
