"""`tilefarm demo --json` on a small job: anvil, Kubo, `tilefarm serve` and three `render-worker`
processes; the artist posts through the API and signs postJob itself. The chain must end with
every seat accepted and paid once and the money accounted for, the frames downloaded from the
server must be the workers' committed tiles, stitched, and Ctrl-C must stop it all."""

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import psutil
import pytest
from web3 import Web3

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.events import ResultsAccepted, ResultsRevealed, TilesAssigned
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_file
from tilefarm.job_tiles import locate
from tilefarm.manifest import parse_manifest
from tilefarm.pixels import Pixels, canonical_pixels, pixel_hash, read_exr
from tilefarm.results import ResultsList
from tilefarm.stitch import stitch_tiles
from tilefarm.tiles import Rect
from tilefarm_cli.demo import DemoSummary
from tilefarm_cli.devnet.ports import free_port

from .demo_cli import command_line, kill_demo

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs, pytest.mark.chain]
TILEFARM = str(Path(sys.executable).with_name("tilefarm"))


def start_demo(tmp: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """`tilefarm demo --json --keep-serving` on a small job: the tiny scene, 2 frames of 2x2
    tiles, 3 worker processes."""
    ports = {name: free_port() for name in ("server", "chain", "ipfs_api", "ipfs_gateway")}
    argv = [
        TILEFARM, "demo", "--json", "--keep-serving", "--state-dir", str(tmp / "demo"),
        "--out", str(tmp / "out"), "--port", str(ports["server"]),
        "--chain-port", str(ports["chain"]), "--ipfs-api-port", str(ports["ipfs_api"]),
        "--ipfs-gateway-port", str(ports["ipfs_gateway"]), "--workers", "3",
        "--scene", "tiny", "--frames", "1,2", "--width", "64", "--height", "48",
        "--grid", "2x2", "--samples", "4", "--bid-window", "6",  # room for a loaded machine
    ]  # fmt: skip
    with (tmp / "demo.err").open("w") as err:
        cli = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    return cli, ports


def read_summary(cli: subprocess.Popen[str], log: Path) -> DemoSummary:
    """The JSON summary the demo prints once the job is done (it then keeps serving)."""
    assert cli.stdout is not None
    lines = []
    for line in cli.stdout:
        lines.append(line)
        if line.rstrip() == "}":
            return DemoSummary.model_validate_json("".join(lines))
    raise AssertionError(f"the demo ended without a summary; its log:\n{log.read_text()[-3000:]}")


def committed_frames(
    market: JobMarketClient, ipfs: KuboClient, job_id: int, manifest_cid: str, tmp: Path
) -> dict[int, Pixels]:
    """Each frame stitched from the tiles the workers committed on chain (via their results
    lists on IPFS, every tile re-hashed)."""
    manifest = parse_manifest(ipfs.cat(manifest_cid))
    pieces: dict[int, list[tuple[Rect, Pixels]]] = {f: [] for f in manifest.frames}
    revealed = {  # each worker's latest revealed results list
        e.worker: e for e in market.events(job_id=job_id) if isinstance(e, ResultsRevealed)
    }
    for event in revealed.values():
        results = ResultsList.model_validate_json(ipfs.cat(event.results_cid))
        for tile in results.tiles:
            where = locate(manifest, tile.index)
            pixels = read_exr(ipfs.cat_to_file(tile.cid, tmp / "tiles" / f"{tile.index}.exr"))
            assert pixel_hash(pixels) == tile.pixel_hash
            pieces[where.frame].append((where.rect, pixels))
    width, height = manifest.resolution.width, manifest.resolution.height
    return {f: stitch_tiles(p, width, height) for f, p in pieces.items()}


def test_demo_json_job_is_rendered_verified_paid_and_assembled_by_worker_processes(
    tmp_path: Path,
):
    cli, ports = start_demo(tmp_path)
    try:
        summary = read_summary(cli, tmp_path / "demo.err")
        # Everything still runs: check the chain and IPFS behind the summary.
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{ports['chain']}"))
        deployments = read_deployments(tmp_path / "demo" / "stack" / "deployments" / "31337.json")
        market = JobMarketClient.from_deployments(w3, deployments)
        job = market.job(summary.job_id)
        events = market.events(job_id=summary.job_id)
        with KuboClient(f"http://127.0.0.1:{ports['ipfs_api']}") as ipfs:
            expected = committed_frames(
                market, ipfs, summary.job_id, summary.manifest_cid, tmp_path
            )
            stored = {f.frame: ipfs.cat(str(f.png_cid)) for f in summary.frame_files}
        ledger = httpx.get(f"{summary.server_url}/api/ledger/{summary.job_id}").json()
        running = psutil.Process(cli.pid).children(recursive=True)
        assigned_at = min(
            w3.eth.get_block(e.block_number)["timestamp"]
            for e in events
            if isinstance(e, TilesAssigned)
        )
        blender_children = {
            p.pid: [c.create_time() for c in p.children() if "blender.child" in command_line(c)]
            for p in running
            if "render-worker run" in command_line(p)
        }
        cli.send_signal(signal.SIGINT)  # how a user ends a demo that keeps serving
        assert cli.wait(timeout=60) == 0
    finally:
        kill_demo(cli, tmp_path / "demo")

    # The chain: completed, three workers each with one accepted, paid seat; escrow emptied.
    assert job.status_name == "Completed" and job.escrow == 0
    assert len(summary.workers) == 3
    assert sum(w.tile_count for w in summary.workers) == summary.tiles == 8
    accepted = [e for e in events if isinstance(e, ResultsAccepted)]
    assert sorted(e.worker for e in accepted) == sorted(w.address for w in summary.workers)
    for worker in summary.workers:
        assert worker.state == "Paid" and worker.verdict == "passed"
        assert worker.verified_by not in (None, worker.address)
        assert worker.paid_wei == worker.price_per_tile_wei * worker.tile_count > 0
    # The money: everything paid in is paid out or still held, and nothing is held.
    assert ledger["balanced"] is True
    assert int(ledger["paid_in"]) == int(ledger["paid_out"]) + int(ledger["held"])
    assert int(ledger["held"]) == 0
    assert int(ledger["to_workers"]) == summary.paid_to_workers_wei
    assert int(ledger["paid_in"]) >= summary.deposit_wei
    assert summary.gas.gas_used > 0 and summary.gas.transactions >= 1 + 3 * 3

    # Each worker rendered its tiles and checked the seats it was drawn for in one Blender child,
    # started while its bid waited for the auction to end.
    assert len(blender_children) == 3
    for started in blender_children.values():
        assert len(started) == 1 and started[0] < assigned_at

    # The frames: downloaded from the server's API, the bytes under their CIDs, and the EXR is
    # exactly the committed tiles stitched.
    assert [f.frame for f in summary.frame_files] == [1, 2]
    for frame in summary.frame_files:
        assert frame.status == "assembled"
        assert frame.png_file is not None and frame.exr_file is not None
        assert cid_of_file(frame.png_file) == frame.png_cid
        assert cid_of_file(frame.exr_file) == frame.exr_cid
        assert stored[frame.frame] == frame.png_file.read_bytes()
        pixels = read_exr(frame.exr_file)
        assert pixels.shape == (48, 64, 4)
        assert np.array_equal(canonical_pixels(pixels), expected[frame.frame])

    # Ctrl-C stopped everything the demo started.
    _gone, alive = psutil.wait_procs(running, timeout=5)
    assert alive == []
    assert not (tmp_path / "demo" / "stack" / "devnet" / "stack.json").exists()
