"""A shut-in child cannot use its parent to move files for it: the parent takes a confined
child's outputs from the outbox it made itself, under the names it chose, and a child that lies
about them (a symbolic link in place of its outbox, a tile's file reported under another tile's
name) is stopped with nothing read, written or removed outside its folder.

The lies are told by a hostile .blend's own Python running inside the real child (the test-only
`trust_scripts`, see `test_sandbox_escape.py`), which replaces the child's render
(`escape_blend.py`, `build-swap`).
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild, ChildLimits, Sandbox
from tilefarm.adapters.blender.errors import ChildCrashed, RenderFailed
from tilefarm.adapters.blender.sandbox import Confinement

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender

ESCAPE = Path(__file__).with_name("escape_blend.py")
SECRET = b"worker keystore: not for a stranger's scene"
# The tile the hostile child claims to have rendered into a symbolic link to the secret folder.
SWAPPED_TILE = "tile-000001-00002.exr"


@pytest.fixture(scope="module")
def secret_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the worker's: its keystore, and a file named as the tile the child lies about."""
    folder = tmp_path_factory.mktemp("secret")
    (folder / "key.json").write_bytes(SECRET)
    (folder / SWAPPED_TILE).write_bytes(SECRET)
    return folder


@pytest.fixture(scope="module")
def swap_blend(tmp_path_factory: pytest.TempPathFactory, secret_folder: Path) -> Path:
    blend = tmp_path_factory.mktemp("swap") / "swap.blend"
    subprocess.run(
        [sys.executable, str(ESCAPE), "build-swap", str(blend), str(secret_folder)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return blend


@pytest.fixture
def hostile(
    request: pytest.FixtureRequest, swap_blend: Path, secret_folder: Path
) -> Iterator[BlenderChild]:
    """A job's child, shut in as the worker shuts it in, with the hostile scene open; as
    `nobody` under root, or (param None) as the worker's own user, as a worker not run by root
    starts it."""
    user = getattr(request, "param", "nobody")
    with BlenderChild(
        sandbox=Sandbox.BWRAP,
        threads=1,
        limits=ChildLimits(wall_seconds=120),
        confinement=Confinement(hidden=(secret_folder,), user=user),
        trust_scripts=True,
    ) as child:
        child.open(swap_blend, tiny_manifest(samples=1))
        yield child


@pytest.mark.parametrize("hostile", ["nobody", None], indirect=True)
def test_a_child_that_swaps_its_outbox_for_a_link_gets_nothing_moved(
    hostile: BlenderChild, secret_folder: Path, tmp_path: Path
):
    tiles = tmp_path / "tiles"
    with pytest.raises(ChildCrashed, match="Blender child"):
        hostile.render_tiles(1, [2], tiles)
    assert (secret_folder / "key.json").read_bytes() == SECRET
    assert (secret_folder / SWAPPED_TILE).read_bytes() == SECRET
    assert [p for p in tiles.iterdir() if p.read_bytes() == SECRET] == []
    assert not hostile.running


def test_a_tile_reported_under_another_tiles_name_is_refused(hostile: BlenderChild, tmp_path: Path):
    tiles = tmp_path / "tiles"
    [first] = hostile.render_tiles(1, [0], tiles)
    before = first.path.read_bytes()
    with pytest.raises(ChildCrashed, match=r"tile-000001-00000\.exr"):
        hostile.render_tiles(1, [1], tiles)
    assert first.path.read_bytes() == before
    assert not (tiles / "tile-000001-00001.exr").exists()


def test_a_tile_file_of_another_size_is_refused_before_its_pixels_are_decoded(
    hostile: BlenderChild, tmp_path: Path
):
    with pytest.raises(RenderFailed, match="declares 64x48 pixels, not the expected 21x24"):
        hostile.render_tiles(1, [3], tmp_path)
