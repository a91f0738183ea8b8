"""The demo's whole stack on a small job: anvil, Kubo, `tilefarm serve` and three
`render-worker` processes; the artist posts through the API and signs postJob itself. The chain
must end with every seat accepted and paid once and the money accounted for, and the frames
downloaded from the server must be the workers' committed tiles, stitched."""

from pathlib import Path

import numpy as np
import pytest

from tilefarm.chain.bindings import JobMarketClient
from tilefarm.chain.events import ResultsAccepted, ResultsCommitted
from tilefarm.demo import DemoOptions, DemoRun, JobProgress
from tilefarm.devnet.ports import free_port
from tilefarm.ipfs import KuboClient, cid_of_file
from tilefarm.job_tiles import locate
from tilefarm.manifest import parse_manifest
from tilefarm.pixels import Pixels, canonical_pixels, pixel_hash, read_exr
from tilefarm.stitch import stitch_tiles
from tilefarm.tiles import Rect
from tilefarm.verification import ResultsList

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs, pytest.mark.chain]


def small_job(tmp: Path) -> DemoOptions:
    return DemoOptions(
        scene="tiny", frames=[1, 2], width=64, height=48, columns=2, rows=2, samples=4,
        workers=3, state_dir=tmp / "demo", out_dir=tmp / "out", server_port=free_port(),
        chain_port=free_port(), ipfs_api_port=free_port(), ipfs_gateway_port=free_port(),
        block_seconds=0.5, timeout_seconds=300,
    )  # fmt: skip


def committed_frames(
    market: JobMarketClient, ipfs: KuboClient, job_id: int, manifest_cid: str, tmp: Path
) -> dict[int, Pixels]:
    """Each frame stitched from the tiles the workers committed on chain (via their results
    lists on IPFS, every tile re-hashed)."""
    manifest = parse_manifest(ipfs.cat(manifest_cid))
    pieces: dict[int, list[tuple[Rect, Pixels]]] = {f: [] for f in manifest.frames}
    for event in market.events(job_id=job_id):
        if not isinstance(event, ResultsCommitted):
            continue
        results = ResultsList.model_validate_json(ipfs.cat(event.results_cid))
        for tile in results.tiles:
            where = locate(manifest, tile.index)
            pixels = read_exr(ipfs.cat_to_file(tile.cid, tmp / "tiles" / f"{tile.index}.exr"))
            assert pixel_hash(pixels) == tile.pixel_hash
            pieces[where.frame].append((where.rect, pixels))
    width, height = manifest.resolution.width, manifest.resolution.height
    return {f: stitch_tiles(p, width, height) for f, p in pieces.items()}


def test_demo_job_is_rendered_verified_paid_and_assembled_by_worker_processes(tmp_path: Path):
    options = small_job(tmp_path)
    seen: list[JobProgress] = []
    with DemoRun(options, on_progress=seen.append) as run:
        summary = run.run()
        assert run.market is not None
        market = run.market
        job = market.job(summary.job_id)
        ipfs = KuboClient(str(run.devnet.status().ipfs_api_url))
        expected = committed_frames(market, ipfs, summary.job_id, summary.manifest_cid, tmp_path)
        stored = {f.frame: ipfs.cat(str(f.png_cid)) for f in summary.frame_files}
        ledger = run.api.get(f"/api/ledger/{summary.job_id}").json()
        events = market.events(job_id=summary.job_id)
        ipfs.close()

    # The chain: completed, three workers each with one accepted, paid seat; escrow emptied.
    assert job.status_name == "Completed" and job.escrow == 0
    assert len(summary.workers) == 3
    assert sum(w.tile_count for w in summary.workers) == options.tile_count == 8
    accepted = [e for e in events if isinstance(e, ResultsAccepted)]
    assert sorted(e.worker for e in accepted) == sorted(w.address for w in summary.workers)
    for worker in summary.workers:
        assert worker.state == "Accepted" and worker.verdict == "passed"
        assert worker.verified_by not in (None, worker.address)
        assert worker.paid_wei == worker.price_per_tile_wei * worker.tile_count > 0
    # The money: everything paid in is paid out or still held, and nothing is held.
    assert ledger["balanced"] is True
    assert int(ledger["paid_in"]) == int(ledger["paid_out"]) + int(ledger["held"])
    assert int(ledger["held"]) == 0
    assert int(ledger["to_workers"]) == summary.paid_to_workers_wei
    assert int(ledger["paid_in"]) >= summary.deposit_wei
    assert summary.gas.gas_used > 0 and summary.gas.transactions >= 1 + 3 * 3

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

    # The terminal view went through the stages, ending with every tile verified.
    stages = [p.stage for p in seen]
    assert "rendering" in stages or "rendering and verifying" in stages
    assert seen[-1].tiles_verified == 8 and all(f.assembled for f in seen[-1].frames)
    # Everything the demo started is stopped.
    assert run.devnet.load() is None and not run.group.processes
