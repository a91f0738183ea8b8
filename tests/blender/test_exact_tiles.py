"""Tiles rendered with border + crop and stitched equal the whole-frame render bit for bit, and
hashes do not depend on the process or the thread count."""

from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild, RenderFailed, Sandbox
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import Pixels, pixel_hash, read_exr
from tilefarm.stitch import stitch_files
from tilefarm.tiles import Rect, patches_in_tile, tile_rects

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def whole_frame(child: BlenderChild, tmp_path_factory: pytest.TempPathFactory) -> Pixels:
    rendered = child.render_frame(1, tmp_path_factory.mktemp("whole"))
    pixels = read_exr(rendered.path)
    assert rendered.pixel_hash == pixel_hash(pixels)
    # The tiny scene must not be trivially flat, or equality would prove nothing.
    assert pixels[..., :3].std() > 0.05
    return pixels


@pytest.mark.parametrize(("columns", "rows"), [(3, 2), (4, 4), (5, 3), (7, 5)])
def test_stitched_tiles_equal_the_whole_frame_bit_for_bit(
    child: BlenderChild, whole_frame: Pixels, tmp_path: Path, columns: int, rows: int
):
    rects = tile_rects(64, 48, columns, rows)
    regions = [(f"t{i}", rect) for i, rect in enumerate(rects)]
    rendered = child.render_regions(1, regions, tmp_path)
    stitched = stitch_files([(r.rect, r.path) for r in rendered], 64, 48)
    assert stitched.tobytes() == whole_frame.tobytes()
    assert pixel_hash(stitched) == pixel_hash(whole_frame)


def test_render_tiles_follows_the_manifest_grid_and_reports_each_tile(
    child: BlenderChild, manifest: RenderManifest, whole_frame: Pixels, tmp_path: Path
):
    seen: list[str] = []
    rendered = child.render_tiles(1, None, tmp_path, on_progress=lambda r: seen.append(r.key))
    assert [r.rect for r in rendered] == manifest.tiles()
    assert seen == [r.key for r in rendered] == [f"tile-000001-{i:05d}" for i in range(6)]
    assert [r.index for r in rendered] == list(range(6))
    for r in rendered:
        crop = whole_frame[r.rect.y : r.rect.y_end, r.rect.x : r.rect.x_end]
        assert r.pixel_hash == pixel_hash(crop)


def test_a_patch_renders_the_same_pixels_as_the_tile_it_checks(
    child: BlenderChild, whole_frame: Pixels, tmp_path: Path
):
    tile = tile_rects(64, 48, 3, 2)[4]
    patches = patches_in_tile(tile, 8)[:3]
    rendered = child.render_regions(1, [(f"p{i}", p) for i, p in enumerate(patches)], tmp_path)
    for r in rendered:
        assert r.pixel_hash == pixel_hash(
            whole_frame[r.rect.y : r.rect.y_end, r.rect.x : r.rect.x_end]
        )


def test_same_hash_across_processes_and_thread_counts(
    tiny_blend: Path, manifest: RenderManifest, whole_frame: Pixels, tmp_path: Path
):
    with BlenderChild(threads=1, sandbox=Sandbox.NETNS) as other:
        other.open(tiny_blend, manifest)
        single_thread = other.render_frame(1, tmp_path)
    assert single_thread.pixel_hash == pixel_hash(whole_frame)


def test_seed_samples_and_frame_change_the_pixels(
    child: BlenderChild, tiny_blend: Path, whole_frame: Pixels, tmp_path: Path
):
    other_frame = child.render_frame(2, tmp_path / "frame2")
    assert other_frame.pixel_hash != pixel_hash(whole_frame)
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS) as other:
        other.open(tiny_blend, tiny_manifest(seed=12))
        wrong_seed = other.render_frame(1, tmp_path / "seed")
        other.open(tiny_blend, tiny_manifest(samples=4))
        fewer_samples = other.render_frame(1, tmp_path / "samples")
    assert wrong_seed.pixel_hash != pixel_hash(whole_frame)
    assert fewer_samples.pixel_hash != pixel_hash(whole_frame)


def test_frame_outside_the_manifest_or_region_outside_the_frame_is_refused(
    child: BlenderChild, tmp_path: Path
):
    with pytest.raises(RenderFailed, match="not in the manifest"):
        child.render_tiles(3, [0], tmp_path)
    with pytest.raises(RenderFailed, match="outside the frame"):
        child.render_regions(1, [("x", Rect(x=60, y=0, width=8, height=8))], tmp_path)
    with pytest.raises(RenderFailed, match="outside"):
        child.render_tiles(1, [6], tmp_path)


def test_a_long_lived_child_renders_later_frames_as_a_fresh_child_does(
    child: BlenderChild, tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    # The child keeps synced scene data between renders; moving to another frame must still give
    # exactly what a child that never rendered frame 1 gives.
    child.render_tiles(1, [0], tmp_path / "first")
    reused = child.render_tiles(2, [1, 4], tmp_path / "reused")
    with BlenderChild(threads=1, sandbox=Sandbox.NETNS) as fresh:
        fresh.open(tiny_blend, manifest)
        clean = fresh.render_tiles(2, [1, 4], tmp_path / "fresh")
    assert [r.pixel_hash for r in reused] == [r.pixel_hash for r in clean]


def test_blue_noise_sampling_is_exact_across_tiles_and_differs_from_sobol(
    tiny_blend: Path, whole_frame: Pixels, tmp_path: Path
):
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS) as other:
        other.open(tiny_blend, tiny_manifest(sampling_pattern="BLUE_NOISE"))
        whole = other.render_frame(1, tmp_path / "whole")
        tiles = other.render_regions(
            1, [(f"t{i}", r) for i, r in enumerate(tile_rects(64, 48, 5, 3))], tmp_path
        )
    stitched = stitch_files([(t.rect, t.path) for t in tiles], 64, 48)
    assert pixel_hash(stitched) == whole.pixel_hash
    assert whole.pixel_hash != pixel_hash(whole_frame)


def test_tiles_stay_scene_linear_whatever_the_view_transform(
    tiny_blend: Path, whole_frame: Pixels, tmp_path: Path
):
    # Colour management belongs to previews; the hashed EXR pixels must not depend on it.
    graded = tiny_manifest(colour={"view_transform": "AgX", "exposure": 1.5, "gamma": 0.8})
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS) as other:
        other.open(tiny_blend, graded)
        assert other.render_frame(1, tmp_path).pixel_hash == pixel_hash(whole_frame)
