"""A job's film, through the server on a real market with real tiles on IPFS and no worker
(`tests.marketplace.tiled_job`): once every frame of an animation is assembled, an H.264 MP4 at
the scene's frame rate and a ZIP of the frames' PNG and EXR files, both on IPFS, the same bytes
every time they are made; a job of one frame has none."""

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from marketplace.assembly import Assembler
from marketplace.assembly.film import FilmMaker
from marketplace.assembly.reel import over_black
from marketplace.db.frame_models import AssembledFrame, JobFilm
from marketplace.db.models import SceneRecord
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.manifests import Manifests
from tests.ipfs.hostile_node import flip_first_byte, hostile_node
from tests.marketplace import tiled_job as tiled
from tests.marketplace.market import Bid, Market
from tests.marketplace.tiled_job import PRICE, TiledJob, tiled_job
from tests.worker.conftest import wait_until
from tilefarm.adapters.blender.protocol import SceneInfo
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes

pytestmark = [pytest.mark.chain, pytest.mark.stack, pytest.mark.ipfs]

work, market, api, ipfs = tiled.work, tiled.market, tiled.api, tiled.ipfs  # module fixtures
FPS = 25.0
WIDTH, HEIGHT = 31, 21  # odd: the video is padded to 32 x 22


def scene_read_at(db: Database, ipfs: KuboClient, fps: float) -> str:
    """A scene as intake records it (read by a Blender child at upload): at `fps`."""
    blend = b"a shot of three frames"
    info = SceneInfo(
        scene="Shot", frame_start=1, frame_end=3, fps=fps, width=WIDTH, height=HEIGHT,
        resolution_percentage=100, camera="Camera", engine="CYCLES", samples=1,
    )  # fmt: skip
    cid = ipfs.add_bytes(blend)
    with db.session() as session:
        session.merge(SceneRecord(cid=cid, filename="shot.blend", size=len(blend),
                                  info=info.model_dump(mode="json")))  # fmt: skip
    return cid


def film_of(api: TestClient, job_id: int) -> dict[str, Any]:
    answer = api.get(f"/api/jobs/{job_id}/film")
    assert answer.status_code == 200, answer.text
    film: dict[str, Any] = answer.json()
    return film


@dataclass
class Filmed:
    job: TiledJob
    film: dict[str, Any]
    pending: dict[str, Any]  # what the API said before the frames were assembled
    pending_mp4: dict[str, Any]


@pytest.fixture(scope="module")
def filmed(api: TestClient, market: Market, ipfs: KuboClient, work: Path) -> Iterator[Filmed]:
    """A job of three frames, one worker, every tile accepted: its film made by the server."""
    scene = scene_read_at(api.app.state.services.db, ipfs, FPS)  # type: ignore[attr-defined]
    worker = market.workers[0]
    job = tiled_job(market, ipfs, work / "film", [1, 2, 3], [Bid(worker, PRICE, 12)],
                    width=WIDTH, height=HEIGHT, scene_cid=scene)  # fmt: skip
    wait_until(lambda: api.get(f"/api/jobs/{job.job_id}").status_code == 200, 60, "the job")
    pending = film_of(api, job.job_id)
    pending_mp4 = api.get(f"/api/jobs/{job.job_id}/film.mp4").json()
    job.commit(worker)
    job.reveal(worker)
    job.verdict(worker, True)
    wait_until(lambda: film_of(api, job.job_id)["status"] == "ready", 120, "the film made")
    yield Filmed(job, film_of(api, job.job_id), pending, pending_mp4)


def test_a_film_is_pending_until_every_frame_is_assembled(filmed: Filmed) -> None:
    job_id = filmed.job.job_id
    assert filmed.pending == {
        "job_id": job_id, "status": "pending", "fps": FPS, "frames": 3, "frames_assembled": 0,
        "mp4_cid": None, "zip_cid": None, "mp4_url": None, "zip_url": None, "error": None,
    }  # fmt: skip
    assert (
        f"job {job_id} has no film (pending): 0 of its 3 frames are assembled"
        in (filmed.pending_mp4["error"]["message"])
    )


def test_an_animation_gets_an_h264_film_of_its_frames_at_the_scenes_rate(
    api: TestClient, filmed: Filmed
) -> None:
    job_id, film = filmed.job.job_id, filmed.film
    assert (film["status"], film["fps"], film["frames"], film["frames_assembled"]) == (
        "ready", FPS, 3, 3,
    )  # fmt: skip
    assert film["mp4_url"] == f"/api/jobs/{job_id}/film.mp4" and film["error"] is None
    answer = api.get(film["mp4_url"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    assert cid_of_bytes(answer.content) == film["mp4_cid"]
    assert answer.headers["x-ipfs-cid"] == film["mp4_cid"]
    pngs = []
    for f in api.get(f"/api/jobs/{job_id}/frames").json()["frames"]:
        rgba = np.asarray(Image.open(io.BytesIO(api.get(f["png_url"]).content)).convert("RGBA"))
        pngs.append(over_black(rgba, 32, 22))
    with av.open(io.BytesIO(answer.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.average_rate) == ("h264", Fraction(25))
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(decoded) == 3
    for frame, png in zip(decoded, pngs, strict=True):
        assert frame.shape == (22, 32, 3)
        error = np.abs(frame.astype(int) - png.astype(int))
        assert error.mean() < 4 and error.max() < 32  # H.264 in yuv420p is close, not exact
    # A player asks for ranges.
    part = api.get(film["mp4_url"], headers={"range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == answer.content[:100]


def test_the_films_zip_holds_every_frames_png_and_exr(api: TestClient, filmed: Filmed) -> None:
    job_id, film = filmed.job.job_id, filmed.film
    answer = api.get(film["zip_url"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert cid_of_bytes(answer.content) == film["zip_cid"]
    frames = api.get(f"/api/jobs/{job_id}/frames").json()["frames"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert names == [f"frame-000{n}.{kind}" for n in (1, 2, 3) for kind in ("png", "exr")]
        for f in frames:
            for kind in ("png", "exr"):
                data = archive.read(f"frame-{f['frame']:04d}.{kind}")
                assert cid_of_bytes(data) == f[f"{kind}_cid"]


def assembled_afresh(
    market: Market, ipfs: KuboClient, tmp_path: Path
) -> tuple[Database, Manifests]:
    """Another server's database, indexed afresh, its frames assembled again."""
    db = Database(f"sqlite:///{tmp_path / 'market.db'}")
    scene_read_at(db, ipfs, FPS)
    Indexer(db, market.client, market.start_block).sync()
    manifests = Manifests(db, ipfs)
    Assembler(db, ipfs, tmp_path / "work", manifests=manifests).step()
    return db, manifests


def test_the_same_frames_make_the_same_film(
    filmed: Filmed, market: Market, ipfs: KuboClient, tmp_path: Path
) -> None:
    # Another server makes the film from the frames it assembled: the CIDs are the first's.
    db, manifests = assembled_afresh(market, ipfs, tmp_path)
    films = FilmMaker(db, ipfs, tmp_path / "films", manifests=manifests, per_step=2)
    made: list[int] = []
    for _ in range(10):  # two frames per step: a film of three is written over two
        made += films.step()
        if filmed.job.job_id in made:
            break
    with db.session() as session:
        row = session.get(JobFilm, filmed.job.job_id)
        assert row is not None
        assert (row.status, row.mp4_cid, row.zip_cid) == (
            "ready", filmed.film["mp4_cid"], filmed.film["zip_cid"],
        )  # fmt: skip
    db.engine.dispose()


def test_a_frame_whose_bytes_do_not_match_its_cid_fails_the_film_and_says_why(
    filmed: Filmed, market: Market, ipfs: KuboClient, tmp_path: Path
) -> None:
    db, manifests = assembled_afresh(market, ipfs, tmp_path)
    with db.session() as session:
        frame = session.get(AssembledFrame, (filmed.job.job_id, 2))
        assert frame is not None and frame.exr_cid is not None
        bad = frame.exr_cid

    def corrupt(path: str, body: bytes) -> bytes:
        return flip_first_byte(path, body) if bad in path else body

    assert ipfs.api_url
    with hostile_node(ipfs.api_url, corrupt) as url, KuboClient(url) as liar:
        films = FilmMaker(db, liar, tmp_path / "films", manifests=manifests)
        assert films.step() == [filmed.job.job_id]
    with db.session() as session:
        row = session.get(JobFilm, filmed.job.job_id)
        assert row is not None and (row.status, row.mp4_cid, row.attempts) == ("failed", None, 1)
        assert bad in (row.error or "")
    db.engine.dispose()


def test_a_job_of_one_frame_has_no_film(
    api: TestClient, market: Market, ipfs: KuboClient, work: Path
) -> None:
    job = tiled_job(market, ipfs, work / "single", [7], [Bid(market.workers[1], PRICE, 4)])
    wait_until(lambda: api.get(f"/api/jobs/{job.job_id}").status_code == 200, 60, "the job")
    wait_until(lambda: film_of(api, job.job_id)["frames"] == 1, 60, "its manifest read")
    film = film_of(api, job.job_id)
    assert (film["status"], film["mp4_url"]) == ("none", None)
    assert "a job of one frame has no film" in film["error"]
    refused = api.get(f"/api/jobs/{job.job_id}/film.zip")
    assert refused.status_code == 404
    assert "has no film (none)" in refused.json()["error"]["message"]


def test_films_of_unknown_jobs_are_404_with_a_reason(api: TestClient) -> None:
    for path in ("film", "film.mp4", "film.zip"):
        answer = api.get(f"/api/jobs/999999/{path}")
        assert answer.status_code == 404
        assert "no job 999999" in answer.json()["error"]["message"]
    assert api.get("/api/jobs/first/film").status_code == 422
