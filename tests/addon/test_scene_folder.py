"""Which files the add-on's copy may pack (addon/tilefarm/scene_folder.py): only those inside the
folder of the .blend, at any depth, symlinks resolved; a file the scene names elsewhere on the
artist's disk is left out and named to the artist (addon/tilefarm/checks.py)."""

import os
from pathlib import Path
from typing import Any

import pytest

from tests.addon.addon_modules import addon_module

folders = addon_module("scene_folder")
checks = addon_module("checks")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp/shots/shot.blend with tmp/shots/tex/wood.png, and tmp/private/secret.png beside it."""
    (tmp_path / "shots" / "tex").mkdir(parents=True)
    (tmp_path / "shots" / "shot.blend").write_bytes(b"BLENDER")
    (tmp_path / "shots" / "tex" / "wood.png").write_bytes(b"png")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.png").write_bytes(b"secret")
    return tmp_path


def test_files_at_any_depth_under_the_blend_are_inside_and_a_sibling_folder_is_not(
    project: Path,
) -> None:
    folder = folders.blend_folder(str(project / "shots" / "shot.blend"))
    assert folder == str(project / "shots")
    assert folders.inside(str(project / "shots" / "tex" / "wood.png"), folder)
    assert folders.inside(str(project / "shots" / "tex" / "not-yet-made.png"), folder)
    assert not folders.inside(str(project / "private" / "secret.png"), folder)
    assert not folders.inside(str(project / "shots" / ".." / "private" / "secret.png"), folder)
    assert not folders.inside(str(project / "shots-old" / "a.png"), folder)  # a shared prefix
    assert not folders.inside(folder, folder)


def test_a_link_inside_the_folder_to_a_file_outside_it_is_outside(project: Path) -> None:
    link = project / "shots" / "tex" / "looks-local.png"
    link.symlink_to(project / "private" / "secret.png")
    assert not folders.inside(str(link), str(project / "shots"))


def test_a_project_reached_through_a_link_keeps_its_files_inside(project: Path) -> None:
    (project / "link-to-shots").symlink_to(project / "shots")
    folder = folders.blend_folder(str(project / "link-to-shots" / "shot.blend"))
    assert folders.inside(str(project / "shots" / "tex" / "wood.png"), folder)


def test_a_file_never_saved_has_no_folder_so_nothing_of_it_is_packed(project: Path) -> None:
    assert folders.blend_folder("") == ""
    assert not folders.inside(str(project / "shots" / "tex" / "wood.png"), "")


def outside(path: str, **changes: Any) -> Any:
    named = {"packed": False, "on_disk": True, "carriable": True, "in_folder": False, **changes}
    return checks.OutsideFile("image", os.path.basename(path), path, **named)


def test_the_panel_names_a_texture_outside_the_scenes_folder_as_not_packed() -> None:
    key = outside("//../../.ssh/id_ed25519")
    assert key.fate == "left" and key.why_left == "outside the scene's folder: not packed"
    inside = outside("//tex/wood.png", in_folder=True)
    scene = checks.SceneFacts(
        scene="Scene", engine="CYCLES", camera="Camera", frame_start=1, frame_end=1,
        frame_step=1, view_transform="AgX", look="None", exposure=0.0, gamma=1.0,
        display_device="sRGB", outside_files=(key, inside),
    )  # fmt: skip
    left, packed = checks.check_files(scene)
    assert (left.level, left.unless) == ("error", "allow_missing")
    assert left.text == (
        "1 file the copy cannot carry: //../../.ssh/id_ed25519 (image, outside the scene's "
        "folder: not packed); workers would render without them (move the files outside the "
        "scene's folder into it and relink them, or tick 'Submit without them')"
    )
    assert packed.text == "1 file packed into the copy: //tex/wood.png (image)"


def test_a_cache_outside_the_folder_is_left_for_being_a_cache() -> None:
    cache = checks.OutsideFile("cache", "Smoke", "/srv/caches/smoke/", False, True, False, False)
    assert cache.why_left == "caches on disk cannot be packed"
