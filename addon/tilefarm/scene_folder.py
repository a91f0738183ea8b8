"""Which files the copy may pack: only those inside the scene's own folder.

Packing reads whatever path a data-block names and puts its bytes in the upload, which is
published on IPFS for anyone to read. A .blend downloaded from elsewhere (an asset, a file a
client sent) can name any path on the artist's disk as an image, font or sound:
`//../../.ssh/id_ed25519`, `/home/artist/taxes.pdf`. So the add-on packs only files that lie
inside the folder of the .blend, at any depth, with symlinks resolved (a link inside the folder
that points outside it is outside). The others are left out of the copy and named to the artist,
who can move them into the project's folder. tilefarm's own packer (`tilefarm submit`) keeps the
same rule. Plain Python, no bpy (tests/addon checks it).
"""

from __future__ import annotations

import os

RULE = "inside the folder of the .blend, at any depth; symlinks resolved"
OUTSIDE = "outside the scene's folder: not packed"


def blend_folder(blend_path: str) -> str:
    """The folder whose files the copy may pack: the .blend's own ("" for a file never saved,
    which has no folder: nothing of it is packed)."""
    return os.path.dirname(os.path.abspath(blend_path)) if blend_path else ""


def inside(path: str, folder: str) -> bool:
    """`path` (absolute) lies inside `folder` at any depth once symlinks are resolved in both;
    always False without a folder. A path that does not exist is judged by the folders it
    names."""
    if not folder or not path:
        return False
    real, root = os.path.realpath(path), os.path.realpath(folder)
    try:
        return real != root and os.path.commonpath([real, root]) == root
    except ValueError:  # on another drive (Windows)
        return False
