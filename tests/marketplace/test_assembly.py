"""The server assembles a finished job's frames (real workers, Blender, IPFS, chain) and serves
them; the frames are the committed tiles stitched, stored once, with the same CIDs every time."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from marketplace.app import create_app
from marketplace.assembly import Assembler
from marketplace.assembly.plan import due_frames, ready_positions, seats_of_frame
from marketplace.db.frame_models import AssembledFrame, AssemblyJob
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from tests.ipfs.hostile_node import hostile_node
from tests.marketplace.finished_job import (
    FinishedJob,
    frames_of,
    post,
    server_settings_for,
)
from tests.worker.conftest import wait_until
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.events import ResultsRevealed
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.audit.frames import write_frame_files
from tilefarm.cids import cid_of_bytes
from tilefarm.pixels import Pixels, read_exr
from tilefarm.results import ResultsList
from tilefarm.stitch import linear_to_srgb8, stitch_tiles

pytestmark = [pytest.mark.stack, pytest.mark.chain, pytest.mark.ipfs, pytest.mark.blender]


def test_a_frame_is_ready_once_every_tile_of_it_is_accepted() -> None:
    # 2 frames of 4 tiles; accepted assignments 0..4 and 5..7, or only the first one.
    assert ready_positions(2, 4, [(0, 5), (5, 3)]) == [0, 1]
    assert ready_positions(2, 4, [(0, 5)]) == [0]
    assert ready_positions(2, 4, [(5, 3)]) == []
    assert seats_of_frame(1, 4, [(0, 5), (5, 3)]) == [(0, 5), (5, 3)]
    assert seats_of_frame(0, 4, [(0, 5), (5, 3)]) == [(0, 5)]


def test_a_frame_is_due_when_its_last_tile_lands_whatever_round_sold_it() -> None:
    # Frame 0's tiles come from the first round (0-2) and a re-offer round (3); frame 1 lacks
    # tile 6 until the job ends, and is then due with that tile missing (index 2 of its grid).
    seats = [(0, 3), (4, 2), (3, 1), (7, 1)]
    assert due_frames(2, 4, seats, ended=False) == [(0, [])]
    assert due_frames(2, 4, seats, ended=True) == [(0, []), (1, [2])]
    assert due_frames(1, 4, [], ended=True) == [(0, [0, 1, 2, 3])]


def test_a_finished_jobs_frames_are_listed_as_assembled(finished_job: FinishedJob) -> None:
    job = finished_job
    frames = frames_of(job.api, job.job_id)
    assert [f["frame"] for f in frames] == [1, 2]
    for f in frames:
        assert f["status"] == "assembled"
        assert (f["width"], f["height"]) == (32, 24)
        assert f["png_url"] == f"/api/jobs/{job.job_id}/frames/{f['frame']}.png"
        assert f["exr_url"] == f"/api/jobs/{job.job_id}/frames/{f['frame']}.exr"
        assert isinstance(f["png_cid"], str) and isinstance(f["exr_cid"], str)


def test_downloads_are_the_exact_bytes_stored_on_ipfs(finished_job: FinishedJob) -> None:
    job = finished_job
    for f in frames_of(job.api, job.job_id):
        for kind in ("png", "exr"):
            answer = job.api.get(str(f[f"{kind}_url"]))
            assert answer.status_code == 200, answer.text
            cid = str(f[f"{kind}_cid"])
            assert answer.content == job.ipfs.cat(cid)
            assert cid_of_bytes(answer.content) == cid
            name = f"job-{job.job_id}-frame-{int(str(f['frame'])):04d}.{kind}"
            assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'


def _committed_tiles(job: FinishedJob, tmp: Path) -> dict[int, Pixels]:
    """Every job tile as committed on chain, fetched from IPFS (by job tile index)."""
    tiles = {}
    for event in _revealed(job):
        results = ResultsList.model_validate_json(job.ipfs.cat(event.results_cid))
        for t in results.tiles:
            tiles[t.index] = read_exr(job.ipfs.cat_to_file(t.cid, tmp / f"{t.index}.exr"))
    return tiles


def _revealed(job: FinishedJob) -> list[ResultsRevealed]:
    """Each worker's latest revealed results list (its tiles stay hidden until revealed)."""
    latest = {}
    for event in job.stack.market.events(job_id=job.job_id):
        if isinstance(event, ResultsRevealed):
            latest[event.worker] = event
    return list(latest.values())


def test_each_frame_is_its_committed_tiles_stitched(
    finished_job: FinishedJob, tmp_path: Path
) -> None:
    job = finished_job
    tiles = _committed_tiles(job, tmp_path)
    assert sorted(tiles) == list(range(8))
    rects = job.manifest.tiles()
    for position, f in enumerate(frames_of(job.api, job.job_id)):
        pieces = [(rects[i], tiles[position * 4 + i]) for i in range(4)]
        stitched = stitch_tiles(pieces, 32, 24)
        exr = tmp_path / f"frame-{position}.exr"
        exr.write_bytes(job.api.get(str(f["exr_url"])).content)
        assert np.array_equal(read_exr(exr), stitched, equal_nan=True)
        png = Image.open(io.BytesIO(job.api.get(str(f["png_url"])).content))
        assert png.mode == "RGBA" and png.size == (32, 24)
        assert np.array_equal(np.asarray(png), linear_to_srgb8(stitched))


@pytest.mark.parametrize("follow", ["false", "true"])
def test_the_job_stream_announces_each_assembled_frame_then_ends(
    finished_job: FinishedJob, follow: str
) -> None:
    job = finished_job
    answer = job.api.get(f"/api/jobs/{job.job_id}/events/stream", params={"follow": follow})
    assert answer.status_code == 200
    assembled = []
    for block in answer.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "assembled":
            assembled.append(json.loads(lines["data"]))
    listed = {
        f["frame"]: {"frame": f["frame"], "png_cid": f["png_cid"], "exr_cid": f["exr_cid"]}
        for f in frames_of(job.api, job.job_id)
    }
    assert sorted(assembled, key=lambda a: a["frame"]) == [listed[1], listed[2]]
    assert answer.text.rstrip().split("\n\n")[-1].startswith("event: end")


def test_a_restarted_server_assembles_nothing_twice(finished_job: FinishedJob) -> None:
    job = finished_job
    before = frames_of(job.api, job.job_id)
    db = Database(job.server_settings.db_url)
    with db.session() as session:
        attempts = {
            r.frame: r.attempts
            for r in session.scalars(
                select(AssembledFrame).where(AssembledFrame.job_id == job.job_id)
            )
        }
    assert attempts == {1: 1, 2: 1}  # each frame was stored by its first attempt
    # A second server on the same database (a restart) sees the frames stored, once.
    with TestClient(create_app(job.server_settings)) as again:
        assert frames_of(again, job.job_id) == before
    with db.session() as session:
        rows = session.scalars(
            select(AssembledFrame).where(AssembledFrame.job_id == job.job_id)
        ).all()
        assert {r.frame: r.attempts for r in rows} == attempts
    db.engine.dispose()


def test_a_server_with_an_empty_database_assembles_the_same_cids(
    finished_job: FinishedJob, tmp_path: Path, database_url: str
) -> None:
    job = finished_job
    before = frames_of(job.api, job.job_id)
    settings = server_settings_for(job.stack, tmp_path / "fresh")
    settings.database_url = database_url
    with TestClient(create_app(settings)) as fresh:
        wait_until(
            lambda: (
                fresh.get(f"/api/jobs/{job.job_id}").status_code == 200
                and all(f["status"] == "assembled" for f in frames_of(fresh, job.job_id))
            ),
            120,
            "a fresh server to index the job and assemble its frames",
        )
        again = frames_of(fresh, job.job_id)
    # The same frames, stored again at this server's own time.
    assert all(f.pop("assembled_at") for f in again)
    assert again == [{k: v for k, v in f.items() if k != "assembled_at"} for f in before]


def test_unknown_jobs_and_frames_are_404_with_a_reason(finished_job: FinishedJob) -> None:
    job = finished_job
    missing = job.api.get("/api/jobs/999/frames")
    assert missing.status_code == 404
    assert "no job 999" in missing.json()["error"]["message"]
    assert job.api.get("/api/jobs/999/frames/1.png").status_code == 404
    no_frame = job.api.get(f"/api/jobs/{job.job_id}/frames/7.exr")
    assert no_frame.status_code == 404
    assert "has no frame 7" in no_frame.json()["error"]["message"]
    bad = job.api.get(f"/api/jobs/{job.job_id}/frames/first.png")
    assert bad.status_code == 422


def test_a_frame_not_rendered_yet_is_pending_and_not_downloadable(
    finished_job: FinishedJob,
) -> None:
    # The workers are stopped: nobody bids on this job, so its frame stays pending.
    job = finished_job
    manifest = job.manifest.model_copy(update={"frames": [5]})
    job_id, _ = post(job.stack, job.ipfs, manifest)
    wait_until(lambda: job.api.get(f"/api/jobs/{job_id}").status_code == 200, 60, "the job indexed")
    frames = frames_of(job.api, job_id)
    assert [(f["frame"], f["status"], f["png_cid"]) for f in frames] == [(5, "pending", None)]
    answer = job.api.get(f"/api/jobs/{job_id}/frames/5.png")
    assert answer.status_code == 404
    assert "not assembled" in answer.json()["error"]["message"]


def test_a_denoised_frame_is_denoised_whole_and_byte_identical_every_time(
    finished_job: FinishedJob, tmp_path: Path
) -> None:
    job = finished_job
    tiles = _committed_tiles(job, tmp_path / "tiles")
    manifest = job.manifest.model_copy(update={"denoise_frame": True})
    files = {i: tmp_path / "tiles" / f"{i}.exr" for i in range(4)}  # frame 1
    with BlenderChild() as child:
        first = write_frame_files(manifest, files, tmp_path / "a", "frame", child)
        second = write_frame_files(manifest, files, tmp_path / "b", "frame", child)
    assert first.exr.read_bytes() == second.exr.read_bytes()
    assert first.png.read_bytes() == second.png.read_bytes()
    stitched = stitch_tiles([(r, tiles[i]) for i, r in enumerate(job.manifest.tiles())], 32, 24)
    denoised = read_exr(first.exr)
    assert denoised.shape == stitched.shape
    assert not np.array_equal(denoised, stitched)  # the whole frame went through the denoiser


def test_a_tile_whose_bytes_do_not_match_its_cid_is_never_stitched(
    finished_job: FinishedJob, tmp_path: Path, database_url: str
) -> None:
    # An assembler of its own, on a database indexed afresh, reading IPFS through a node that
    # corrupts one tile of frame 2: frame 1 is stored, frame 2 stays pending with the reason;
    # the next assembler (a restart) on an honest node stores frame 2 with the server's CIDs.
    job = finished_job
    served = {f["frame"]: (f["png_cid"], f["exr_cid"]) for f in frames_of(job.api, job.job_id)}
    tiles = [
        t
        for e in _revealed(job)
        for t in ResultsList.model_validate_json(job.ipfs.cat(e.results_cid)).tiles
    ]
    bad = next(t for t in tiles if t.index == 6)  # frame 2 (job tiles 4..7)

    def corrupt(path: str, body: bytes) -> bytes:
        if path.startswith("/api/v0/cat") and bad.cid in path and body:
            return bytes([body[0] ^ 0xFF]) + body[1:]
        return body

    db = Database(database_url)
    deployments = read_deployments(job.stack.deployments_file)
    start = deployments.contracts["JobMarket"].block_number
    Indexer(db, job.stack.market, start).sync()
    assert job.stack.status.ipfs_api_url
    with hostile_node(job.stack.status.ipfs_api_url, corrupt) as url, KuboClient(url) as liar:
        stored = Assembler(db, liar, tmp_path / "work").step()
    assert [(s.frame, (s.png_cid, s.exr_cid)) for s in stored] == [(1, served[1])]
    with db.session() as session:
        frame2 = session.get(AssembledFrame, (job.job_id, 2))
        assert frame2 is not None and frame2.status == "pending" and frame2.png_cid is None
        assert f"tile 6 ({bad.cid}) cannot be read" in (frame2.error or "")
    stored = Assembler(db, job.ipfs, tmp_path / "work").step()
    assert [(s.frame, (s.png_cid, s.exr_cid)) for s in stored] == [(2, served[2])]
    db.engine.dispose()


def test_a_job_whose_manifest_cannot_be_read_lists_no_frames_and_says_why(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    params = job.params.model_copy(update={"tile_count": 4, "frame_count": 1})
    job_id, _ = job.stack.market.post_job(job.artist, params, "not-a-cid")
    wait_until(lambda: job.api.get(f"/api/jobs/{job_id}").status_code == 200, 60, "the job indexed")
    answer = job.api.get(f"/api/jobs/{job_id}/frames")
    assert answer.status_code == 200
    assert answer.json()["frames"] == []
    assert "'not-a-cid'" in answer.json()["error"]
    assert job.api.get(f"/api/jobs/{job_id}/frames/1.png").status_code == 404


def test_frames_kept_for_another_job_under_the_same_number_are_replaced_by_this_jobs(
    finished_job: FinishedJob, tmp_path: Path, database_url: str
) -> None:
    """The assembler read a job's manifest just before a reorganisation handed the number to
    another job (or kept rows from an older chain): the manifest it stored is not this job's, and
    its frames are assembled from this job's own manifest instead."""
    job = finished_job
    served = {f["frame"]: (f["png_cid"], f["exr_cid"]) for f in frames_of(job.api, job.job_id)}
    db = Database(database_url)
    deployments = read_deployments(job.stack.deployments_file)
    Indexer(db, job.stack.market, deployments.contracts["JobMarket"].block_number).sync()
    with db.session() as session:
        session.add(AssemblyJob(job_id=job.job_id, manifest_cid="bafy-another-job",
                                error="another job's", done=True))  # fmt: skip
        session.add(AssembledFrame(job_id=job.job_id, frame=7, position=0, status="assembled",
                                   png_cid="bafy-png", exr_cid="bafy-exr",
                                   attempts=1))  # fmt: skip
    stored = Assembler(db, job.ipfs, tmp_path / "work").step()
    assert {s.frame: (s.png_cid, s.exr_cid) for s in stored} == served
    with db.session() as session:
        frames = session.scalars(
            select(AssembledFrame.frame).where(AssembledFrame.job_id == job.job_id)
        ).all()
    assert len(frames) == len(served) and set(frames) == set(served)
    db.engine.dispose()
