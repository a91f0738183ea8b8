"""The add-on's preferences: which tilefarm server to submit to."""

from __future__ import annotations

from typing import Any

import bpy

DEFAULT_SERVER = "http://127.0.0.1:8000"  # `tilefarm serve` on this machine


class TilefarmPreferences(bpy.types.AddonPreferences):  # type: ignore[misc]  # bpy has no types
    # The package Blender installed the add-on as (bl_ext.<repository>.tilefarm).
    bl_idname = __package__

    server_url: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Server",
        description="The tilefarm server the scene is uploaded to (its page is where the job "
        "is posted)",
        default=DEFAULT_SERVER,
    )

    def draw(self, context: Any) -> None:
        self.layout.prop(self, "server_url")


def preferences(context: Any) -> TilefarmPreferences:
    """This add-on's preferences."""
    found: TilefarmPreferences = context.preferences.addons[__package__].preferences
    return found
