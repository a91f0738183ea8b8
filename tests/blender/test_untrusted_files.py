"""Untrusted .blend files: Python inside them never runs, and broken files give clear errors
while the parent (and a shared child) keep working."""

from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild, BlendFileError, NoCameraError, Sandbox
from tilefarm.manifest import RenderManifest

from .conftest import run_helper, tiny_manifest

pytestmark = pytest.mark.blender

MARKERS = {"text", "driver", "handler"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A .blend with an auto-run text block (which registers a render handler) and a Python
    driver, each writing a marker file into `markers` when it runs."""
    root = tmp_path_factory.mktemp("hostile")
    markers = root / "markers"
    markers.mkdir()
    blend = root / "hostile.blend"
    run_helper("build-hostile", str(blend), str(markers))
    assert not any(markers.iterdir()), "building the file must not run its scripts"
    return blend, markers


def test_python_in_a_blend_does_not_run_when_the_child_renders_it(
    hostile: tuple[Path, Path], tmp_path: Path
):
    blend, markers = hostile
    manifest = tiny_manifest(
        resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 2}
    )
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        info = child.inspect(blend)
        child.open(blend, manifest)
        # Frame 2 then 1: frame changes re-evaluate drivers; rendering fires render handlers.
        child.render_frame(2, tmp_path)
        child.render_tiles(1, None, tmp_path)
    assert info.camera == "Camera"
    assert sorted(p.name for p in markers.iterdir()) == []


def test_control_the_same_blend_runs_all_three_scripts_when_trusted(
    hostile: tuple[Path, Path], tmp_path: Path
):
    # Without this control the test above could pass with a file whose scripts never work.
    # A fresh copy writes to its own marker folder, so the module's folder stays clean.
    _, markers = hostile
    trusted_markers = tmp_path / "markers"
    trusted_markers.mkdir()
    copy = tmp_path / "hostile.blend"
    run_helper("build-hostile", str(copy), str(trusted_markers))
    run_helper("render-trusted", str(copy), str(tmp_path / "out.exr"))
    assert {p.name for p in trusted_markers.iterdir()} == MARKERS
    assert not any(markers.iterdir())


def test_non_blend_file_is_refused_before_any_render(spare_child: BlenderChild, tmp_path: Path):
    png = tmp_path / "photo.blend"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(BlendFileError, match="not a Blender file"):
        spare_child.inspect(png)
    empty = tmp_path / "empty.blend"
    empty.write_bytes(b"")
    with pytest.raises(BlendFileError, match="empty"):
        spare_child.inspect(empty)


def test_garbage_with_a_blend_header_is_refused_by_the_child_which_survives(
    tiny_blend: Path, tmp_path: Path
):
    fake = tmp_path / "fake.blend"
    fake.write_bytes(b"BLENDER-v500" + b"\xde\xad\xbe\xef" * 500)
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        with pytest.raises(BlendFileError):
            child.inspect(fake)
        assert child.running
        assert child.inspect(tiny_blend).camera == "Camera"


@pytest.mark.parametrize("compressed", [True, False])
def test_truncated_blend_is_a_clear_error_and_the_child_survives(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path, compressed: bool
):
    source = tiny_blend
    if not compressed:
        source = tmp_path / "plain.blend"
        run_helper("build-uncompressed", str(tiny_blend), str(source))
        assert source.read_bytes().startswith(b"BLENDER")
    data = source.read_bytes()
    truncated = tmp_path / "truncated.blend"
    truncated.write_bytes(data[: len(data) * 9 // 10])
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        with pytest.raises(BlendFileError, match="truncated or damaged"):
            child.open(truncated, manifest)
        assert child.running
        child.open(source, manifest)


def test_scene_without_camera_is_a_clear_error(tmp_path: Path, manifest: RenderManifest):
    blend = tmp_path / "nocamera.blend"
    run_helper("build-no-camera", str(blend))
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        assert child.inspect(blend).camera is None
        with pytest.raises(NoCameraError, match="no active camera"):
            child.open(blend, manifest)
        assert child.running
