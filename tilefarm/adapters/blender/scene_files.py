"""What an open scene names outside itself, and the look it was saved with. Runs INSIDE the
Blender child, which passes its `bpy` in; nothing here imports bpy.

Every outside file is listed from what the .blend says (its data-blocks' paths and packed
flags), never from the files themselves: nothing here asks whether a path exists, reads it or
lists a folder. The scene is an uploader's and the disk the server's; an answer that depended
on what the server holds would tell the uploader about it.

Only the scene's own data-blocks are listed. Blender loads a linked library's contents while it
opens the file, when that library happens to be on this machine's disk; whatever came from
it (the library's images, the libraries it links in turn) would again tell the uploader what
this disk holds, so only the libraries the scene itself links are named.

A hostile .blend may hold any number of data-blocks with the longest names and paths Blender
allows: the lists stop at `MAX_EXTERNAL_FILES` (the rest are counted) and every text is cut to
the protocol's field limits.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from tilefarm.adapters.blender.protocol import (
    MAX_EXTERNAL_FILES,
    ExternalFile,
    ExternalKind,
    SceneColour,
)

# The protocol's field limits (`ExternalFile`, `SceneColour`), in characters.
NAME_CHARS = 256
PATH_CHARS = 1024
COLOUR_CHARS = 64
# Images made inside Blender, never read from a file.
_NOT_FILES = ("GENERATED", "VIEWER")
_NOT_TEXTURES = ("RENDER_RESULT", "COMPOSITING")
# Where Blender keeps a point cache on disk unless the cache names a folder of its own: beside
# the .blend, in a folder named after it (the uploaded file's own name is not known here).
BLENDCACHE = "//blendcache_[name of the .blend]/"
# Geometry nodes that read a file (`GeometryNodeImportOBJ`, ...), and what is said of a path
# that the node tree computes (only evaluating it would tell).
IMPORT_NODE = "GeometryNodeImport"
COMPUTED_PATH = "[a path the node tree computes]"
# Where a cache that would be read from disk is pointed instead: a folder beside the opened copy
# of the .blend (in the child's scratch folder) that nothing creates.
NO_CACHE = "//tilefarm-no-cache/"


def external_files(bpy: Any) -> tuple[list[ExternalFile], int]:
    """Every outside file the open scene names, those it does not carry first, at most
    `MAX_EXTERNAL_FILES` of them; and how many more there are."""
    missing: list[ExternalFile] = []
    packed: list[ExternalFile] = []
    counted = 0
    for kind, name, path, is_packed in _named_files(bpy):
        counted += 1
        listed = packed if is_packed else missing
        if len(listed) < MAX_EXTERNAL_FILES:
            entry = ExternalFile(
                kind=kind,
                name=_text(name, NAME_CHARS),
                path=_text(path, PATH_CHARS),
                packed=is_packed,
            )
            listed.append(entry)
    files = (missing + packed)[:MAX_EXTERNAL_FILES]
    return files, counted - len(files)


def scene_colour(bpy: Any, scene: Any) -> SceneColour:
    """The colour management the scene's renders are saved with, as saved: the output's own
    settings when it overrides the scene's (Output properties > Color Management > Override),
    else the scene's; the file's working space and the render's dither either way."""
    settings = scene.render.image_settings
    override = settings.color_management == "OVERRIDE"
    view = settings.view_settings if override else scene.view_settings
    display = settings.display_settings if override else scene.display_settings
    return SceneColour(
        view_transform=_text(view.view_transform, COLOUR_CHARS),
        look=_text(view.look, COLOUR_CHARS),
        exposure=_finite(view.exposure, 0.0),
        gamma=_finite(view.gamma, 1.0),
        display_device=_text(display.display_device, COLOUR_CHARS),
        dither_intensity=_finite(scene.render.dither_intensity, 0.0),
        working_space=_text(bpy.data.colorspace.working_space, COLOUR_CHARS),
        use_white_balance=bool(view.use_white_balance),
        white_balance_temperature=_finite(view.white_balance_temperature, 6500.0),
        white_balance_tint=_finite(view.white_balance_tint, 10.0),
        output_override=override,
    )


# ---- what each kind of data-block names ----------------------------------------------------------

Named = tuple[ExternalKind, str, str, bool]


def _named_files(bpy: Any) -> Iterator[Named]:
    data = bpy.data
    yield from _images(data.images)
    yield from _libraries(data.libraries)
    yield from _caches(bpy)
    others: list[tuple[ExternalKind, Any]] = [
        ("volume", data.volumes),
        ("font", data.fonts),
        ("sound", data.sounds),
        ("movie_clip", data.movieclips),  # never packed: Blender cannot pack a clip
    ]
    for kind, blocks in others:
        for block in _local(blocks):
            path = block.filepath
            if path and path != "<builtin>":
                yield kind, block.name, path, getattr(block, "packed_file", None) is not None


def _local(blocks: Any) -> Iterator[Any]:
    """The scene's own data-blocks that something uses (one with only a fake user is kept in the
    file, never rendered); linked ones come from a library's file on this disk (see above)."""
    for block in blocks:
        if block.library is None and block.users > int(block.use_fake_user):
            yield block


def _images(images: Any) -> Iterator[Named]:
    for image in _local(images):
        if image.type in _NOT_TEXTURES or image.source in _NOT_FILES or not image.filepath:
            continue
        yield "image", image.name, image.filepath, image_packed(image)


def image_packed(image: Any) -> bool:
    """Whether the .blend carries the image's pixels: a file packed, or every UDIM tile of a
    tiled image. Sequences and movies are never packed."""
    if image.source == "FILE":
        return image.packed_file is not None
    if image.source == "TILED":
        tiles = {p.tile_number for p in image.packed_files}
        return all(t.number in tiles for t in image.tiles)
    return False


def _libraries(libraries: Any) -> Iterator[Named]:
    for library in libraries:
        if library.library is not None or library.parent is not None:
            continue  # linked by a library, not by the scene
        # An archive library holds linked data packed into this .blend (Blender 5).
        is_packed = library.packed_file is not None or getattr(library, "is_archive", False)
        yield "library", library.name, library.filepath, is_packed


def _caches(bpy: Any) -> Iterator[Named]:
    """Caches read from disk at render time: Alembic and USD files, files geometry nodes
    import, point caches kept on disk, fluid bakes, baked oceans, mesh caches and geometry-node
    bakes written to a folder. Caches kept in memory are saved inside the .blend and need
    nothing outside it."""
    for cache in _local(bpy.data.cache_files):
        if cache.filepath:
            yield "cache", cache.name, cache.filepath, False
    for scene in bpy.data.scenes:
        if scene.library is None and scene.rigidbody_world is not None:
            cache = scene.rigidbody_world.point_cache
            yield from _point_cache(f"{scene.name}: rigid body world", cache)
    yield from _imports(bpy.data.node_groups)
    for obj in _local(bpy.data.objects):
        for system in obj.particle_systems:
            yield from _point_cache(f"{obj.name}: {system.name}", system.point_cache)
        for modifier in obj.modifiers:
            yield from _modifier_caches(f"{obj.name}: {modifier.name}", modifier)


def _modifier_caches(name: str, modifier: Any) -> Iterator[Named]:
    kind = modifier.type
    if kind in ("CLOTH", "SOFT_BODY"):
        yield from _point_cache(name, modifier.point_cache)
    elif kind == "DYNAMIC_PAINT" and modifier.canvas_settings is not None:
        for surface in modifier.canvas_settings.canvas_surfaces:
            yield from _point_cache(f"{name}: {surface.name}", surface.point_cache)
    elif kind == "FLUID" and modifier.fluid_type == "DOMAIN":
        # Every fluid domain simulates into its cache folder; a worker renders from it.
        directory = modifier.domain_settings.cache_directory
        if directory:
            yield "cache", name, directory, False
    elif kind in ("OCEAN", "MESH_CACHE") and modifier.filepath:
        # An ocean reads its bake only once baked; a mesh cache (MDD, PC2) always reads.
        if kind == "MESH_CACHE" or modifier.is_cached:
            yield "cache", name, modifier.filepath, False
    elif kind == "NODES":
        for bake in modifier.bakes:
            target = modifier.bake_target if bake.bake_target == "INHERIT" else bake.bake_target
            directory = bake.directory if bake.use_custom_path else modifier.bake_directory
            # No folder yet: nothing was ever baked to disk.
            if target == "DISK" and directory:
                yield "cache", name, directory, False


def _imports(node_groups: Any) -> Iterator[Named]:
    """Files geometry nodes import while the scene is evaluated (OBJ, PLY, STL, CSV, text,
    OpenVDB). A path the node tree computes is not known until then: it is named as such."""
    for tree in _local(node_groups):
        if tree.bl_idname != "GeometryNodeTree":
            continue
        for node in tree.nodes:
            if not node.bl_idname.startswith(IMPORT_NODE):
                continue
            socket = node.inputs.get("Path")
            if socket is None:
                continue
            path = COMPUTED_PATH if socket.is_linked else socket.default_value
            if path:
                kind: ExternalKind = "volume" if node.bl_idname.endswith("VDB") else "cache"
                yield kind, f"{tree.name}: {node.name}", path, False


def _point_cache(name: str, cache: Any) -> Iterator[Named]:
    # An external cache is read from its own path whether or not the disk cache is on.
    if cache is not None and (cache.use_disk_cache or cache.use_external):
        path = cache.filepath if cache.use_external else BLENDCACHE
        yield "cache", name, path or BLENDCACHE, False


# ---- reading none of them -----------------------------------------------------------------------


def detach_outside_files(bpy: Any) -> None:
    """Make the open scene read nothing outside the .blend when it is evaluated (images are the
    child's own `_detach_external_images`): Alembic and USD files, volumes, fonts, mesh caches,
    baked oceans, geometry-node bakes on disk and the files geometry nodes import. Each could
    shape the geometry whose size is reported (a node tree can keep or delete points by what a
    file holds) and so tell the uploader what this disk holds, or put a worker's files into
    an artist's pixels. Fluid domains are left out of the viewport's evaluation and read their
    bake from a folder that is not there; point caches on disk under a path of their own too.
    Linked libraries are removed with everything Blender loaded from them, which came from
    this disk (Blender reads them while it opens the file: only a file-system sandbox stops
    that). The scene is changed in memory only, never saved."""
    data = bpy.data
    if bpy.context.scene.library is None:  # the open scene is not itself linked
        for library in list(data.libraries):
            with contextlib.suppress(ReferenceError, RuntimeError):  # gone with its parent
                data.libraries.remove(library)
    for block in (*data.cache_files, *data.volumes, *data.fonts):
        if getattr(block, "packed_file", None) is None and block.filepath != "<builtin>":
            _set(block, "filepath", "")
    for tree in data.node_groups:
        for node in tree.nodes:
            if node.bl_idname.startswith(IMPORT_NODE):
                _set(node, "mute", True)  # a muted import reads nothing and outputs nothing
    for scene in data.scenes:
        if scene.rigidbody_world is not None:
            _keep_off_disk(scene.rigidbody_world.point_cache)
    for obj in data.objects:
        for system in obj.particle_systems:
            _keep_off_disk(system.point_cache)
        for modifier in obj.modifiers:
            if modifier.type in ("MESH_CACHE", "OCEAN"):
                _set(modifier, "filepath", "")
            elif modifier.type == "FLUID" and modifier.fluid_type == "DOMAIN":
                _set(modifier, "show_viewport", False)
                # Renders read the bake too: from a folder that is not there, as unbaked.
                _set(modifier.domain_settings, "cache_directory", NO_CACHE)
            elif modifier.type in ("CLOTH", "SOFT_BODY"):
                _keep_off_disk(modifier.point_cache)
            elif modifier.type == "DYNAMIC_PAINT" and modifier.canvas_settings is not None:
                for surface in modifier.canvas_settings.canvas_surfaces:
                    _keep_off_disk(surface.point_cache)
            elif modifier.type == "NODES":
                _set(modifier, "bake_directory", "")
                for bake in modifier.bakes:
                    _set(bake, "directory", "")


def _keep_off_disk(cache: Any) -> None:
    """A point cache kept on disk under a path of its own (`use_external`) reads from a folder
    that is not there; one in Blender's default folder already does (beside the scratch copy,
    whose name nobody chose)."""
    if cache is not None and cache.use_external:  # read from its path, disk cache or not
        _set(cache, "filepath", NO_CACHE)


def _set(owner: Any, name: str, value: object) -> None:
    """Set a property where Blender allows it (linked data is read-only: Blender refuses)."""
    with contextlib.suppress(AttributeError, RuntimeError, TypeError):
        setattr(owner, name, value)


# ---- bounds ------------------------------------------------------------------------------------


def _text(value: object, limit: int) -> str:
    """A name or path as text the protocol carries: cut to `limit` characters, and any bytes
    that are not UTF-8 (Blender hands them over as lone surrogates) replaced."""
    text = str(value)[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")


def _finite(value: float, default: float) -> float:
    """A number a hostile file may have saved as NaN or infinity, which JSON cannot carry."""
    number = float(value)
    return number if math.isfinite(number) else default
