"""A self-contained copy of the open scene, made without touching the artist's file or session.

Why a second Blender process: packing (`bpy.ops.file.pack_all`) and making libraries local
(`bpy.ops.object.make_local`) change the data they run on. Run in the artist's session they
would change what the artist is working on: packing can be undone by unpacking, but making a
library local cannot, and neither may reach the artist's .blend on the next Ctrl+S. Opening the
copy in the session instead would replace the artist's open file, unsaved changes and undo
history included. So:

1. `snapshot` saves the session as it is, unsaved changes included, to a temporary folder with
   `save_as_mainfile(copy=True)`: the session keeps its file path and its data; relative paths
   are remapped, so `//tex/wood.png` still finds the texture from the temporary folder. This is
   the one step that runs in the session, on Blender's main thread.
2. `pack_copy` opens that snapshot in a Blender child (`bpy.app.binary_path` in the background,
   factory settings, no scripts; or, where Blender runs as the `bpy` Python module, that
   Python), makes every linked data-block local, packs every image, font, sound and volume it
   can whose file lies inside the artist's folder (`scene_folder`: a file elsewhere on the disk
   is never read into the upload), and saves the result beside the snapshot. It reports what
   it made local, what it packed and what the copy still does not carry. It needs no bpy here,
   so it runs off the main thread while the artist keeps working (`submission` runs it in a
   thread).

The artist's .blend is only ever read (by Blender, when the snapshot is saved from memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import bpy

from .checks import OutsideFile
from .errors import AddonError

PACK_SECONDS = 600  # opening, packing and saving a large production file takes minutes
# Run in the child: import this add-on's package by its folder (under any name Blender installed
# it as) and pack. The add-on's __init__ registers nothing on import.
_BOOTSTRAP = """
import importlib.util, sys
folder, args = sys.argv[sys.argv.index("--") + 1], sys.argv[sys.argv.index("--") + 2:]
spec = importlib.util.spec_from_file_location(
    "tilefarm_packer", folder + "/__init__.py", submodule_search_locations=[folder]
)
package = importlib.util.module_from_spec(spec)
sys.modules["tilefarm_packer"] = package
spec.loader.exec_module(package)
from tilefarm_packer import pack_child
sys.exit(pack_child.main(args))
"""


@dataclass(frozen=True)
class PackedCopy:
    """The packed copy on disk and what packing did: the files packed, as (kind, name), the
    libraries made local, by name, and the outside files the copy still does not carry (their
    paths as the snapshot names them: see `as_the_artist_names_them`)."""

    path: Path
    packed: list[tuple[str, str]]
    made_local: list[str]
    left: list[OutsideFile]

    def as_the_artist_names_them(
        self, session: list[OutsideFile]
    ) -> tuple[list[str], list[str], list[OutsideFile]]:
        """Packed, made local and left, with the paths of the artist's file (`session`): the
        snapshot's relative paths were remapped to find the files from a temporary folder."""
        paths = {(f.kind, f.name): f.path for f in session}
        return (
            [paths.get(key, key[1]) for key in self.packed],
            [paths.get(("library", name), name) for name in self.made_local],
            [replace(f, path=paths.get((f.kind, f.name), f.path)) for f in self.left],
        )


def snapshot(folder: Path, name: str) -> Path:
    """Save the open session, as it is now, to `folder/name` without changing the session
    (main thread only)."""
    path = folder / name
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, relative_remap=True)
    return path


def child_command(blender: str, python: str) -> list[str]:
    """How to start a Blender that runs `_BOOTSTRAP`: the Blender executable in the background
    with factory settings and no scripts from the file, or Python with the `bpy` module."""
    if blender:
        return [
            blender, "--background", "--factory-startup", "--disable-autoexec",
            "--python-exit-code", "1", "--python-expr", _BOOTSTRAP,
        ]  # fmt: skip
    return [python, "-c", _BOOTSTRAP]


def pack_copy(
    snapshot_path: Path, blender: str, folder: str, python: str = sys.executable
) -> PackedCopy:
    """Pack `snapshot_path` in a Blender child into `<snapshot>-packed.blend` beside it,
    packing only files inside `folder` (`scene_folder.blend_folder` of the artist's .blend)."""
    out = snapshot_path.with_name(snapshot_path.stem + "-packed.blend")
    report = snapshot_path.with_name("packing.json")
    addon = str(Path(__file__).resolve().parent)
    command = [*child_command(blender, python), "--", addon, folder, str(snapshot_path)]
    command += [str(out), str(report)]
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=PACK_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise AddonError(
            f"packing the copy took more than {PACK_SECONDS // 60} minutes; the scene was "
            "not submitted (is it very large? pack it by hand: File > External Data > Pack "
            "Resources, then save and submit)"
        ) from None
    except OSError as exc:
        raise AddonError(f"could not start Blender to pack the copy: {exc}") from None
    if run.returncode != 0 or not report.is_file():
        tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
        raise AddonError(f"packing the copy failed (exit {run.returncode}): " + " | ".join(tail))
    done = json.loads(report.read_text())
    return PackedCopy(
        path=out,
        packed=[(kind, name) for kind, name in done["packed"]],
        made_local=list(done["made_local"]),
        left=[OutsideFile(**f) for f in done["left"]],
    )
