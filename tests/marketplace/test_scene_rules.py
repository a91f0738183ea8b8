"""Intake refuses a scene that would not render as its artist saved it (another engine than
Cycles, outside files it does not carry) before storing anything, and says how to fix it or
which flag takes it as it is."""

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.scene_rules import engine_name, manifest_problem, missing_message
from tilefarm.adapters.blender.protocol import ExternalFile, SceneInfo
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import build_manifest

pytestmark = [pytest.mark.stack, pytest.mark.blender]

# A 32 x 24 scene with a camera and a cube, set to argv[-3]'s engine; with argv[-2] not "-",
# the cube's material reads that image (saved beside the .blend as a PNG, not packed). The
# camera is named argv[-1] so that every scene a test builds is a new one on IPFS.
BUILD = """
import sys
from pathlib import Path
import bpy

out, engine, texture, label = sys.argv[-4:]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.engine = engine
scene.render.resolution_x, scene.render.resolution_y = 32, 24
camera = bpy.data.objects.new(label, bpy.data.cameras.new("Camera"))
scene.collection.objects.link(camera)
camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
scene.camera = camera
bpy.ops.mesh.primitive_cube_add()
if texture != "-":
    path = Path(out).parent / texture
    path.parent.mkdir(parents=True, exist_ok=True)
    made = bpy.data.images.new("wood", 4, 4)
    made.filepath_raw, made.file_format = str(path), "PNG"
    made.save()
    bpy.data.images.remove(made)
    material = bpy.data.materials.new("Wood")
    material.node_tree.nodes.new("ShaderNodeTexImage").image = bpy.data.images.load(str(path))
    bpy.context.active_object.data.materials.append(material)
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def _scene(folder: Path, engine: str = "CYCLES", texture: str = "-") -> bytes:
    """A new scene's bytes (built by bpy in a process of its own)."""
    out = folder / f"{uuid.uuid4().hex}.blend"
    label = f"Camera {uuid.uuid4().hex}"
    build = [sys.executable, "-c", BUILD, str(out), engine, texture, label]
    subprocess.run(build, check=True, capture_output=True)
    return out.read_bytes()


def _error(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def _stored_nowhere(api: TestClient, kubo: KuboClient, data: bytes, folder: Path) -> None:
    cid = cid_of_bytes(data)
    assert cid not in kubo.pins()
    assert api.get(f"/api/scenes/{cid}").status_code == 404
    assert list((folder / "scratch").glob("*.blend")) == []


def _manifest(scene_cid: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "scene_cid": scene_cid,
        "frames": [1],
        "resolution": {"width": 32, "height": 24},
        "tile_grid": {"columns": 1, "rows": 1},
        "samples": 1,
    }
    return {**fields, **changes}


def test_a_scene_with_a_missing_texture_is_refused_listing_the_file_and_nothing_is_stored(
    api: TestClient, kubo: KuboClient, tmp_path: Path
) -> None:
    data = _scene(tmp_path, texture="textures/wood.png")
    error = _error(api.post("/api/scenes?filename=wood.blend", content=data))
    assert error["code"] == "missing_files"
    assert error["message"] == (
        "wood.blend names 1 file it does not carry: //textures/wood.png (image); pack them "
        "(File > External Data > Pack Resources) or upload with allow_missing=true"
    )
    assert error["details"] == {
        "missing_files": [
            {"kind": "image", "name": "wood.png", "path": "//textures/wood.png", "packed": False}
        ],
        "more": 0,
    }
    _stored_nowhere(api, kubo, data, tmp_path)


def test_a_scene_with_a_missing_texture_is_accepted_when_the_upload_allows_it(
    api: TestClient, kubo: KuboClient, tmp_path: Path
) -> None:
    data = _scene(tmp_path, texture="textures/wood.png")
    answer = api.post("/api/scenes?filename=wood.blend&allow_missing=true", content=data)
    assert answer.status_code == 201, answer.text
    info = answer.json()["info"]
    assert info["external_files"] == [
        {"kind": "image", "name": "wood.png", "path": "//textures/wood.png", "packed": False}
    ]
    assert info["engine"] == "CYCLES"
    assert info["colour"]["view_transform"] == "AgX"  # Blender's default since 4.0
    assert answer.json()["cid"] in kubo.pins()


def test_an_eevee_scene_is_refused_naming_its_engine_and_nothing_is_stored(
    api: TestClient, kubo: KuboClient, tmp_path: Path
) -> None:
    data = _scene(tmp_path, engine="BLENDER_EEVEE")
    error = _error(api.post("/api/scenes?filename=eevee.blend", content=data))
    assert error["code"] == "engine_not_cycles"
    assert error["message"].startswith("eevee.blend is set to render with Eevee;")
    assert "cycles_instead=true" in error["message"]
    assert error["details"] == {"engine": "BLENDER_EEVEE"}
    _stored_nowhere(api, kubo, data, tmp_path)


def test_a_scene_both_for_eevee_and_missing_files_is_refused_for_its_engine_first(
    api: TestClient, tmp_path: Path
) -> None:
    data = _scene(tmp_path, engine="BLENDER_WORKBENCH", texture="wood.png")
    error = _error(api.post("/api/scenes?filename=both.blend", content=data))
    assert error["code"] == "engine_not_cycles"
    assert "Workbench" in error["message"]
    error = _error(api.post("/api/scenes?filename=both.blend&cycles_instead=true", content=data))
    assert error["code"] == "missing_files"
    assert "//wood.png (image)" in error["message"]


def test_an_eevee_scene_rendered_with_cycles_instead_needs_a_manifest_that_says_so(
    api: TestClient, tmp_path: Path
) -> None:
    data = _scene(tmp_path, engine="BLENDER_EEVEE")
    answer = api.post("/api/scenes?filename=eevee.blend&cycles_instead=true", content=data)
    assert answer.status_code == 201, answer.text
    scene = answer.json()
    assert scene["info"]["engine"] == "BLENDER_EEVEE"
    error = _error(api.post("/api/manifests", json=_manifest(scene["cid"])))
    assert error["code"] == "engine_not_cycles"
    assert "set cycles_instead to true in the manifest" in error["message"]
    answer = api.post("/api/manifests", json=_manifest(scene["cid"], cycles_instead=True))
    assert answer.status_code == 201, answer.text
    assert answer.json()["manifest"]["cycles_instead"] is True


def test_engines_are_named_as_blenders_interface_names_them() -> None:
    assert engine_name("BLENDER_EEVEE") == "Eevee"
    assert engine_name("BLENDER_EEVEE_NEXT") == "Eevee"  # as Blender 4.2 to 4.4 saved it
    assert engine_name("BLENDER_WORKBENCH") == "Workbench"
    assert engine_name("OCTANE") == "OCTANE"  # an add-on's engine: its own id


def test_a_refusal_names_ten_files_and_counts_the_rest() -> None:
    missing = [
        ExternalFile(kind="image", name=f"t{k}", path=f"//t{k}.png", packed=False)
        for k in range(12)
    ] + [ExternalFile(kind="library", name="set", path="//set.blend", packed=False)]
    message = missing_message("big.blend", missing, more=4)
    assert message.startswith("big.blend names at least 13 files it does not carry: //t0.png")
    assert "//t9.png (image) and 3 more; pack them" in message
    assert "//t10.png" not in message
    assert "make linked data local" in message  # a library cannot be packed like an image


def test_a_manifest_in_another_working_space_than_the_scenes_is_refused() -> None:
    colour = {"view_transform": "AgX", "look": "None", "exposure": 0.0, "gamma": 1.0,
              "display_device": "sRGB", "working_space": "ACEScg"}  # fmt: skip
    info = SceneInfo(scene="Scene", frame_start=1, frame_end=1, fps=24, width=64, height=48,
                     resolution_percentage=100, camera="Camera", engine="CYCLES", samples=4,
                     colour=colour)  # fmt: skip
    fields: dict[str, Any] = {
        "scene_cid": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        "frames": [1],
        "samples": 4,
        "resolution": {"width": 64, "height": 48},
        "tile_grid": {"columns": 1, "rows": 1},
    }
    problem = manifest_problem(info, build_manifest(**fields))
    assert problem is not None and "'ACEScg'" in problem.message
    same = build_manifest(**fields, colour={"working_space": "ACEScg"})
    assert manifest_problem(info, same) is None
