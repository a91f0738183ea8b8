"""A scene saved with AgX, a look, exposure and Blender's dither: the PNG assembled from its tiles
(rendered as workers render them, stitched as the assembler writes frames) is the PNG Blender
itself writes for the whole frame, pixel for pixel, to the last bit.

Costs one scene build, four 24x16 tiles and one 48x32 frame at 4 samples, and three PNG saves
(a few seconds)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from tilefarm.adapters.blender import BlenderChild, Sandbox
from tilefarm.checks.audit.frames import write_frame_files
from tilefarm.colour import ColourManagement
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import read_exr
from tilefarm.stitch import FrameFiles, linear_to_srgb8

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender

HELPER = Path(__file__).with_name("blender_colour.py")


def blender(*args: str) -> dict[str, Any]:
    """Run a command of blender_colour.py (which imports bpy itself) in its own process."""
    done = subprocess.run(
        [sys.executable, str(HELPER), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def pixels(png: Path) -> npt.NDArray[np.uint8]:
    with Image.open(png) as image:
        assert image.mode == "RGBA"
        return np.asarray(image)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ColourManagement]:
    """The .blend and its colour settings as saved (what intake reads into the manifest)."""
    blend = tmp_path_factory.mktemp("agx") / "agx.blend"
    colour = ColourManagement.model_validate(blender("build-agx", str(blend)))
    assert (colour.view_transform, colour.look, colour.exposure) == ("AgX", "AgX - Punchy", 0.75)
    assert colour.dither_intensity == 1.0  # a new scene's dither
    return blend, colour


@pytest.fixture(scope="module")
def manifest(scene: tuple[Path, ColourManagement]) -> RenderManifest:
    return tiny_manifest(
        frames=[1],
        resolution={"width": 48, "height": 32},
        tile_grid={"columns": 2, "rows": 2},
        samples=4,
        colour=scene[1],
    )


@pytest.fixture(scope="module")
def child(scene: tuple[Path, ColourManagement], manifest: RenderManifest):
    with BlenderChild(threads=2, sandbox=Sandbox.NETNS, devices="CPU") as c:
        c.open(scene[0], manifest)
        yield c


@pytest.fixture(scope="module")
def assembled(
    child: BlenderChild, manifest: RenderManifest, tmp_path_factory: pytest.TempPathFactory
) -> FrameFiles:
    """Frame 1 rendered tile by tile and assembled as the assembler and auditor write frames."""
    out = tmp_path_factory.mktemp("assembled")
    tiles = child.render_tiles(1, None, out / "tiles")
    assert len(tiles) == 4
    files = {t.index: t.path for t in tiles if t.index is not None}
    return write_frame_files(manifest, files, out, "frame", child)


@pytest.fixture(scope="module")
def blenders_png(
    scene: tuple[Path, ColourManagement],
    manifest: RenderManifest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Blender's own render of the whole frame, written by Blender as an 8-bit PNG."""
    out = tmp_path_factory.mktemp("blender")
    (out / "manifest.json").write_bytes(manifest.canonical_json())
    png = out / "blender.png"
    saved_with = blender("render-png", str(scene[0]), str(out / "manifest.json"), "1", str(png))
    # The render was saved with the manifest's settings, dither included.
    assert ColourManagement.model_validate(saved_with) == manifest.colour
    return png


def test_assembled_agx_png_is_blenders_own_png_to_the_last_bit(
    assembled: FrameFiles, blenders_png: Path
):
    ours, theirs = pixels(assembled.png), pixels(blenders_png)
    assert ours.shape == theirs.shape == (32, 48, 4)
    # A picture, not a flat field.
    assert ours[..., :3].std() > 10
    assert np.array_equal(ours, theirs)


def test_another_view_or_no_dither_would_not_be_blenders_png(
    child: BlenderChild,
    manifest: RenderManifest,
    assembled: FrameFiles,
    blenders_png: Path,
    tmp_path: Path,
):
    theirs = pixels(blenders_png).astype(int)
    # The same frame through Standard (what a manifest without colour settings gives).
    standard = linear_to_srgb8(read_exr(assembled.exr)).astype(int)
    assert np.abs(standard - theirs).mean() > 2
    # Blender dithers before rounding to 8 bits: without it, pixels are one level off here
    # and there, no more.
    undithered = manifest.colour.model_copy(update={"dither_intensity": 0.0})
    png = child.preview(assembled.exr, tmp_path / "undithered.png", undithered)
    off = np.abs(pixels(png).astype(int) - theirs)
    assert off.max() == 1
    assert off.any()


def test_the_assembled_png_carries_no_date_and_is_the_same_bytes_written_again(
    child: BlenderChild, manifest: RenderManifest, assembled: FrameFiles, tmp_path: Path
):
    # The auditor writes the frame again from the same tiles and must get the server's CID.
    with Image.open(assembled.png) as image:
        image.load()
        # No date, render time or file name (PNG text chunks).
        assert not [key for key, value in image.info.items() if isinstance(value, str)]
    again = child.preview(assembled.exr, tmp_path / "again.png", manifest.colour)
    assert again.read_bytes() == assembled.png.read_bytes()
