"""What the artist chose in the panel for the next submission. Kept on the window manager, so
choosing them never changes the artist's scene (the file's data stays as the artist left it)."""

from __future__ import annotations

import bpy


class TilefarmOptions(bpy.types.PropertyGroup):  # type: ignore[misc]  # bpy has no types
    cycles_instead: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Render with Cycles instead",
        description="The scene is set to Eevee or Workbench: let tilefarm render it with Cycles "
        "(the look may differ)",
        default=False,
    )
    allow_missing: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Submit without them",
        description="Upload although the copy lacks some outside files: workers render "
        "without them",
        default=False,
    )
