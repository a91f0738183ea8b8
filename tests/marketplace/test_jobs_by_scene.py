"""`GET /api/jobs?scene_cid=`: the jobs of one uploaded scene, found through the manifests stored
here (what the Blender add-on follows after its upload), over a real market on the devnet."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import Market, params
from tests.marketplace.test_chain_api import synced
from tilefarm.manifest import build_manifest
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]

SCENE = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
OTHER_SCENE = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


@pytest.fixture
def chain_api(devnet: StackStatus, tmp_path: Path, market: Market) -> Iterator[TestClient]:
    settings = server_settings(
        devnet, tmp_path / "server", deployments_file=market.deployments_file, poll_interval=0.05
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _stored_manifest(api: TestClient, scene_cid: str, samples: int) -> str:
    """A manifest of `scene_cid` stored here, as POST /api/manifests stores it; its CID."""
    manifest = build_manifest(
        scene_cid=scene_cid, frames=[1], resolution={"width": 32, "height": 24},
        tile_grid={"columns": 2, "rows": 2}, samples=samples,
    )  # fmt: skip
    services = api.app.state.services  # type: ignore[attr-defined]
    services.manifests.add(manifest.cid(), manifest)
    return manifest.cid()


def _ids(api: TestClient, **query: object) -> list[int]:
    answer = api.get("/api/jobs", params=query)
    assert answer.status_code == 200, answer.text
    return [item["job_id"] for item in answer.json()["items"]]


def test_jobs_are_found_by_the_scene_their_manifest_renders(
    chain_api: TestClient, market: Market
) -> None:
    c = market.client
    first_look = _stored_manifest(chain_api, SCENE, samples=1)
    second_look = _stored_manifest(chain_api, SCENE, samples=2)
    other = _stored_manifest(chain_api, OTHER_SCENE, samples=1)
    a, _ = c.post_job(market.artist, params(tiles=4), first_look)
    b, _ = c.post_job(market.artist, params(tiles=4), other)
    d, _ = c.post_job(market.artist, params(tiles=4), second_look)
    e, _ = c.post_job(market.artist, params(tiles=4), "bafy-never-stored-here")
    c.cancel_job(market.artist, d)
    synced(chain_api, market)

    assert _ids(chain_api, scene_cid=SCENE) == [d, a]  # both manifests of the scene, newest first
    assert _ids(chain_api, scene_cid=OTHER_SCENE) == [b]
    assert _ids(chain_api, scene_cid=SCENE, status="Bidding") == [a]
    assert _ids(chain_api, scene_cid=SCENE, limit=1) == [d]
    assert e in _ids(chain_api)  # listed without the filter, under no scene with it


def test_a_scene_with_no_jobs_lists_none_and_a_malformed_cid_is_refused(
    chain_api: TestClient,
) -> None:
    body = chain_api.get("/api/jobs", params={"scene_cid": SCENE}).json()
    assert body["items"] == [] and body["total"] == 0
    answer = chain_api.get("/api/jobs", params={"scene_cid": "not a cid"})
    assert answer.status_code == 422
    assert "scene_cid" in answer.text
