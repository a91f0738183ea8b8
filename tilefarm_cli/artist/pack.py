"""A copy of the artist's .blend that carries its own assets, made before the upload: a Blender
child packs the images, fonts, sounds and volumes the scene names and copies its linked libraries'
data into the file, then saves a copy (`BlenderChild.pack_copy`). The artist's file is only read.
What Blender cannot pack (caches, movie clips, image sequences) and files outside the scene's
folder (unless their folder is named with --pack-from) stay outside: the server then lists them,
and refuses the scene unless the upload allows missing files."""

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from tilefarm.errors import TilefarmError
from tilefarm_cli.artist.errors import ArtistError


class PackedCopy(BaseModel):
    """The copy to upload and what packing did."""

    path: Path
    packed: list[str]  # "kind name (path)" of each file now inside the copy
    made_local: int  # data-blocks of linked libraries copied in
    still_outside: list[str]  # what the copy still names outside itself


def _named(file: object) -> str:
    kind, name, path = (getattr(file, k, "") for k in ("kind", "name", "path"))
    return f"{path} ({kind} {name!r})"


def pack_copy(blend: Path, out_dir: Path, pack_from: Sequence[Path] = ()) -> PackedCopy:
    """Pack `blend`'s assets into a copy in `out_dir` (same file name): files inside the
    .blend's own folder and the `pack_from` folders only (a downloaded scene may name a private
    file as a texture; the copy is published)."""
    from tilefarm.adapters.blender.launcher import BlenderChild

    out = out_dir / blend.name
    try:
        with BlenderChild(devices="cpu") as child:
            done = child.pack_copy(blend, out, pack_from)
    except TilefarmError as exc:
        raise ArtistError(
            f"packing a copy of {blend} failed: {exc}; pass --no-pack to upload the file as it is"
        ) from None
    return PackedCopy(
        path=Path(done.path),
        packed=[_named(f) for f in done.packed],
        made_local=done.made_local,
        still_outside=[_named(f) for f in done.still_missing],
    )
