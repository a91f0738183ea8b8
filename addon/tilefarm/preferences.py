"""The add-on's preferences: which tilefarm server to submit to, and (optional) the artist's
wallet address, so that the panel follows only jobs that address posted."""

from __future__ import annotations

from typing import Any

import bpy

from .job_choice import artist_address

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
    your_address: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Your address",
        description="The wallet address you post jobs with (optional): the panel then follows "
        "only your jobs of the uploaded scene, not those anyone else posts for it",
        default="",
    )

    def draw(self, context: Any) -> None:
        self.layout.prop(self, "server_url")
        self.layout.prop(self, "your_address")


def preferences(context: Any) -> TilefarmPreferences:
    """This add-on's preferences."""
    found: TilefarmPreferences = context.preferences.addons[__package__].preferences
    return found


def address_preference(context: Any) -> str | None:
    """The "Your address" preference as an address (None when empty); `AddonError` when it is
    not one."""
    return artist_address(preferences(context).your_address)
