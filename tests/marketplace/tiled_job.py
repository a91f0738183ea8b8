"""Jobs of one or more frames whose tiles are real EXR files on IPFS (made-up, smooth pixels) and
whose seats the test drives on a real market, with no worker and no Blender: each seat commits
its results' Merkle root, its verifier is drawn and seals, the worker reveals its results list
(its tiles are readable, unverified), and the verifier attests.

The pixels are a gentle gradient over the whole frame, different in each frame, so that a video
of the frames is close to them after H.264. A test module imports the fixtures `work`, `market`
(deployed for the module, workers staked), `api` (a server following it) and `ipfs`."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import (
    BID_WINDOW,
    REVEAL_WINDOW,
    Bid,
    Market,
    commit_bid,
    deploy_market,
    draw,
    params,
    seal,
    stake_all,
)
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import RenderManifest, build_manifest, canonical_json
from tilefarm.pixels import Pixels, pixel_hash, read_exr, write_exr
from tilefarm.results import ResultsList, ResultTile
from tilefarm_cli.devnet import StackStatus

PRICE = 10**14
EVIDENCE = "bafy-evidence"  # what the verifiers seal and attest with (never read here)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiled-jobs")


@pytest.fixture(scope="module")
def market(devnet: StackStatus, work: Path) -> Market:
    assert devnet.rpc_url
    m = deploy_market(devnet.rpc_url, work / "deployments")
    stake_all(m)
    return m


@pytest.fixture(scope="module")
def api(devnet: StackStatus, work: Path, market: Market) -> Iterator[TestClient]:
    settings = server_settings(
        devnet, work / "server", deployments_file=market.deployments_file, poll_interval=0.05
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def ipfs(devnet: StackStatus) -> Iterator[KuboClient]:
    assert devnet.ipfs_api_url
    with KuboClient(devnet.ipfs_api_url) as client:
        yield client


@dataclass
class TiledSeat:
    """One worker's seat: its tiles' results list, on IPFS, and the verifier drawn for it."""

    worker: str
    first_tile: int
    tile_count: int
    results: ResultsList
    results_cid: str
    verifier: str | None = None


@dataclass
class TiledJob:
    m: Market
    ipfs: KuboClient
    job_id: int
    manifest: RenderManifest
    manifest_cid: str
    tiles: dict[int, Pixels]  # job tile -> its pixels, as committed
    seats: dict[str, TiledSeat] = field(default_factory=dict)

    def commit(self, worker: str) -> None:
        """The worker commits its results' Merkle root."""
        self.m.client.commit_results(worker, self.job_id, self.seats[worker].results.root())

    def reveal(self, worker: str, results_cid: str | None = None) -> None:
        """A verifier is drawn and seals; then the worker reveals its results list (or another
        CID): its tiles are readable, and no verdict has been given."""
        seat = self.seats[worker]
        seat.verifier = draw(self.m, self.job_id, worker)
        seal(self.m, self.job_id, worker, seat.verifier, EVIDENCE)
        self.m.client.reveal_results(worker, self.job_id, results_cid or seat.results_cid)

    def verdict(self, worker: str, passed: bool) -> None:
        """The seat's verifier attests: a pass accepts its tiles, a fail refuses them."""
        verifier = self.seats[worker].verifier
        assert verifier is not None
        self.m.client.attest(verifier, self.job_id, worker, passed, EVIDENCE)

    def frame_tiles(self, position: int) -> dict[int, Pixels]:
        """The tiles of the frame at `position`, by index in the frame's grid."""
        per = self.manifest.tile_count
        return {t - position * per: p for t, p in self.tiles.items() if t // per == position}


def gradient(manifest: RenderManifest, job_tile: int, shift: float = 0.0) -> Pixels:
    """The made-up pixels of a job tile: part of a smooth gradient over its frame."""
    per = manifest.tile_count
    position, rect = job_tile // per, manifest.tiles()[job_tile % per]
    width, height = manifest.resolution.width, manifest.resolution.height
    y, x = np.mgrid[rect.y : rect.y_end, rect.x : rect.x_end].astype(np.float32)
    pixels = np.empty((rect.height, rect.width, 4), dtype=np.float32)
    pixels[..., 0] = 0.05 + 0.6 * x / width
    pixels[..., 1] = 0.1 + 0.5 * y / height
    pixels[..., 2] = np.float32(0.1 + 0.2 * position + shift)
    pixels[..., 3] = 1.0
    return pixels


def results_list(
    ipfs: KuboClient,
    work: Path,
    job: TiledJob,
    worker: str,
    first: int,
    count: int,
    shift: float = 0.0,
) -> tuple[ResultsList, str]:
    """A results list of tiles `first..first+count-1` (pixels `gradient(shift)`), published."""
    entries = []
    for index in range(first, first + count):
        pixels = gradient(job.manifest, index, shift)
        path = write_exr(work / f"job-{job.job_id}-{worker[:8]}-{shift}-{index}.exr", pixels)
        if shift == 0.0:
            job.tiles[index] = read_exr(path)
        entries.append(
            ResultTile(index=index, cid=ipfs.add_file(path), pixel_hash=pixel_hash(read_exr(path)))
        )
    results = ResultsList(
        job_id=job.job_id, worker=worker, manifest_cid=job.manifest_cid, tiles=entries
    )
    return results, ipfs.add_bytes(canonical_json(results.model_dump(mode="json")))


def tiled_job(
    m: Market,
    ipfs: KuboClient,
    work: Path,
    frames: list[int],
    bids: list[Bid],
    width: int = 32,
    height: int = 24,
    scene_cid: str | None = None,
    **fields: Any,
) -> TiledJob:
    """A job of `frames` (2 x 2 tiles each, other manifest `fields` as given) sold to `bids`,
    each seat's results on IPFS, none committed yet."""
    work.mkdir(parents=True, exist_ok=True)
    manifest = build_manifest(
        scene_cid=scene_cid or ipfs.add_bytes(b"no scene: nobody renders this job"),
        frames=frames, resolution={"width": width, "height": height},
        tile_grid={"columns": 2, "rows": 2}, samples=1,
        verification={"patch_size": 8, "patch_count": 4}, **fields,
    )  # fmt: skip
    manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    tiles = manifest.job_tile_count
    terms = params(tiles=tiles).model_copy(update={"frame_count": len(frames)})
    job_id, _ = m.client.post_job(m.artist, terms, manifest_cid)
    for b in bids:
        b.tiles = min(b.tiles, tiles)
        commit_bid(m, job_id, b)
    m.advance(BID_WINDOW + 1)
    for b in bids:
        m.client.reveal_bid(b.bidder, job_id, b.price, b.tiles, b.salt)
    m.advance(REVEAL_WINDOW + 1)
    m.client.settle(m.artist, job_id)
    job = TiledJob(m, ipfs, job_id, manifest, manifest_cid, {})
    for b in bids:
        seat = m.client.seat(job_id, b.bidder)
        if seat.tile_count == 0:
            continue
        results, cid = results_list(ipfs, work, job, b.bidder, seat.first_tile, seat.tile_count)
        job.seats[b.bidder] = TiledSeat(b.bidder, seat.first_tile, seat.tile_count, results, cid)
    return job
