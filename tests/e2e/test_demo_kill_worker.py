"""`tilefarm demo --json --kill-worker 1`: worker 1 is SIGKILLed right after it won tiles and is
never restarted. Its tiles go back on the market after the render deadline and a live worker
renders them in a later round: the job ends with every frame whole, and each frame equals a plain
Blender render of the same scene and manifest, bit for bit."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.manifest import build_manifest
from tilefarm.pixels import read_exr
from tilefarm_cli.demo import DemoOptions, DemoSummary
from tilefarm_cli.devnet.ports import free_port

from .demo_cli import kill_demo

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs, pytest.mark.chain]
TILEFARM = str(Path(sys.executable).with_name("tilefarm"))


def test_a_killed_worker_leaves_every_frame_whole_and_equal_to_plain_blender(
    tmp_path: Path,
) -> None:
    argv = [
        TILEFARM, "demo", "--json", "--no-keep-serving", "--state-dir", str(tmp_path / "demo"),
        "--out", str(tmp_path / "out"), "--port", str(free_port()),
        "--chain-port", str(free_port()), "--ipfs-api-port", str(free_port()),
        "--ipfs-gateway-port", str(free_port()), "--workers", "3", "--kill-worker", "1",
        # Enough samples that worker 1 is still rendering when the demo sees it won; short render
        # and verify windows so its tiles go back soon. A re-offer round bids in the job's bid
        # window and a round nobody bid in ends re-offering, so the window leaves a live worker,
        # slowed by the other tests on the machine, time to see the round and bid.
        "--scene", "tiny", "--frames", "1,2", "--width", "64", "--height", "48",
        "--grid", "2x2", "--samples", "2048", "--bid-window", "15",
        "--render-window", "40", "--verify-window", "30",
    ]  # fmt: skip
    with (tmp_path / "demo.err").open("w") as err:
        cli = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        out, _ = cli.communicate(timeout=900)
    finally:
        kill_demo(cli, tmp_path / "demo")
    assert cli.returncode == 0, (tmp_path / "demo.err").read_text()[-3000:]
    summary = DemoSummary.model_validate(json.loads(out))

    assert summary.killed_worker is not None and summary.killed_worker.after_seconds is not None
    dead = summary.killed_worker.address
    assert summary.status == "Completed"
    assert summary.frames_complete is True, out
    assert summary.rounds >= 1
    tiles = summary.tiles_by_round
    assert sorted(t.tile for t in tiles) == list(range(summary.tiles)), (
        "a tile is missing or doubled"
    )
    assert all(t.worker != dead for t in tiles), "the dead worker was paid"
    assert any(t.round >= 1 for t in tiles), "no tile went round again"
    assert all(f.status == "assembled" and f.missing_tiles == [] for f in summary.frame_files)

    # Each downloaded frame equals Blender rendering the whole frame from the same manifest.
    manifest = build_manifest(
        scene_cid=summary.scene_cid, frames=[1, 2], resolution={"width": 64, "height": 48},
        tile_grid={"columns": 2, "rows": 2}, samples=2048, seed=DemoOptions().seed,
    )  # fmt: skip
    assert manifest.cid() == summary.manifest_cid
    with BlenderChild(threads=1) as child:
        child.open(tmp_path / "demo" / "artist" / "tiny.blend", manifest)
        for frame in summary.frame_files:
            assert frame.exr_file is not None
            plain = read_exr(
                child.render_frame(frame.frame, tmp_path / f"plain-{frame.frame}").path
            )
            assert read_exr(frame.exr_file).tobytes() == plain.tobytes(), f"frame {frame.frame}"
