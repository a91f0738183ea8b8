"""Fixtures for real bpy renders: the tiny scene is built once per session, and one long-lived
child keeps it open for every test that only reads from it."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild, ChildLimits, Sandbox
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm_cli.scenes import build_builtin_scene

HELPER = Path(__file__).with_name("hostile_blend.py")
SCENE_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def run_helper(*args: str) -> subprocess.CompletedProcess[str]:
    """Run hostile_blend.py (which imports bpy itself) in its own process."""
    return subprocess.run(
        [sys.executable, str(HELPER), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def tiny_manifest(**overrides: object) -> RenderManifest:
    """64x48, 8 samples: enough noise that seed, samples or tiling errors show in every tile."""
    fields: dict[str, object] = {
        "scene_cid": SCENE_CID,
        "frames": [1, 2],
        "resolution": {"width": 64, "height": 48},
        "tile_grid": {"columns": 3, "rows": 2},
        "samples": 8,
        "seed": 11,
    }
    fields.update(overrides)
    return build_manifest(**fields)


@pytest.fixture(scope="session")
def tiny_blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_builtin_scene("tiny", tmp_path_factory.mktemp("scenes") / "tiny.blend")


@pytest.fixture(scope="session")
def manifest() -> RenderManifest:
    return tiny_manifest()


@pytest.fixture(scope="session")
def child(tiny_blend: Path, manifest: RenderManifest) -> Iterator[BlenderChild]:
    """One long-lived child with the tiny scene open, two threads, no network."""
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS, limits=ChildLimits(wall_seconds=120)) as c:
        c.open(tiny_blend, manifest)
        yield c


@pytest.fixture(scope="session")
def spare_child() -> Iterator[BlenderChild]:
    """A second long-lived child for requests that replace the open scene (inspect, build,
    devices, probes), so `child` keeps the tiny scene open whatever the test order."""
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS, limits=ChildLimits(wall_seconds=120)) as c:
        yield c
