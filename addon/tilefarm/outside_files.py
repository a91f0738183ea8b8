"""The files outside the .blend that the open scene names, read from `bpy.data`.

Used twice: in the artist's session, to show what submitting will pack (`scene_facts`), and in
the packing child, to list what the packed copy still does not carry. The server lists a
scene's outside files the same way (`POST /api/scenes`: the same kinds, only the scene's own
data-blocks that something uses, only the libraries the scene links itself), so the panel and
the server speak of the same files. Unlike the server, which never looks at its own disk, the
add-on runs on the artist's machine and asks whether each file is there: packing needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import bpy

from .checks import OutsideFile
from .scene_folder import inside

_NOT_FILES = ("GENERATED", "VIEWER")  # images made inside Blender
_NOT_TEXTURES = ("RENDER_RESULT", "COMPOSITING")
_UDIM_TOKENS = ("<UDIM>", "<UVTILE>")
_IMPORT_NODE = "GeometryNodeImport"  # geometry nodes that read a file (OBJ, PLY, STL, CSV, VDB)
COMPUTED_PATH = "[a path the node tree computes]"


def _absolute(path: str, owner: Any = None) -> str:
    return str(bpy.path.abspath(path, library=getattr(owner, "library", None)))


def _is_file(path: str, owner: Any = None) -> bool:
    return bool(path) and os.path.isfile(_absolute(path, owner))


def _is_folder(path: str, owner: Any = None) -> bool:
    return bool(path) and os.path.isdir(_absolute(path, owner))


def _local(blocks: Any) -> Iterator[Any]:
    """The scene's own data-blocks that something uses (one with only a fake user is kept in
    the file, never rendered); linked ones are made local in the copy with their library."""
    for block in blocks:
        if block.library is None and block.users > int(block.use_fake_user):
            yield block


def file_paths(block: Any) -> list[str]:
    """The absolute paths of the files packing `block` reads: its file, or each UDIM tile's."""
    path = block.filepath
    if not any(token in path for token in _UDIM_TOKENS):
        return [_absolute(path, block)]
    named = []
    for tile in block.tiles:
        u, v = (tile.number - 1001) % 10 + 1, (tile.number - 1001) // 10 + 1
        tile_path = path.replace("<UDIM>", str(tile.number)).replace("<UVTILE>", f"u{u}_v{v}")
        named.append(_absolute(tile_path, block))
    return named


def in_folder(block: Any, folder: str) -> bool:
    """Every file packing `block` would read lies inside `folder` (`scene_folder.RULE`)."""
    return all(inside(path, folder) for path in file_paths(block))


def _images(folder: str) -> Iterator[OutsideFile]:
    for image in _local(bpy.data.images):
        if image.type in _NOT_TEXTURES or image.source in _NOT_FILES or not image.filepath:
            continue
        if image.source == "TILED":
            packed_tiles = {p.tile_number for p in image.packed_files}
            packed = all(t.number in packed_tiles for t in image.tiles)
        else:
            packed = image.source == "FILE" and image.packed_file is not None
        on_disk = all(os.path.isfile(path) for path in file_paths(image))
        # Sequences and movies cannot be packed; single files and UDIM tiles can.
        carriable = image.source in ("FILE", "TILED")
        yield OutsideFile(
            "image", image.name, image.filepath, packed, on_disk, carriable,
            in_folder=packed or in_folder(image, folder),
        )  # fmt: skip


def _libraries() -> Iterator[OutsideFile]:
    for library in bpy.data.libraries:
        if library.library is not None or getattr(library, "parent", None) is not None:
            continue  # linked by a library, not by the scene: made local with it
        packed = library.packed_file is not None or getattr(library, "is_archive", False)
        on_disk = _is_file(library.filepath)
        yield OutsideFile("library", library.name, library.filepath, packed, on_disk, True)


def _others(folder: str) -> Iterator[OutsideFile]:
    data = bpy.data
    for kind, blocks in (("volume", data.volumes), ("font", data.fonts), ("sound", data.sounds)):
        for block in _local(blocks):
            path = block.filepath
            if not path or path == "<builtin>":
                continue
            packed = block.packed_file is not None
            # A volume sequence cannot be packed.
            carriable = not getattr(block, "is_sequence", False)
            yield OutsideFile(
                kind, block.name, path, packed, _is_file(path, block), carriable,
                in_folder=packed or in_folder(block, folder),
            )  # fmt: skip
    for clip in _local(data.movieclips):  # Blender cannot pack a movie clip
        if clip.filepath:
            on_disk = _is_file(clip.filepath, clip)
            yield OutsideFile("movie_clip", clip.name, clip.filepath, False, on_disk, False)


def _cache(name: str, path: str, *, folder: bool) -> OutsideFile:
    """A cache read from disk at render time: never carriable (no .blend packs one)."""
    on_disk = _is_folder(path) if folder else _is_file(path)
    return OutsideFile("cache", name, path, False, on_disk, False)


def _point_cache(name: str, cache: Any) -> Iterator[OutsideFile]:
    if cache is not None and cache.use_disk_cache:
        if cache.use_external:
            yield _cache(name, cache.filepath, folder=True)
        else:  # Blender's own folder beside the .blend
            stem = os.path.splitext(os.path.basename(bpy.data.filepath))[0] or "untitled"
            yield _cache(name, f"//blendcache_{stem}/", folder=True)


def _modifier_caches(name: str, modifier: Any) -> Iterator[OutsideFile]:
    kind = modifier.type
    if kind in ("CLOTH", "SOFT_BODY"):
        yield from _point_cache(name, modifier.point_cache)
    elif kind == "DYNAMIC_PAINT" and modifier.canvas_settings is not None:
        for surface in modifier.canvas_settings.canvas_surfaces:
            yield from _point_cache(f"{name}: {surface.name}", surface.point_cache)
    elif kind == "FLUID" and modifier.fluid_type == "DOMAIN":
        if modifier.domain_settings.cache_directory:
            yield _cache(name, modifier.domain_settings.cache_directory, folder=True)
    elif kind == "MESH_CACHE" and modifier.filepath:
        yield _cache(name, modifier.filepath, folder=False)
    elif kind == "OCEAN" and modifier.filepath and modifier.is_cached:
        yield _cache(name, modifier.filepath, folder=True)
    elif kind == "NODES":
        for bake in modifier.bakes:
            target = modifier.bake_target if bake.bake_target == "INHERIT" else bake.bake_target
            directory = bake.directory if bake.use_custom_path else modifier.bake_directory
            if target == "DISK" and directory:
                yield _cache(name, directory, folder=True)


def _imports() -> Iterator[OutsideFile]:
    """Files geometry nodes import while the scene is evaluated; a path the node tree computes
    cannot be checked here and is named as such."""
    for tree in _local(bpy.data.node_groups):
        if tree.bl_idname != "GeometryNodeTree":
            continue
        for node in tree.nodes:
            socket = node.inputs.get("Path") if node.bl_idname.startswith(_IMPORT_NODE) else None
            if socket is None:
                continue
            path = COMPUTED_PATH if socket.is_linked else socket.default_value
            if path:
                kind = "volume" if node.bl_idname.endswith("VDB") else "cache"
                on_disk = path != COMPUTED_PATH and _is_file(path)
                yield OutsideFile(kind, f"{tree.name}: {node.name}", path, False, on_disk, False)


def _caches() -> Iterator[OutsideFile]:
    for cache_file in _local(bpy.data.cache_files):  # Alembic and USD
        if cache_file.filepath:
            yield _cache(cache_file.name, cache_file.filepath, folder=False)
    for scene in bpy.data.scenes:
        if scene.library is None and scene.rigidbody_world is not None:
            world_cache = scene.rigidbody_world.point_cache
            yield from _point_cache(f"{scene.name}: rigid body world", world_cache)
    yield from _imports()
    for obj in _local(bpy.data.objects):
        for system in obj.particle_systems:
            yield from _point_cache(f"{obj.name}: {system.name}", system.point_cache)
        for modifier in obj.modifiers:
            yield from _modifier_caches(f"{obj.name}: {modifier.name}", modifier)


def list_outside_files(folder: str) -> list[OutsideFile]:
    """Every file outside the .blend that the open file names, those it does not carry first;
    a file to pack is `in_folder` when it lies inside `folder` (`scene_folder.blend_folder` of
    the artist's .blend)."""
    files = [*_images(folder), *_libraries(), *_caches(), *_others(folder)]
    return sorted(files, key=lambda f: f.packed)
