"""What a real Blender child reads of the files a scene names outside itself, and of the look it
was saved with (`tilefarm/adapters/blender/scene_files.py`)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.blender.protocol import MAX_EXTERNAL_FILES, ExternalFile, SceneInfo

pytestmark = pytest.mark.blender

HELPER = Path(__file__).with_name("scene_files_blend.py")


def _build(*args: str) -> None:
    """A scene from tests/blender/scene_files_blend.py, built in a bpy process of its own."""
    subprocess.run([sys.executable, str(HELPER), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> SceneInfo:
    """The `scene` of scene_files_blend.py, its library beside it, inspected once."""
    folder = tmp_path_factory.mktemp("scene-files")
    (folder / "library").mkdir()
    (folder / "scene").mkdir()
    library, blend = folder / "library" / "library.blend", folder / "scene" / "scene.blend"
    _build("library", str(library))
    _build("scene", str(blend), str(library))
    with BlenderChild() as child:
        return child.inspect(blend)


def _named(info: SceneInfo, kind: str) -> list[ExternalFile]:
    return [f for f in info.external_files if f.kind == kind]


def test_a_texture_beside_the_blend_is_listed_as_not_carried(scene: SceneInfo) -> None:
    wood = ExternalFile(kind="image", name="wood", path="//textures/wood.png", packed=False)
    assert wood in scene.external_files
    assert wood in scene.missing_files


def test_a_packed_texture_is_listed_as_carried(scene: SceneInfo) -> None:
    label = ExternalFile(kind="image", name="label", path="//textures/label.png", packed=True)
    assert label in scene.external_files
    assert label not in scene.missing_files


def test_files_the_blend_does_not_carry_are_listed_first(scene: SceneInfo) -> None:
    carried = [f.packed for f in scene.external_files]
    assert carried == sorted(carried)
    assert carried[-1] is True and carried[0] is False


def test_a_linked_library_is_listed_and_nothing_read_from_it(scene: SceneInfo) -> None:
    library = ExternalFile(
        kind="library", name="library.blend", path="//../library/library.blend", packed=False
    )
    assert _named(scene, "library") == [library]
    # The library is on this disk, and Blender loaded its object and that object's texture:
    # they are the library's, so what they name is not listed (it would tell the uploader what
    # this disk holds).
    assert [f.name for f in _named(scene, "image")] == ["wood", "label"]
    assert scene.memory is not None
    assert scene.memory.images_missing == 1  # wood; nor does the estimate count the library's


def test_a_font_and_a_sound_are_listed(scene: SceneInfo) -> None:
    assert [(f.path, f.packed) for f in _named(scene, "font")] == [("//fonts/Inter.woff2", False)]
    assert _named(scene, "sound") == [
        ExternalFile(kind="sound", name="beep.wav", path="//sounds/beep.wav", packed=False)
    ]


def test_caches_kept_on_disk_are_listed_and_an_ocean_never_baked_is_not(scene: SceneInfo) -> None:
    blendcache = "//blendcache_[name of the .blend]/"  # the file's own name is not known there
    assert [(f.name, f.path) for f in _named(scene, "cache")] == [
        ("Baked: Chair", "//props/chair.obj"),  # a file geometry nodes import
        ("Sheet: Cloth", blendcache),
        ("Sheet: Soft", "//soft/"),
        ("Sheet: Mesh Cache", "//waves.pc2"),
        ("Sheet: Bake", "//bakes/"),
    ]
    assert not any(f.packed for f in _named(scene, "cache"))
    assert scene.external_files_more == 0


def test_the_scenes_look_and_frame_step_are_read_as_saved(scene: SceneInfo) -> None:
    assert scene.colour is not None
    assert scene.colour.model_dump() == {
        "view_transform": "AgX",
        "look": "AgX - Punchy",
        "exposure": 0.5,
        "gamma": 1.25,
        "display_device": "sRGB",
        "dither_intensity": 0.5,
        "working_space": "Linear Rec.709",
        "use_white_balance": False,
        "white_balance_temperature": 6500.0,
        "white_balance_tint": 10.0,
        "output_override": False,
    }
    assert (scene.frame_start, scene.frame_end, scene.frame_step) == (1, 9, 2)
    assert scene.engine == "BLENDER_EEVEE"


def test_renders_saved_with_their_own_colour_settings_are_read_from_those(
    tmp_path: Path,
) -> None:
    blend = tmp_path / "override.blend"
    _build("override", str(blend))
    with BlenderChild() as child:
        colour = child.inspect(blend).colour
    assert colour is not None
    assert colour.output_override is True
    assert (colour.view_transform, colour.look, colour.exposure) == (
        "Filmic",
        "Medium High Contrast",
        1.0,
    )
    assert colour.use_white_balance is True
    assert (colour.white_balance_temperature, colour.white_balance_tint) == (5000.0, 20.0)


def test_a_scene_naming_more_files_than_are_listed_counts_the_rest(tmp_path: Path) -> None:
    blend = tmp_path / "many.blend"
    _build("many", str(blend), str(MAX_EXTERNAL_FILES + 20))
    with BlenderChild() as child:
        info = child.inspect(blend)
    assert len(info.external_files) == MAX_EXTERNAL_FILES
    assert all(not f.packed for f in info.external_files)  # the ones not carried come first
    assert info.external_files_more == 20 + 1  # the rest, and the one packed image
    assert {len(f.path) for f in info.external_files} == {1000}


def test_a_file_geometry_nodes_import_is_listed_and_never_read_from_this_disk(
    tmp_path: Path,
) -> None:
    mesh, blend = tmp_path / "square.obj", tmp_path / "imports.blend"
    _build("imports", str(blend), str(mesh))
    assert mesh.is_file()
    with BlenderChild() as child:
        there = child.inspect(blend)
        mesh.unlink()
        gone = child.inspect(blend)
    assert there.external_files == [
        ExternalFile(kind="cache", name="Imported: Square", path=str(mesh), packed=False)
    ]
    assert there.memory is not None
    # Read, the square would count 4 vertices: the estimate would say whether the file is here.
    assert (there.memory.vertices, there.memory.triangles) == (0, 0)
    assert gone == there
