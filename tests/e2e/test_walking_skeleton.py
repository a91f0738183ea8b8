"""`make demo`'s walking skeleton on the real stack: Blender renders tiles, IPFS carries them,
the stitched frame comes back out."""

from pathlib import Path

import pytest

from tilefarm.demo import run_demo
from tilefarm.devnet import StackStatus
from tilefarm.ipfs import KuboClient, cid_digest
from tilefarm.merkle import merkle_root, tile_leaf
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.settings import TilefarmSettings

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs]


def test_demo_renders_tiles_through_ipfs_into_a_frame(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path: Path
) -> None:
    steps: list[str] = []
    result = run_demo(
        stack_settings, tmp_path, width=96, height=54, columns=3, rows=2, samples=4,
        on_step=steps.append,
    )  # fmt: skip
    assert len(result.tiles) == 6
    assert steps[0] == "starting the local stack" and "rendering 6 tiles" in steps

    assert devnet.ipfs_api_url is not None
    with KuboClient(devnet.ipfs_api_url) as kubo:
        assert kubo.cat(result.frame_png_cid) == result.frame_png.read_bytes()
        assert kubo.cat(result.frame_exr_cid) == result.frame_exr.read_bytes()
        leaves = []
        for tile in result.tiles:
            fetched = kubo.cat_to_file(tile.cid, tmp_path / "check" / f"{tile.index}.exr")
            assert pixel_hash(read_exr(fetched)) == tile.pixel_hash
            leaves.append(tile_leaf(tile.index, cid_digest(tile.cid), bytes.fromhex(tile.pixel_hash)))
    assert result.results_root == "0x" + merkle_root(leaves).hex()

    frame = read_exr(result.frame_exr)
    assert frame.shape == (54, 96, 4)
    assert frame[..., :3].max() > 0.05  # the scene is lit, not a blank frame
