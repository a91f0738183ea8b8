"""The scene `make demo` posts: it builds, reads as 480x270 over 24 frames, and its frames are
lit and move (a small, cheap render of two of them)."""

from pathlib import Path

import numpy as np
import pytest

from tilefarm.adapters.blender import BlenderChild
from tilefarm.cids import cid_of_file
from tilefarm.manifest import build_manifest
from tilefarm.pixels import read_exr
from tilefarm.tiles import Rect
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.blender]


def test_showcase_scene_renders_lit_frames_that_move(tmp_path: Path):
    blend = build_builtin_scene("showcase", tmp_path / "showcase.blend")
    manifest = build_manifest(
        scene_cid=cid_of_file(blend), frames=[1, 24], resolution={"width": 96, "height": 54},
        tile_grid={"columns": 1, "rows": 1}, samples=2,
    )  # fmt: skip
    whole = Rect(x=0, y=0, width=96, height=54)
    with BlenderChild(threads=2) as child:
        opened = child.open(blend, manifest)
        first, last = (
            read_exr(child.render_regions(f, [(f"f{f}", whole)], tmp_path / "out")[0].path)
            for f in (1, 24)
        )
    assert (opened.info.frame_start, opened.info.frame_end) == (1, 24)
    assert (opened.info.width, opened.info.height, opened.info.camera) == (480, 270, "Camera")
    for pixels in (first, last):
        assert pixels.shape == (54, 96, 4)
        assert 0.05 < float(pixels[..., :3].mean()) < 0.9  # lit, not blown out
    assert float(np.abs(first - last)[..., :3].mean()) > 0.01  # the camera and the ball move
