"""Manifests: validated, stored on IPFS as canonical JSON, addressed by their CID."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest

pytestmark = [pytest.mark.stack, pytest.mark.blender]


def _manifest(scene_cid: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "scene_cid": scene_cid,
        "frames": [1],
        "resolution": {"width": 64, "height": 48},
        "tile_grid": {"columns": 4, "rows": 3},
        "samples": 8,
        "seed": 3,
    }
    return {**fields, **changes}


@pytest.fixture
def scene_cid(api: TestClient, tiny_blend: Path) -> str:
    return str(api.post("/api/scenes", content=tiny_blend.read_bytes()).json()["cid"])


def test_a_manifest_is_stored_under_the_cid_anyone_can_recompute(
    api: TestClient, scene_cid: str, kubo: KuboClient
) -> None:
    answer = api.post("/api/manifests", json=_manifest(scene_cid))
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    expected = build_manifest(**_manifest(scene_cid))
    assert stored["cid"] == expected.cid()
    assert kubo.cat(stored["cid"]) == expected.canonical_json()
    assert api.get(f"/api/manifests/{stored['cid']}").json() == stored


def test_a_malformed_manifest_is_refused_with_the_field_at_fault(
    api: TestClient, scene_cid: str
) -> None:
    answer = api.post("/api/manifests", json=_manifest(scene_cid, samples=-4))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "samples" in error["message"]


def test_what_a_job_requires_of_the_hardware_is_stored_with_its_manifest(
    api: TestClient, scene_cid: str, kubo: KuboClient
) -> None:
    requirements = {"backend": "GPU", "min_vram_mib": 6_144, "cpu_fallback": False}
    answer = api.post("/api/manifests", json=_manifest(scene_cid, requirements=requirements))
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert stored["manifest"]["requirements"] == requirements
    assert stored["cid"] == build_manifest(**_manifest(scene_cid, requirements=requirements)).cid()
    assert api.get(f"/api/manifests/{stored['cid']}").json()["manifest"]["requirements"] == (
        requirements
    )
    # Left out, it asks for nothing: any backend, no GPU memory, the CPU may finish.
    plain = api.post("/api/manifests", json=_manifest(scene_cid)).json()
    assert plain["manifest"]["requirements"] == {
        "backend": "ANY",
        "min_vram_mib": 0,
        "cpu_fallback": True,
    }


@pytest.mark.parametrize(
    ("requirements", "field"),
    [
        ({"min_vram_mib": -1}, "requirements.min_vram_mib"),
        ({"backend": "VULKAN"}, "requirements.backend"),
        ({"min_vram_mib": 2**32}, "requirements.min_vram_mib"),
        ({"cpu_fallback": "sometimes"}, "requirements.cpu_fallback"),
        ({"gpus": 2}, "requirements.gpus"),
    ],
    ids=["negative-vram", "unknown-backend", "vram-past-uint32", "fallback-not-a-bool", "unknown"],
)
def test_a_requirement_the_market_cannot_meet_is_refused_naming_the_field(
    api: TestClient, scene_cid: str, requirements: dict[str, Any], field: str
) -> None:
    answer = api.post("/api/manifests", json=_manifest(scene_cid, requirements=requirements))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert f"body.{field}" in error["message"]


def test_a_grid_finer_than_the_frame_is_refused(api: TestClient, scene_cid: str) -> None:
    too_fine = _manifest(scene_cid, tile_grid={"columns": 100, "rows": 3})
    answer = api.post("/api/manifests", json=too_fine)
    assert answer.status_code == 422
    assert "tile_grid" in answer.text or "grid" in answer.json()["error"]["message"]


def test_a_manifest_for_a_scene_not_uploaded_here_is_refused(api: TestClient) -> None:
    stranger = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    answer = api.post("/api/manifests", json=_manifest(stranger))
    assert answer.status_code == 422
    assert "upload the .blend" in answer.json()["error"]["message"]


def test_a_body_that_is_not_json_is_refused(api: TestClient) -> None:
    answer = api.post(
        "/api/manifests", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"


def test_health_reports_ipfs_and_chain(api: TestClient) -> None:
    health = api.get("/api/health").json()
    assert health == {"status": "ok", "ipfs": "Kubo 0.43.1", "chain": "chain 31337"}
