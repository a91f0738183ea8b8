"""Patch selection: deterministic from the chain's seed, spread over the worker's tiles, and
enough to catch a worker that fakes a tenth of its pixels."""

import pytest
from eth_hash.auto import keccak

from tilefarm.job_tiles import locate
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.patches import PatchSelectionError, patches_for, select_patches
from tilefarm.tiles import Rect, TileError, patches_in_tile

SCENE = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _manifest(frames: list[int] | None = None, patch_count: int = 44) -> RenderManifest:
    return build_manifest(
        scene_cid=SCENE,
        frames=frames or [1, 2],
        resolution={"width": 320, "height": 240},
        tile_grid={"columns": 4, "rows": 4},
        samples=16,
        verification={"patch_size": 16, "patch_count": patch_count},
    )


def _seed(n: int) -> bytes:
    return keccak(b"block %d" % n)


def test_the_same_seed_gives_the_same_patches_and_another_seed_others() -> None:
    manifest = _manifest()
    tiles = list(range(8, 24))
    first = select_patches(_seed(1), manifest, tiles)
    assert first == select_patches(_seed(1), manifest, list(reversed(tiles)))
    assert first != select_patches(_seed(2), manifest, tiles)


def test_patches_lie_inside_the_workers_own_tiles() -> None:
    manifest = _manifest()
    tiles = [3, 4, 5, 17, 30]
    for choice in select_patches(_seed(3), manifest, tiles, count=40):
        assert choice.job_tile in tiles
        where = locate(manifest, choice.job_tile)
        assert (choice.frame, choice.tile) == (where.frame, where.tile)
        assert where.rect.contains(choice.rect)
        assert choice.rect.width == choice.rect.height == 16


def test_few_patches_fall_on_as_many_distinct_tiles() -> None:
    chosen = select_patches(_seed(4), _manifest(), list(range(32)), count=20)
    assert len({c.job_tile for c in chosen}) == 20


def test_no_patch_is_checked_twice_and_the_count_is_capped_by_what_exists() -> None:
    manifest = _manifest()
    everything = select_patches(_seed(5), manifest, [0], count=10_000)
    assert len(everything) == len({c.rect for c in everything}) == 20  # 80x60 tile, 16 px patches


def test_a_tiles_patches_are_spread_one_per_band_of_its_patch_grid() -> None:
    manifest = _manifest(frames=[1])
    rects = manifest.tiles()
    for n in range(20):
        chosen = select_patches(_seed(100 + n), manifest, list(range(16)), count=50)
        per_tile: dict[int, list[int]] = {}
        for c in chosen:
            grid = patches_in_tile(rects[c.tile], 16)  # 20 positions, row-major
            per_tile.setdefault(c.tile, []).append(grid.index(c.rect))
        assert sorted(len(p) for p in per_tile.values()) == [3] * 14 + [4] * 2  # 50 dealt to 16
        for positions in per_tile.values():
            k = len(positions)  # band j holds positions j*20//k up to (j+1)*20//k, exclusive
            assert all(j * 20 // k <= p < (j + 1) * 20 // k for j, p in enumerate(positions))


def test_44_patches_catch_a_tenth_of_faked_pixels_99_percent_of_the_time() -> None:
    assert patches_for(0.10, 0.99) == 44
    manifest = _manifest(frames=[1])
    worker_tiles = list(range(16))
    # A cheater fakes one contiguous band: 10% of the frame's rows, full width.
    faked = Rect(x=0, y=100, width=320, height=24)

    def overlaps(a: Rect, b: Rect) -> bool:
        return a.x < b.x_end and b.x < a.x_end and a.y < b.y_end and b.y < a.y_end

    trials = 400
    caught = sum(
        any(overlaps(c.rect, faked) for c in select_patches(_seed(n), manifest, worker_tiles))
        for n in range(trials)
    )
    assert caught / trials >= 0.99


def test_bad_inputs_are_refused_with_a_reason() -> None:
    manifest = _manifest()
    with pytest.raises(PatchSelectionError, match="32 bytes"):
        select_patches(b"short", manifest, [0])
    with pytest.raises(PatchSelectionError, match="holds no tiles"):
        select_patches(_seed(0), manifest, [])
    with pytest.raises(TileError, match=r"outside 0\.\.31"):
        select_patches(_seed(0), manifest, [32])
    with pytest.raises(PatchSelectionError, match="repeat"):
        select_patches(_seed(0), manifest, [1, 1])


def test_job_tiles_run_frame_major_across_the_manifests_frames() -> None:
    manifest = _manifest(frames=[10, 20])
    assert manifest.job_tile_count == 32
    last = locate(manifest, 31)
    assert (last.frame, last.tile) == (20, 15)
    assert last.rect == manifest.tiles()[15]
    assert locate(manifest, 16).frame == 20
