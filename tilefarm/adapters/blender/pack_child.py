"""A copy of an artist's .blend that carries its own assets, made on the artist's machine before
upload (`tilefarm submit`; the add-on does the same inside Blender). Runs INSIDE the Blender
child, which passes its `bpy` in; nothing here imports bpy.

Workers never read a file a scene names outside itself (their disks are theirs, not the
artist's), so what the .blend does not carry renders as missing. Blender can put two things
inside a file: it packs images, fonts, sounds and volumes (those inside the .blend's own folder
only: `_pack_files`), and it copies the data of linked libraries into the file (made local).
Caches, movie clips, image sequences and files outside the folder stay outside: the copy still
names them and the upload reports them.

The original is opened from its own path, so that paths relative to it ('//textures/...')
resolve as they do for the artist, and saved elsewhere with `copy=True` (paths kept as saved):
the original file is never written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Rounds of making linked data local: an object made local still points at its linked mesh,
# which is made local in the next round, and so on down the chain of users.
MAX_LOCAL_ROUNDS = 16


def pack_copy(bpy: Any, out_path: str, pack_from: Sequence[str] = ()) -> tuple[int, int]:
    """Make the open file carry its libraries' data and its packable files from its own folder
    and the `pack_from` folders, then save a copy at `out_path`. Returns (files packed,
    data-blocks made local). Items Blender cannot read (a texture missing on the artist's disk
    too) are left as they are."""
    made_local = _make_libraries_local(bpy)
    folders = [Path(bpy.data.filepath).resolve().parent, *(Path(f).resolve() for f in pack_from)]
    packed = _pack_files(bpy, folders)
    # Paths stay as the artist saved them ('//textures/wood.png', not remapped to the copy's
    # folder): what the copy still lacks is then named as the artist knows it.
    bpy.ops.wm.save_as_mainfile(
        filepath=out_path, copy=True, check_existing=False, relative_remap=False
    )
    return packed, made_local


def _linked_ids(bpy: Any) -> list[Any]:
    return [
        item
        for collection in _id_collections(bpy)
        for item in collection
        if getattr(item, "library", None) is not None and not item.is_missing
    ]


def _id_collections(bpy: Any) -> list[Any]:
    """Every collection of data-blocks in `bpy.data` (objects, meshes, materials, images...)."""
    found = []
    for name in dir(bpy.data):
        if name.startswith("_") or name in ("libraries", "window_managers", "screens",
                                             "workspaces"):  # fmt: skip
            continue
        value = getattr(bpy.data, name, None)
        if isinstance(value, bpy.types.bpy_prop_collection) and hasattr(value, "rna_type"):
            found.append(value)
    return found


def _make_libraries_local(bpy: Any) -> int:
    made = 0
    for _ in range(MAX_LOCAL_ROUNDS):
        linked = _linked_ids(bpy)
        if not linked:
            break
        before = made
        for item in linked:
            with contextlib.suppress(RuntimeError, ReferenceError):
                item.make_local()
                made += 1
        if made == before:
            break  # nothing more Blender will make local
    for library in list(bpy.data.libraries):
        if library.users == 0:
            bpy.data.libraries.remove(library)
    return made


def _pack_files(bpy: Any, folders: Sequence[Path]) -> int:
    """Pack every file Blender can (images, fonts, sounds, volumes) with its own Pack Resources,
    but only files inside the given folders (at any depth, symlinks resolved): a scene
    downloaded from somewhere may name `//../../.ssh/id_ed25519` as a texture, and a packed copy
    is published. Files outside them keep their paths, unpacked, and the upload lists them. A
    file missing on this disk too is reported by Blender and left out (it stays missing)."""
    before = _packed_count(bpy)
    outside = [item for item in _unpacked_files(bpy) if not _inside(bpy, item, folders)]
    # An image's `filepath_raw`: setting it neither reloads the image nor rescans UDIM tiles.
    kept = [(item, _path_property(item), item.filepath) for item in outside]
    for item, name, _path in kept:
        setattr(item, name, "")  # Blender packs nothing without a path
    try:
        with contextlib.suppress(RuntimeError):  # Blender's report of files it could not read
            bpy.ops.file.pack_all()
    finally:
        for item, name, path in kept:
            setattr(item, name, path)
    return _packed_count(bpy) - before


def _path_property(item: Any) -> str:
    return "filepath_raw" if hasattr(item, "filepath_raw") else "filepath"


def _unpacked_files(bpy: Any) -> list[Any]:
    packable = (bpy.data.images, bpy.data.fonts, bpy.data.sounds, bpy.data.volumes)
    return [
        item
        for collection in packable
        for item in collection
        if item.library is None
        and not item.packed_file
        and item.filepath
        and item.filepath != "<builtin>"
    ]


def _inside(bpy: Any, item: Any, folders: Sequence[Path]) -> bool:
    """Every file the item reads lies inside one of `folders`: each UDIM tile of a tiled image
    (a tile may be a symlink out of the folder while the `<UDIM>` template itself is no file)."""
    paths = [Path(bpy.path.abspath(path)).resolve() for path in _files_read(item)]
    return all(any(path.is_relative_to(folder) for folder in folders) for path in paths)


def _files_read(item: Any) -> list[str]:
    """The paths an item reads: its own, or for a tiled image each tile's, its number put in
    place of the `<UDIM>` (1001) or `<UVTILE>` (u1_v1) token."""
    if getattr(item, "source", "") != "TILED":
        return [item.filepath]
    return [_tile_path(item.filepath, tile.number) for tile in item.tiles] or [item.filepath]


def _tile_path(template: str, number: int) -> str:
    u, v = (number - 1001) % 10 + 1, (number - 1001) // 10 + 1
    return template.replace("<UDIM>", str(number)).replace("<UVTILE>", f"u{u}_v{v}")


def _packed_count(bpy: Any) -> int:
    packable = (bpy.data.images, bpy.data.fonts, bpy.data.sounds, bpy.data.volumes)
    return sum(1 for collection in packable for item in collection if item.packed_file)
