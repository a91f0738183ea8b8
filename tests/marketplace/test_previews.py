"""Previews of frames still rendering, through the server on a real market with real tiles on
IPFS and no worker (`tests.marketplace.tiled_job`): the tiles a worker revealed show before any
verdict, marked unverified, the rest transparent; a refused seat's tiles leave the preview, a
lying seat's never enter it; the assembled frame replaces the preview. A large frame's preview
is scaled down; a tile declaring a huge image is refused from its header, for good; a seat whose
results no node serves is put off while the rest of its frame shows (a previewer of the test's
own, on a database indexed afresh)."""

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from marketplace.assembly import Assembler
from marketplace.assembly.canvas import Canvas
from marketplace.assembly.preview import Previewer
from marketplace.db.frame_models import FramePreview, PreviewRefusal
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.manifests import Manifests
from tests.core.exr_bomb import zero_exr
from tests.ipfs.hostile_node import hostile_node
from tests.marketplace import tiled_job as tiled
from tests.marketplace.market import Bid, Market
from tests.marketplace.tiled_job import PRICE, TiledJob, results_list, tiled_job
from tests.worker.conftest import wait_until
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import canonical_json
from tilefarm.pixels import Pixels, max_exr_bytes, write_exr
from tilefarm.stitch import linear_to_srgb8, stitch_tiles

pytestmark = [pytest.mark.chain, pytest.mark.stack, pytest.mark.ipfs]

Frame = dict[str, Any]
work, market, api, ipfs = tiled.work, tiled.market, tiled.api, tiled.ipfs  # module fixtures


def two_seat_job(market: Market, ipfs: KuboClient, work: Path, **kw: Any) -> TiledJob:
    """One frame of 2 x 2 tiles, two tiles to each of two workers, both committed."""
    a, b = market.workers[:2]
    job = tiled_job(market, ipfs, work, [1], [Bid(a, PRICE, 2), Bid(b, 2 * PRICE, 2)], **kw)
    job.commit(a)
    job.commit(b)
    return job


def frame_once(api: TestClient, job: TiledJob, ready: Callable[[Frame], bool], what: str) -> Frame:
    """The job's only frame, once `ready` says so."""
    found: list[Frame] = []

    def check() -> bool:
        answer = api.get(f"/api/jobs/{job.job_id}/frames")
        frames = answer.json().get("frames") if answer.status_code == 200 else None
        found[:] = frames or []
        return bool(found) and ready(found[0])

    wait_until(check, 60, what)
    return found[0]


def shown(count: int) -> Callable[[Frame], bool]:
    return lambda f: f["preview"] is not None and f["preview"]["tiles_shown"] == count


def png_of(api: TestClient, url: str) -> Pixels:
    answer = api.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.mode == "RGBA"
    return np.asarray(image)


def tiles_of(job: TiledJob, worker: str) -> list[int]:
    """The worker's tiles, as indices in the frame's grid (one frame)."""
    seat = job.seats[worker]
    return list(range(seat.first_tile, seat.first_tile + seat.tile_count))


def assert_shows_only(png: Pixels, job: TiledJob, tiles: list[int]) -> None:
    """`png` holds exactly `tiles` of the frame, as sRGB, and is transparent elsewhere."""
    for index, rect in enumerate(job.manifest.tiles()):
        region = png[rect.y : rect.y_end, rect.x : rect.x_end]
        if index in tiles:
            assert np.array_equal(region, linear_to_srgb8(job.tiles[index])), index
        else:
            assert not region.any(), f"tile {index} is not transparent"


def test_revealed_tiles_show_unverified_until_the_assembled_frame_replaces_them(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "assembled")
    a, b = market.workers[:2]
    assert frame_once(api, job, lambda f: True, "the frame listed")["preview"] is None
    job.reveal(a)  # readable, no verdict yet
    frame = frame_once(api, job, shown(2), "a preview of the revealed tiles")
    preview = frame["preview"]
    assert frame["status"] == "pending" and frame["png_cid"] is None
    assert preview["png_url"] == f"/api/jobs/{job.job_id}/frames/1/preview.png"
    assert (preview["tiles_total"], preview["tiles_verified"]) == (4, 0)
    assert preview["unverified_tiles"] == tiles_of(job, a)
    first = png_of(api, preview["png_url"])
    assert first.shape == (24, 32, 4)
    assert_shows_only(first, job, tiles_of(job, a))

    job.verdict(a, True)  # accepted: the same pixels, now verified
    frame = frame_once(
        api, job, lambda f: f["preview"]["tiles_verified"] == 2, "the preview's tiles verified"
    )
    assert frame["preview"]["unverified_tiles"] == []
    assert np.array_equal(png_of(api, preview["png_url"]), first)

    job.reveal(b)
    frame = frame_once(api, job, shown(4), "the preview to grow")
    assert frame["preview"]["unverified_tiles"] == tiles_of(job, b)
    whole = png_of(api, preview["png_url"])
    assert_shows_only(whole, job, [0, 1, 2, 3])

    job.verdict(b, True)
    frame = frame_once(api, job, lambda f: f["status"] == "assembled", "the frame assembled")
    assert frame["preview"] is None
    gone = api.get(preview["png_url"])
    assert gone.status_code == 404
    assert "is assembled" in gone.json()["error"]["message"]
    assembled = png_of(api, frame["png_url"])
    rects = job.manifest.tiles()
    stitched = stitch_tiles([(rects[i], p) for i, p in job.frame_tiles(0).items()], 32, 24)
    assert np.array_equal(assembled, linear_to_srgb8(stitched))
    assert np.array_equal(assembled, whole)  # the preview of every tile was the frame


def test_a_seat_refused_by_its_verifier_leaves_the_preview(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "refused")
    a, b = market.workers[:2]
    job.reveal(a)
    job.reveal(b)
    frame_once(api, job, shown(4), "a preview of both seats' tiles")
    job.verdict(b, False)  # its tiles failed their check: they may be a fraud's
    frame = frame_once(api, job, shown(2), "the failed seat's tiles taken out")
    assert frame["preview"]["unverified_tiles"] == tiles_of(job, a)
    assert_shows_only(png_of(api, frame["preview"]["png_url"]), job, tiles_of(job, a))


def test_tiles_other_than_those_committed_are_never_shown(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "lying")
    a, b = market.workers[:2]
    seat = job.seats[b]
    # b reveals a results list of other pixels than those whose root it committed.
    _, other = results_list(ipfs, work / "lying", job, b, seat.first_tile, seat.tile_count, 0.3)
    job.reveal(b, other)
    job.reveal(a)
    frame = frame_once(api, job, shown(2), "a preview of the honest seat's tiles")
    assert frame["preview"]["unverified_tiles"] == tiles_of(job, a)
    assert_shows_only(png_of(api, frame["preview"]["png_url"]), job, tiles_of(job, a))


def test_previews_that_do_not_exist_are_404_with_a_reason(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "none")
    frame_once(api, job, lambda f: True, "the frame listed")
    nothing = api.get(f"/api/jobs/{job.job_id}/frames/1/preview.png")
    assert nothing.status_code == 404
    assert "none of its tiles has been revealed" in nothing.json()["error"]["message"]
    # The frames are listed from the manifest as soon as the job is indexed; which frames the
    # job lacks is said once the assembler has read it too (until then: "or the frame is not
    # in the job").
    other: list[str] = []

    def no_frame_7() -> bool:
        answer = api.get(f"/api/jobs/{job.job_id}/frames/7/preview.png")
        assert answer.status_code == 404
        other[:] = [answer.json()["error"]["message"]]
        return "has no frame 7" in other[0]

    wait_until(no_frame_7, 30, "the assembler to read the manifest")
    assert "has no frame 7; its frames are [1]" in other[0]
    unknown = api.get("/api/jobs/999999/frames/1/preview.png")
    assert unknown.status_code == 404
    assert "no job 999999" in unknown.json()["error"]["message"]
    assert api.get(f"/api/jobs/{job.job_id}/frames/one/preview.png").status_code == 422


@pytest.mark.blender
def test_a_preview_goes_through_the_manifests_view_transform(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "agx", colour={"view_transform": "AgX"})
    a = market.workers[0]
    job.reveal(a)
    frame = frame_once(api, job, shown(2), "a preview through AgX")
    served = png_of(api, frame["preview"]["png_url"])
    rects = job.manifest.tiles()
    partial = stitch_tiles(
        [(rects[i], job.tiles[i]) for i in tiles_of(job, a)], 32, 24, complete=False
    )
    exr = write_exr(work / "agx" / "partial.exr", partial)
    with BlenderChild() as child:
        expected = np.asarray(Image.open(child.preview(exr, work / "agx" / "partial.png",
                                                       colour=job.manifest.colour)))  # fmt: skip
    assert np.array_equal(served, expected)
    assert not np.array_equal(served, linear_to_srgb8(partial))  # not the plain sRGB one


def test_a_large_frames_preview_is_scaled_to_1024_px_with_unrevealed_tiles_transparent(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "wide", width=2100, height=30)  # tiles of 1050 x 15
    a = market.workers[0]
    job.reveal(a)  # the top row
    frame = frame_once(api, job, shown(2), "a preview of the top row")
    served = png_of(api, frame["preview"]["png_url"])
    assert served.shape == (15, 1024, 4)  # 30 * 1024 / 2100 = 14.6 rows
    expected = Canvas.blank(job.manifest_cid, 0, 2100, 30)
    rects = job.manifest.tiles()
    for tile in tiles_of(job, a):
        expected.paste(tile, rects[tile], expected.fit(rects[tile], job.tiles[tile]), "a")
    assert np.array_equal(served, linear_to_srgb8(expected.pixels))
    covered = np.zeros(served.shape[:2], bool)
    for tile in tiles_of(job, a):
        x, y, x_end, y_end = expected.box(rects[tile])
        covered[y:y_end, x:x_end] = True
    assert covered.any() and (served[..., 3] == 255)[covered].all()  # no gap between tiles
    assert not served[~covered].any()  # the tiles not revealed are transparent


ALL = 1000  # previews a previewer of the test's own makes per step: every job's of the module


def indexed_afresh(market: Market, ipfs: KuboClient, tmp: Path) -> tuple[Database, Manifests]:
    """Another server's database, indexed afresh, its frames' rows written by its assembler."""
    db = Database(f"sqlite:///{tmp / 'market.db'}")
    Indexer(db, market.client, market.start_block).sync()
    manifests = Manifests(db, ipfs)
    Assembler(db, ipfs, tmp / "work", manifests=manifests).step()
    return db, manifests


def preview_tiles(db: Database, job: TiledJob) -> list[int] | None:
    with db.session() as session:
        preview = session.get(FramePreview, (job.job_id, job.manifest.frames[0]))
        return None if preview is None else list(preview.tiles)


def test_a_tile_declaring_a_huge_image_is_refused_from_its_header_and_stays_refused(
    market: Market, ipfs: KuboClient, work: Path, tmp_path: Path
) -> None:
    a, b = market.workers[:2]
    job = tiled_job(market, ipfs, work / "bomb", [1], [Bid(a, PRICE, 2), Bid(b, 2 * PRICE, 2)])
    seat = job.seats[b]
    # b's first tile: 37 KB of ZIP that decode to 64 MiB of pixels, for a 16 x 12 tile (small
    # enough to pass for an EXR of 16 x 12 pixels by its bytes: a larger one is cut off as it
    # comes, `tests.ipfs.test_download_deadline`).
    bomb_file = zero_exr(work / "bomb" / "bomb.exr", 2048, 2048)
    assert bomb_file.stat().st_size <= max_exr_bytes(12, 16)
    bomb = ipfs.add_file(bomb_file)
    tiles = [seat.results.tiles[0].model_copy(update={"cid": bomb}), *seat.results.tiles[1:]]
    seat.results = seat.results.model_copy(update={"tiles": tiles})
    seat.results_cid = ipfs.add_bytes(canonical_json(seat.results.model_dump(mode="json")))
    for worker in (a, b):
        job.commit(worker)
        job.reveal(worker)
    db, manifests = indexed_afresh(market, ipfs, tmp_path)
    asked: list[str] = []

    def record(path: str, body: bytes) -> bytes:
        asked.append(path)
        return body

    assert ipfs.api_url
    with hostile_node(ipfs.api_url, record) as url, KuboClient(url, outage_seconds=0) as node:
        Previewer(db, node, tmp_path / "previews", manifests=manifests, per_step=ALL).step()
        assert preview_tiles(db, job) == tiles_of(job, a)
        assert any(bomb in path for path in asked)
        with db.session() as session:
            refused = session.scalars(
                select(PreviewRefusal).where(PreviewRefusal.job_id == job.job_id)
            ).one()
            assert refused.worker == b
            assert "declares 2048x2048 pixels, not the expected 16x12" in refused.reason
        assert not list((tmp_path / "previews").rglob("*.exr"))  # each tile deleted once read
        # A restart: another previewer on the same database reads none of b's files again.
        asked.clear()
        Previewer(db, node, tmp_path / "previews", manifests=manifests, per_step=ALL).step()
        assert not [p for p in asked if seat.results_cid in p or bomb in p]
        assert preview_tiles(db, job) == tiles_of(job, a)
    db.engine.dispose()


def test_a_seat_whose_results_no_node_serves_is_put_off_while_the_rest_shows(
    market: Market, ipfs: KuboClient, work: Path, tmp_path: Path
) -> None:
    job = two_seat_job(market, ipfs, work / "unserved")
    a, b = market.workers[:2]
    # b reveals its own results list, written with other spacing: a CID no node has yet.
    raw = json.dumps(job.seats[b].results.model_dump(mode="json"), indent=1).encode()
    job.reveal(a)
    job.reveal(b, cid_of_bytes(raw))
    db, manifests = indexed_afresh(market, ipfs, tmp_path)
    assert ipfs.api_url
    with KuboClient(ipfs.api_url, timeout=5, outage_seconds=0) as node:
        previewer = Previewer(db, node, tmp_path / "previews", manifests=manifests,
                              retry_seconds=0.2, min_interval=0, per_step=ALL)  # fmt: skip
        previewer.step()
        assert preview_tiles(db, job) == tiles_of(job, a)
        assert ipfs.add_bytes(raw) == cid_of_bytes(raw)  # served from now on
        wait_until(
            lambda: bool(previewer.step() is not None and preview_tiles(db, job) == [0, 1, 2, 3]),
            30, "b's tiles once its results are served",
        )  # fmt: skip
    db.engine.dispose()
