"""Before upload, `tilefarm submit` makes a copy of the artist's .blend that carries its own
assets (`BlenderChild.pack_copy`): what Blender can pack is packed, linked libraries' data is made
local, caches are still reported, and the artist's file is never written."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.blender import BlenderChild
from tilefarm.adapters.blender.protocol import CopyPacked, SceneInfo

HELPER = Path(__file__).with_name("scene_files_blend.py")


def _build(*args: str) -> None:
    subprocess.run([sys.executable, str(HELPER), *args], check=True, capture_output=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, CopyPacked, SceneInfo]:
    """The rich scene of scene_files_blend.py (a texture beside it, a linked library, a font, a
    sound, caches), copied with its assets and the copy inspected as the server would."""
    folder = tmp_path_factory.mktemp("pack-copy")
    (folder / "library").mkdir()
    (folder / "scene").mkdir()
    library, blend = folder / "library" / "library.blend", folder / "scene" / "scene.blend"
    _build("library", str(library))
    _build("scene", str(blend), str(library))
    before = _digest(blend)
    with BlenderChild() as child:
        # The library's own texture lies beside it, outside the scene's folder: named.
        result = child.pack_copy(blend, folder / "upload.blend", [folder / "library"])
        info = child.inspect(folder / "upload.blend")
    return blend, before, result, info


def test_the_artists_file_is_only_read(packed: tuple[Path, str, CopyPacked, SceneInfo]) -> None:
    blend, before, _result, _info = packed
    assert _digest(blend) == before


def test_textures_fonts_and_sounds_travel_inside_the_copy(
    packed: tuple[Path, str, CopyPacked, SceneInfo],
) -> None:
    _blend, _before, result, info = packed
    carried = {(f.kind, Path(f.path).name) for f in info.external_files if f.packed}
    assert {("image", "wood.png"), ("image", "label.png"), ("sound", "beep.wav")} <= carried
    assert any(kind == "font" for kind, _name in carried)
    assert {(f.kind, Path(f.path).name) for f in result.packed} == carried


def test_a_linked_librarys_data_is_made_local_with_its_texture(
    packed: tuple[Path, str, CopyPacked, SceneInfo],
) -> None:
    _blend, _before, result, info = packed
    assert result.made_local > 0
    assert not [f for f in info.external_files if f.kind == "library"]
    assert ("image", "rock.png") in {(f.kind, Path(f.path).name) for f in result.packed}


def test_caches_blender_cannot_pack_are_still_reported(
    packed: tuple[Path, str, CopyPacked, SceneInfo],
) -> None:
    _blend, _before, result, info = packed
    assert result.still_missing, "the scene's disk caches cannot travel inside a .blend"
    assert {f.kind for f in result.still_missing} <= {"cache", "volume", "movie_clip"}
    assert [f.path for f in info.missing_files] == [f.path for f in result.still_missing]


def test_files_outside_the_scenes_folder_are_packed_only_from_folders_named(
    packed: tuple[Path, str, CopyPacked, SceneInfo], tmp_path: Path
) -> None:
    # A downloaded scene may name `//../../.ssh/id_ed25519` as a texture: never published
    # unless its folder is named. Here the library's texture lies in a sibling folder.
    blend, _before, _result, _info = packed
    with BlenderChild() as child:
        result = child.pack_copy(blend, tmp_path / "upload.blend")
    assert ("image", "rock.png") in {(f.kind, Path(f.path).name) for f in result.still_missing}
    assert ("image", "wood.png") in {(f.kind, Path(f.path).name) for f in result.packed}


# A tiled (UDIM) texture whose tile 1002 is a symlink to a file outside the scene's folder.
UDIM_SCENE = """
import os, sys
import bpy
root = sys.argv[1]
os.makedirs(f"{root}/scene/tex")
bpy.ops.wm.read_factory_settings(use_empty=True)
for path in (f"{root}/scene/tex/paint.1001.png", f"{root}/secret.png"):
    made = bpy.data.images.new("made", 4, 4)
    made.filepath_raw, made.file_format = path, "PNG"
    made.save()
    bpy.data.images.remove(made)
os.symlink(f"{root}/secret.png", f"{root}/scene/tex/paint.1002.png")
image = bpy.data.images.load(f"{root}/scene/tex/paint.1001.png")
image.source = "TILED"
image.filepath = "//tex/paint.<UDIM>.png"
image.tiles.new(tile_number=1002)
material = bpy.data.materials.new("Paint")
material.use_nodes = True
material.node_tree.nodes.new("ShaderNodeTexImage").image = image
mesh = bpy.data.meshes.new("Plane")
mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
mesh.materials.append(material)
bpy.context.scene.collection.objects.link(bpy.data.objects.new("Plane", mesh))
bpy.ops.wm.save_as_mainfile(filepath=f"{root}/scene/shot.blend", relative_remap=False)
"""


def test_a_udim_tile_linked_out_of_the_scenes_folder_keeps_the_whole_texture_out(
    tmp_path: Path,
) -> None:
    subprocess.run([sys.executable, "-c", UDIM_SCENE, str(tmp_path)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    with BlenderChild() as child:
        result = child.pack_copy(tmp_path / "scene" / "shot.blend", tmp_path / "upload.blend")
    assert [f.path for f in result.still_missing] == ["//tex/paint.<UDIM>.png"]
    assert not result.packed
