"""What the packing child does (`packing.pack_copy` starts it): open the snapshot, make linked
data local, pack what Blender can pack of the files inside the artist's folder, save the packed
copy and report.

Runs only in that child, never in the artist's session: everything here changes the open file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bpy

from .outside_files import in_folder, list_outside_files


def make_local() -> list[str]:
    """Make every linked data-block and every library override local, then drop the libraries
    nothing is linked from any more; returns the libraries' names."""
    libraries = [lib.name for lib in bpy.data.libraries]
    if not libraries:
        return []
    for block in list(bpy.data.user_map()):
        if getattr(block, "override_library", None) is not None and block.library is None:
            block.make_local(clear_liboverride=True)
    bpy.ops.object.make_local(type="ALL")
    still_linked = {block.library for block in bpy.data.user_map() if block.library is not None}
    for lib in list(bpy.data.libraries):
        if lib not in still_linked:
            bpy.data.libraries.remove(lib)
    return libraries


def _outside_paths(folder: str) -> Iterator[tuple[Any, str]]:
    """Every data-block `pack_all` would read that names a file outside `folder`, with the
    property holding its path. All of `bpy.data`, not only what the scene uses: Blender packs
    a data-block kept by its fake user too, and saves it."""
    data = bpy.data
    for image in data.images:
        # `filepath_raw`: setting it does not reload the image (nor rescan its UDIM tiles).
        packable = image.source in ("FILE", "TILED") and not image.packed_files
        if packable and image.filepath and not in_folder(image, folder):
            yield image, "filepath_raw"
    for blocks in (data.fonts, data.sounds, data.volumes):
        for block in blocks:
            named = block.filepath not in ("", "<builtin>") and block.packed_file is None
            if named and not in_folder(block, folder):
                yield block, "filepath"


@contextmanager
def _paths_cleared(folder: str) -> Iterator[None]:
    """Blank the path of every data-block naming a file outside `folder` (Blender's pack_all
    then has nothing to read for it), and put each path back afterwards."""
    cleared = [(block, name, getattr(block, name)) for block, name in _outside_paths(folder)]
    try:
        for block, name, _ in cleared:
            setattr(block, name, "")
        yield
    finally:
        for block, name, path in cleared:
            setattr(block, name, path)


def pack(folder: str) -> list[tuple[str, str]]:
    """Pack every image, font, sound and volume Blender can pack whose file lies inside
    `folder` (`scene_folder.RULE`); returns what was packed, as (kind, name) (its path here is
    relative to the snapshot, not to the artist's file). A file outside is not read: the copy
    keeps naming it, and the report lists it as left out."""
    before = {(f.kind, f.name) for f in list_outside_files(folder) if not f.packed}
    with _paths_cleared(folder), contextlib.suppress(RuntimeError):
        # RuntimeError: Blender's report of files it could not read (missing on disk too).
        bpy.ops.file.pack_all()
    after = {(f.kind, f.name): f for f in list_outside_files(folder)}
    return sorted(key for key in before if key in after and after[key].packed)


def _named_from(folder: str) -> None:
    """Name every file relative to the artist's folder again, as the artist's .blend does
    (`//tex/wood.png`): the snapshot names them relative to its temporary folder
    (`//../../home/<user>/project/tex/wood.png`), which would publish where the artist's
    files live. Absolute paths stay as the artist saved them."""
    if not folder:
        return  # a file never saved: its paths were never relative
    blocks: list[tuple[Any, str]] = [(image, "filepath_raw") for image in bpy.data.images]
    for group in (bpy.data.fonts, bpy.data.sounds, bpy.data.volumes, bpy.data.cache_files,
                  bpy.data.movieclips):  # fmt: skip
        blocks += [(block, "filepath") for block in group]
    for block, name in blocks:
        path = getattr(block, name, "")
        if block.library is None and path.startswith("//"):
            absolute = bpy.path.abspath(path)
            with contextlib.suppress(ValueError, RuntimeError, TypeError):  # another drive
                setattr(block, name, bpy.path.relpath(absolute, start=folder))


def main(args: list[str]) -> int:
    """`args`: the artist's .blend folder (the files the copy may pack lie inside it; "" for a
    file never saved), the snapshot, the packed copy to write, the report to write (JSON)."""
    folder, *paths = args
    snapshot, out, report = (Path(a) for a in paths)
    # With its UI, so the copy keeps the artist's active scene and screens; no scripts run.
    bpy.ops.wm.open_mainfile(filepath=str(snapshot), use_scripts=False)
    made_local = make_local()
    packed = pack(folder)
    left = [asdict(f) for f in list_outside_files(folder) if not f.packed]
    _named_from(folder)
    # Paths kept as just named (relative to the artist's folder), not remapped to the copy's.
    bpy.ops.wm.save_as_mainfile(filepath=str(out), relative_remap=False, compress=True)
    done = {"packed": packed, "made_local": made_local, "left": left}
    report.write_text(json.dumps(done))
    return 0
