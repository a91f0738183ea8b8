"""The render manifest: one schema, clear validation errors, one canonical form and CID."""

import json

import pytest
from aleph_cid import CidHasher

from tilefarm.manifest import (
    ManifestError,
    RenderManifest,
    build_manifest,
    manifest_cid,
    parse_manifest,
)

SCENE_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def fields(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "scene_cid": SCENE_CID,
        "frames": [1, 2],
        "resolution": {"width": 64, "height": 48},
        "tile_grid": {"columns": 3, "rows": 2},
        "samples": 16,
        "seed": 7,
    }
    base.update(overrides)
    return base


def test_defaults_pin_every_pixel_deciding_setting():
    m = build_manifest(**fields())
    assert m.blender_version == "5.0.1"
    assert m.engine == "CYCLES"
    assert m.adaptive_sampling is False
    assert m.denoise_tiles is False
    assert m.output.file_format == "OPEN_EXR" and m.output.color_depth == "32"
    assert m.tile_count == 6 and len(m.tiles()) == 6


def test_canonical_json_is_sorted_compact_utf8_and_round_trips():
    m = build_manifest(**fields())
    data = m.canonical_json()
    compact = json.dumps(
        json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert data == compact and b"\n" not in data
    decoded = json.loads(data)
    assert list(decoded) == sorted(decoded)
    assert parse_manifest(data) == m
    assert parse_manifest(data).canonical_json() == data


def test_same_manifest_written_differently_has_one_cid():
    a = build_manifest(**fields(frames=[2, 1]))
    pretty = json.dumps(json.loads(a.canonical_json()), indent=4)
    b = parse_manifest(pretty)
    assert a.cid() == b.cid() == manifest_cid(b)


def test_cid_is_kubo_v1_raw_leaves_of_the_canonical_bytes():
    m = build_manifest(**fields())
    hasher = CidHasher.for_ipfs_v1_raw_leaves()
    hasher.update(m.canonical_json())
    assert m.cid() == hasher.finalize()
    assert m.cid().startswith("bafkrei")


def test_any_pixel_setting_changes_the_cid():
    base = build_manifest(**fields()).cid()
    assert build_manifest(**fields(seed=8)).cid() != base
    assert build_manifest(**fields(samples=17)).cid() != base


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"resolution": {"width": -64, "height": 48}}, "resolution.width"),
        ({"samples": 0}, "samples"),
        ({"samples": 10**9}, "less than or equal to 65536"),
        ({"blender_version": "4.5.0"}, "blender_version"),
        ({"tile_grid": {"columns": 65, "rows": 1}}, "empty tiles"),
        ({"frames": []}, "frames"),
        ({"frames": [1, 1]}, "must not repeat"),
        ({"scene_cid": "not-a-cid"}, "not an IPFS CID"),
        ({"adaptive_sampling": True}, "adaptive_sampling"),
        ({"denoise_tiles": True}, "denoise_tiles"),
        ({"output": {"codec": "DWAA"}}, "output.codec"),
        ({"engine": "BLENDER_EEVEE"}, "engine"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_manifest_gives_a_clear_error(override: dict[str, object], reason: str):
    with pytest.raises(ManifestError, match="invalid render manifest") as err:
        build_manifest(**fields(**override))
    assert reason in str(err.value)


def test_malformed_json_is_a_manifest_error():
    with pytest.raises(ManifestError):
        parse_manifest(b"{not json")


def test_manifest_is_immutable():
    m = build_manifest(**fields())
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type is internal
        m.samples = 1  # type: ignore[misc]
    assert isinstance(m, RenderManifest)


def test_tile_index_outside_grid_is_a_manifest_error():
    with pytest.raises(ManifestError, match="outside"):
        build_manifest(**fields()).tile(6)


def test_a_job_with_more_tiles_than_the_chain_counts_is_refused():
    # The contract counts a job's tiles (all frames) in a uint16: 65,535 at most.
    grid = {"columns": 64, "rows": 32}
    size = {"width": 1920, "height": 1080}
    too_many = fields(tile_grid=grid, resolution=size, frames=list(range(1, 33)))  # 32 x 2,048
    with pytest.raises(ManifestError, match=r"65,536 tiles over 32 frames.*at most 65,535"):
        build_manifest(**too_many)
    fits = build_manifest(**fields(tile_grid=grid, resolution=size, frames=list(range(1, 32))))
    assert fits.job_tile_count == 31 * 2048
