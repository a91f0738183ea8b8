"""Scene intake: `.blend` in, what Blender read from it out, bytes on IPFS."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.scene_memory import suggested_min_vram_mib
from tests.marketplace.conftest import server_settings
from tilefarm.adapters.blender.protocol import SCENE_MEMORY_MAX, SceneInfo
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.hardware import MAX_VRAM_MIB
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.stack, pytest.mark.blender]


def test_an_uploaded_blend_is_read_by_blender_and_stored_on_ipfs(
    api: TestClient, tiny_blend: Path, kubo: KuboClient
) -> None:
    data = tiny_blend.read_bytes()
    answer = api.post("/api/scenes?filename=tiny.blend", content=data)
    assert answer.status_code == 201, answer.text
    scene = answer.json()
    assert scene["cid"] == cid_of_bytes(data)
    assert scene["filename"] == "tiny.blend"
    assert scene["size"] == len(data)
    assert scene["info"]["camera"]
    assert scene["info"]["width"] > 0 and scene["info"]["height"] > 0
    assert scene["info"]["frame_end"] >= scene["info"]["frame_start"]
    assert kubo.cat(scene["cid"]) == data
    assert api.get(f"/api/scenes/{scene['cid']}").json() == scene


def test_the_same_scene_uploaded_twice_is_one_scene(api: TestClient, tiny_blend: Path) -> None:
    first = api.post("/api/scenes", content=tiny_blend.read_bytes()).json()
    second = api.post("/api/scenes?filename=again.blend", content=tiny_blend.read_bytes()).json()
    assert second == first


def test_a_file_that_is_not_a_blend_is_refused_with_a_reason(api: TestClient) -> None:
    answer = api.post("/api/scenes?filename=photo.png", content=b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_file"
    assert "not a Blender file" in answer.json()["error"]["message"]


def test_an_empty_upload_is_refused(api: TestClient) -> None:
    answer = api.post("/api/scenes", content=b"")
    assert answer.status_code == 415


def test_a_truncated_blend_is_refused_without_hurting_the_server(
    api: TestClient, tiny_blend: Path
) -> None:
    truncated = tiny_blend.read_bytes()[:2000]
    answer = api.post("/api/scenes?filename=cut.blend", content=truncated)
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert message.startswith("cut.blend could not be read by Blender")
    assert "/tmp" not in message  # server paths stay private
    assert api.get("/api/health").status_code == 200


def _small_server(devnet: StackStatus, tmp_path: Path) -> TestClient:
    return TestClient(create_app(server_settings(devnet, tmp_path, max_scene_bytes=4096)))


def test_an_oversized_upload_is_refused_with_413(devnet: StackStatus, tmp_path: Path) -> None:
    with _small_server(devnet, tmp_path) as small:
        answer = small.post("/api/scenes", content=b"BLENDER" + bytes(10_000))
        assert answer.status_code == 413
        assert answer.json()["error"]["message"].endswith("scenes may be at most 4 KiB")
        assert answer.json()["error"]["code"] == "payload_too_large"


def test_an_oversized_upload_without_a_length_is_cut_off_while_streaming(
    devnet: StackStatus, tmp_path: Path
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"BLENDER"
        for _ in range(10):
            yield bytes(1000)

    with _small_server(devnet, tmp_path) as small:
        answer = small.post("/api/scenes", content=chunks())
        assert answer.status_code == 413
        assert "more than" in answer.json()["error"]["message"]
    assert list((tmp_path / "scratch").glob("*.blend")) == []  # nothing left behind


def test_an_unknown_scene_is_404_and_a_malformed_cid_is_422(api: TestClient) -> None:
    unknown = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    answer = api.get(f"/api/scenes/{unknown}")
    assert answer.status_code == 404
    assert unknown in answer.json()["error"]["message"]
    assert api.get("/api/scenes/not-a-cid").status_code == 422


@pytest.fixture(scope="module")
def textured_blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cube with two packed textures, a generated one and one whose file is gone (tests/
    marketplace/textured_blend.py, run with the venv's bpy in a process of its own)."""
    out = tmp_path_factory.mktemp("textured") / "textured.blend"
    helper = Path(__file__).with_name("textured_blend.py")
    subprocess.run([sys.executable, str(helper), str(out)], check=True, capture_output=True)
    return out


def test_an_uploaded_scene_says_what_its_textures_and_geometry_need_in_memory(
    api: TestClient, textured_blend: Path
) -> None:
    # `gone.png` is not in the .blend: uploaded as it is, with the artist's consent.
    url = "/api/scenes?filename=textured.blend&allow_missing=true"
    answer = api.post(url, content=textured_blend.read_bytes())
    assert answer.status_code == 201, answer.text
    scene = answer.json()
    assert scene["info"]["memory"] == {
        # A 256 x 128 RGBA PNG as bytes, a 64 x 32 RGB EXR as floats padded to RGBA, and the
        # 32 x 16 RGBA floats Blender generates.
        "textures_bytes": 256 * 128 * 4 * 1 + 64 * 32 * 4 * 4 + 32 * 16 * 4 * 4,
        "images": 3,
        "images_missing": 1,  # an external file that was not packed into the .blend
        "vertices": 8,
        "triangles": 12,
        "geometry_bytes": 8 * 32 + 12 * 128,  # the child's VERTEX_BYTES and TRIANGLE_BYTES
    }
    # Under a MiB of data: Cycles' 512 MiB of its own and the margin round up to 768 MiB.
    assert scene["min_vram_mib"] == 768
    assert api.get(f"/api/scenes/{scene['cid']}").json() == scene


def test_the_suggested_gpu_memory_grows_with_the_estimate_and_is_0_when_nothing_is_known() -> None:
    info = {
        "scene": "Scene", "frame_start": 1, "frame_end": 1, "fps": 24.0, "width": 1920,
        "height": 1080, "resolution_percentage": 100, "camera": "Camera", "engine": "CYCLES",
        "samples": 64,
    }  # fmt: skip
    assert suggested_min_vram_mib(SceneInfo.model_validate(info)) == 0  # read before estimates
    memory = {"textures_bytes": 0, "geometry_bytes": 0, "images": 0, "triangles": 0}
    empty = suggested_min_vram_mib(SceneInfo.model_validate({**info, "memory": memory}))
    # 512 MiB of Cycles' own and a 1920 x 1080 frame's buffers (about 127 MiB).
    assert empty == 768
    gib = {**memory, "textures_bytes": 4 << 30, "geometry_bytes": 2 << 30}
    heavy = suggested_min_vram_mib(SceneInfo.model_validate({**info, "memory": gib}))
    assert heavy == 9 * 1024 + 768  # 6 GiB x 1.5, then as above
    assert heavy % 256 == 0


def _hostile(kind: str, out: Path, *args: str) -> Path:
    """A scene from tests/marketplace/hostile_blend.py, built in a bpy process of its own."""
    helper = Path(__file__).with_name("hostile_blend.py")
    subprocess.run([sys.executable, str(helper), kind, str(out), *args], check=True)
    return out


def test_a_scene_with_endless_subdivisions_is_estimated_at_a_bound_never_a_server_error(
    api: TestClient, tmp_path: Path
) -> None:
    # 46 modifiers of 11 render levels each: 4^506 times the cube's geometry, unbounded.
    blend = _hostile("subdivided", tmp_path / "subdivided.blend")
    answer = api.post("/api/scenes?filename=subdivided.blend", content=blend.read_bytes())
    assert answer.status_code == 201, answer.text
    scene = answer.json()
    memory = scene["info"]["memory"]
    # The render's extra levels count at most 8 in all: the cube's 8 vertices and 12 triangles
    # 4^8 times over.
    assert (memory["vertices"], memory["triangles"]) == (8 * 4**8, 12 * 4**8)
    assert memory["geometry_bytes"] == 8 * 4**8 * 32 + 12 * 4**8 * 128
    # 112 MiB of geometry x 1.5, Cycles' 512 MiB and the frame's buffers: 768 MiB.
    assert scene["min_vram_mib"] == 768
    assert api.get(f"/api/scenes/{scene['cid']}").json() == scene


def test_an_estimate_past_any_bound_saturates() -> None:
    info = {
        "scene": "Scene", "frame_start": 1, "frame_end": 1, "fps": 24.0, "width": 1920,
        "height": 1080, "resolution_percentage": 100, "camera": "Camera", "engine": "CYCLES",
        "samples": 64,
    }  # fmt: skip
    # As a server before the bound stored it: every figure far past what a float holds.
    huge = {"textures_bytes": 2**1031, "geometry_bytes": 2**1031, "images": 2**1031}
    memory = {**huge, "images_missing": 2**1031, "vertices": 2**1031, "triangles": 2**1031}
    read = SceneInfo.model_validate({**info, "memory": memory})
    assert read.memory is not None
    assert set(read.memory.model_dump().values()) == {SCENE_MEMORY_MAX}
    assert suggested_min_vram_mib(read) == MAX_VRAM_MIB
    assert SCENE_MEMORY_MAX == 2**53  # what a browser's JSON number holds exactly


def test_an_image_outside_the_blend_is_never_read_from_the_servers_disk(
    devnet: StackStatus, tmp_path: Path
) -> None:
    # The image is a real PNG on this machine at an absolute path the .blend names; the scene's
    # geometry nodes keep their grid only if Blender reads it.
    image = tmp_path / "on-the-server.png"
    blend = _hostile("external", tmp_path / "external.blend", str(image)).read_bytes()
    assert image.is_file()

    def upload(state: str) -> dict[str, object]:
        with TestClient(create_app(server_settings(devnet, tmp_path / state))) as client:
            url = "/api/scenes?filename=external.blend&allow_missing=true"
            answer = client.post(url, content=blend)
        assert answer.status_code == 201, answer.text
        memory: dict[str, object] = answer.json()["info"]["memory"]
        return memory

    there = upload("with-the-file")
    assert there["images"] == 0 and there["images_missing"] == 1
    assert there["textures_bytes"] == 0
    image.unlink()
    assert upload("without-the-file") == there


def test_an_upload_that_waits_too_long_for_a_free_inspection_is_told_when_to_retry(
    devnet: StackStatus, tmp_path: Path, tiny_blend: Path
) -> None:
    settings = server_settings(devnet, tmp_path, inspect_concurrency=1, inspect_wait_seconds=0.2)
    with TestClient(create_app(settings)) as client:
        slots = client.app.state.services.intake.slots  # type: ignore[attr-defined]
        client.portal.call(slots.acquire)  # type: ignore[union-attr]  # a child reading a scene
        busy = client.post("/api/scenes?filename=tiny.blend", content=tiny_blend.read_bytes())
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "busy"
        assert "try again" in busy.json()["error"]["message"]
        assert int(busy.headers["retry-after"]) >= 1
        assert list((tmp_path / "scratch").glob("*.blend")) == []  # the upload is not kept
        client.portal.call(slots.release)  # type: ignore[union-attr]  # that child is done
        answer = client.post("/api/scenes?filename=tiny.blend", content=tiny_blend.read_bytes())
        assert answer.status_code == 201, answer.text
