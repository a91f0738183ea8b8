"""What the packing child does (`packing.pack_copy` starts it): open the snapshot, make linked
data local, pack what Blender can pack, save the packed copy and report.

Runs only in that child, never in the artist's session: everything here changes the open file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import bpy

from .outside_files import list_outside_files


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


def pack() -> list[tuple[str, str]]:
    """Pack every image, font, sound and volume Blender can pack; returns what was packed, as
    (kind, name) (its path here is relative to the snapshot, not to the artist's file)."""
    before = {(f.kind, f.name) for f in list_outside_files() if not f.packed}
    bpy.ops.file.pack_all()
    after = {(f.kind, f.name): f for f in list_outside_files()}
    return sorted(key for key in before if key in after and after[key].packed)


def main(args: list[str]) -> int:
    """`args`: the snapshot, the packed copy to write, the report to write (JSON)."""
    snapshot, out, report = (Path(a) for a in args)
    # With its UI, so the copy keeps the artist's active scene and screens; no scripts run.
    bpy.ops.wm.open_mainfile(filepath=str(snapshot), use_scripts=False)
    made_local = make_local()
    packed = pack()
    left = [asdict(f) for f in list_outside_files() if not f.packed]
    bpy.ops.wm.save_as_mainfile(filepath=str(out), relative_remap=True, compress=True)
    done = {"packed": packed, "made_local": made_local, "left": left}
    report.write_text(json.dumps(done))
    return 0
