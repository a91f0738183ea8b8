"""While a job renders, the job page shows each frame from the tiles its workers revealed, before
any verifier passed them: a preview on a checkerboard (tiles not revealed yet are transparent),
badged "not verified yet" in words. Once a frame's tiles are all accepted, the verified frame
replaces its preview, and once every frame is, the film: an H.264 MP4 the page plays, with the
MP4 and a ZIP of every frame to download.

The test drives the seats itself, so that the preview stays on the page while it looks (a running
worker's verifier would pass the tiles within seconds): two workers of its own win a 2-frame job
of 2 tiles a frame (worker A the first 3 tiles, B the last), the tiles are rendered for real in
the Blender child and published to IPFS as a worker publishes them, and each worker commits,
draws its verifier, lets it seal (made-up evidence: nobody checks it here) and reveals its real
results list. Worker A reveals first: frame 1 is previewed whole and frame 2 by half. Then A's
verifier passes: frame 1 is verified; then B delivers and is passed: frame 2 and the film.
Costs one Blender child (4 tiles of 16x24 pixels, 2 samples) and the server's film encoding.
It leaves the verifier pool as it found it: the other tests' real workers must be the only
accounts drawn there."""

import io
import os
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from render_worker.work.assignment import results_document
from tests.browser.conftest import Server, screenshot
from tests.worker.conftest import Stack
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.job_tiles import locate
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.results import ResultsList, ResultTile

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

FRAMES = [1, 2]
ARTIST = dev_account(1).address
# Staked for this test where they are not (two workers, and a verifier even when no other test
# staked one), and unstaked again at its end; other tests stake them for roles of their own.
WORKER_A, WORKER_B, SPARE = (dev_account(i).address for i in (4, 5, 7))


def _advance(stack: Stack, seconds: int) -> None:
    stack.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    stack.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _mine(stack: Stack, blocks: int) -> None:
    stack.w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


def _render(scene: Path, manifest: RenderManifest, ipfs: KuboClient, out: Path) -> list[ResultTile]:
    """Every tile of the job rendered in the Blender child and put on IPFS, as a worker does."""
    rects = manifest.tiles()
    tiles = []
    with BlenderChild(threads=2) as child:
        child.open(scene, manifest)
        for t in range(manifest.job_tile_count):
            where = locate(manifest, t, rects)
            (rendered,) = child.render_regions(where.frame, [(f"tile-{t:05d}", where.rect)], out)
            cid = ipfs.add_file(rendered.path)
            tiles.append(ResultTile(index=t, cid=cid, pixel_hash=rendered.pixel_hash))
    return tiles


def _deliver(
    stack: Stack, ipfs: KuboClient, job_id: int, worker: str, results: ResultsList
) -> tuple[str, str]:
    """The worker commits its results' root, draws its verifier, which seals its evidence, and
    reveals its results list (put on IPFS first). Returns the verifier and its evidence."""
    market = stack.market
    market.commit_results(worker, job_id, results.root())
    _mine(stack, market.config().draw_delay + 1)
    market.draw_verifier(ARTIST, job_id, worker)
    verifier = market.verifier_of(job_id, worker)
    assert verifier is not None
    evidence = f"bafy-evidence-{job_id}-{worker.lower()}"
    market.seal_evidence(verifier, job_id, worker, evidence)
    cid = ipfs.add_bytes(results_document(results), name="results.json")
    market.reveal_results(worker, job_id, cid)
    assert market.seat(job_id, worker).state_name == "Opened"
    return verifier, evidence


def test_revealed_tiles_show_as_an_unverified_preview_until_their_frame_is_verified(
    page: Page, server: Server, browser_stack: Stack, tiny_scene: Path, tmp_path: Path
) -> None:
    stack, market = browser_stack, browser_stack.market
    config = market.config()
    pool = market.pool_size()
    staked_here = [
        who for who in (WORKER_A, WORKER_B, SPARE) if market.account(who).stake < config.min_stake
    ]
    for who in staked_here:
        market.stake(who, config.min_stake - market.account(who).stake)
    assert stack.status.ipfs_api_url
    ipfs = KuboClient(stack.status.ipfs_api_url)
    manifest = build_manifest(
        scene_cid=ipfs.add_file(tiny_scene), frames=FRAMES,
        resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 1}, samples=2,
        verification={"patch_size": 8, "patch_count": 2},
    )  # fmt: skip
    manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    tiles = manifest.job_tile_count
    params = JobParams(
        tile_count=tiles, frame_count=len(FRAMES), max_price_per_tile=10**15,
        verify_fee_per_tile=10**13, bid_bond=10**14, bid_window=60, reveal_window=60,
        render_window=600, verify_window=600,
    )  # fmt: skip
    job_id, _ = market.post_job(ARTIST, params, manifest_cid)
    page.goto(f"{server.url}/#/jobs/{job_id}")
    expect(page.locator("#frames p[data-frame='1']")).to_contain_text("assembled once")

    # A bids cheaper for 3 tiles, B dearer for 1: A gets tiles 0-2, B tile 3.
    bids = {WORKER_A: (10**14, 3, os.urandom(32)), WORKER_B: (2 * 10**14, 1, os.urandom(32))}
    for worker, (price, count, salt) in bids.items():
        sealed = bid_commitment(job_id, worker, price, count, salt)
        market.commit_bid(worker, job_id, sealed, count)
    _advance(stack, 61)
    for worker, (price, count, salt) in bids.items():
        market.reveal_bid(worker, job_id, price, count, salt)
    _advance(stack, 61)
    market.settle(ARTIST, job_id)
    seat_a, seat_b = market.seat(job_id, WORKER_A), market.seat(job_id, WORKER_B)
    assert (seat_a.first_tile, seat_a.tile_count, seat_b.first_tile) == (0, 3, 3)

    rendered = _render(tiny_scene, manifest, ipfs, tmp_path / "tiles")

    def results(worker: str, of: range) -> ResultsList:
        return ResultsList(
            job_id=job_id, worker=worker, manifest_cid=manifest_cid,
            tiles=[rendered[t] for t in of],
        )  # fmt: skip

    # Worker A reveals its 3 tiles; its verifier has not attested yet.
    verifier_a, evidence_a = _deliver(stack, ipfs, job_id, WORKER_A, results(WORKER_A, range(3)))
    badge_1 = page.locator("#frame-1-preview-badge")
    badge_2 = page.locator("#frame-2-preview-badge")
    expect(badge_1).to_have_text("Preview: 2 of 2 tiles, not verified yet")
    expect(badge_2).to_have_text("Preview: 1 of 2 tiles, not verified yet")
    preview_2 = page.locator("#frame-2-preview")
    expect(preview_2).to_have_attribute(
        "alt", re.compile("1 of 2 tiles revealed so far, not verified yet; 1 not revealed yet")
    )
    expect(page.locator("#frame-1-img")).to_have_count(0)  # nothing verified yet
    for frame in FRAMES:  # the pictures themselves arrived (the server stitched them)
        loaded = page.locator(f"#frame-{frame}-preview")
        expect(loaded).to_have_js_property("complete", True)
        assert loaded.evaluate("img => img.naturalWidth") == 32
    assert market.seat(job_id, WORKER_A).state_name == "Opened"
    screenshot(page, "job-page-preview.png")

    # A's verifier passes: frame 1 is verified and replaces its preview; frame 2 waits for B.
    market.attest(verifier_a, job_id, WORKER_A, True, evidence_a)
    expect(page.locator("#frame-1-img")).to_be_visible(timeout=60_000)
    expect(badge_1).to_have_count(0)
    expect(page.locator("#frames figure[data-frame='1']")).not_to_contain_text("not verified")
    expect(badge_2).to_have_text("Preview: 1 of 2 tiles, verified so far")  # A's tile 2
    expect(page.locator("#film-status")).to_contain_text(
        "The film is encoded once every frame is assembled"
    )

    # B delivers and is passed: frame 2 is verified, then the film is encoded and offered.
    verifier_b, evidence_b = _deliver(stack, ipfs, job_id, WORKER_B, results(WORKER_B, range(3, 4)))
    expect(badge_2).to_have_text("Preview: 2 of 2 tiles, 1 not verified yet")
    market.attest(verifier_b, job_id, WORKER_B, True, evidence_b)
    expect(page.locator("#frame-2-img")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-preview=unverified]")).to_have_count(0)
    video = page.locator("#film-video")
    expect(video).to_be_visible(timeout=120_000)
    film = httpx.get(f"{server.url}/api/jobs/{job_id}/film").json()
    assert film["status"] == "ready"
    expect(video).to_have_attribute("src", film["mp4_url"])
    # Chromium decodes the H.264 MP4: the frame's size, and its first picture.
    page.wait_for_function(
        "() => document.querySelector('#film-video').readyState >= 2", timeout=30_000
    )
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [32, 24]
    expect(page.locator("#film-mp4-cid [title]")).to_have_attribute("title", film["mp4_cid"])
    expect(page.locator("#film-zip-cid [title]")).to_have_attribute("title", film["zip_cid"])
    with page.expect_download() as got:
        page.get_by_role("link", name="Download ZIP (every frame's PNG and EXR)").click()
    assert got.value.suggested_filename == f"job-{job_id}-film.zip"
    with zipfile.ZipFile(io.BytesIO(Path(got.value.path()).read_bytes())) as archive:
        names = set(archive.namelist())
    assert names == {f"frame-{f:04d}.{kind}" for f in FRAMES for kind in ("png", "exr")}
    with page.expect_download() as got:
        page.get_by_role("link", name="Download MP4").click()
    assert got.value.suggested_filename == f"job-{job_id}-film.mp4"
    assert Path(got.value.path()).read_bytes()[4:8] == b"ftyp"
    screenshot(page, "job-page-film.png")

    # The artist pays both seats at once: the job completes, nobody stays locked.
    for worker in (WORKER_A, WORKER_B):
        market.accept_results(ARTIST, job_id, worker)
    assert market.job(job_id).status_name == "Completed"
    ipfs.close()
    for who in staked_here:
        market.request_unstake(who, market.account(who).stake)
    assert market.pool_size() == pool, "the verifier pool is not as the test found it"
