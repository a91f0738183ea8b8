"""The scene's own look for the manifest: the colour management the server read from the upload
(`info.colour`, raw names as saved), as a manifest's `ColourManagement` when the manifest can
carry it, else Standard with a warning that says why (never replaced silently).

The working space is never part of that fallback: it is the space the scene renders in, and the
tiles come back in it, so a manifest must name the scene's own (the server refuses any other).
A working space no worker's Blender offers is refused here, before a manifest is stored."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tilefarm.colour import WORKING_SPACES, ColourManagement
from tilefarm_cli.artist.errors import ArtistError


def manifest_colour(scene_colour: Mapping[str, Any] | None) -> tuple[ColourManagement, str | None]:
    """The manifest's colour management for a scene, and a warning when it is not the scene's."""
    if not scene_colour:
        return ColourManagement(), (
            "the server reported no colour management for this scene (an older server?): "
            "the frames are saved through Standard"
        )
    # Only what a manifest names: a field it does not carry (dither) changes no saved pixel.
    fields = {k: scene_colour[k] for k in ColourManagement.model_fields if k in scene_colour}
    space = fields.get("working_space", ColourManagement().working_space)
    if space not in WORKING_SPACES:
        raise ArtistError(
            f"the scene renders in the working space {space!r}, which no worker's Blender offers "
            f"(they offer {', '.join(WORKING_SPACES)}): set one of those in the scene (Color "
            "Management > Working Space) and submit it again"
        )
    try:
        return ColourManagement.model_validate(fields), None
    except ValidationError as exc:
        reasons = "; ".join(_reason(e, fields) for e in exc.errors())
        return ColourManagement(working_space=space), (
            f"the scene's colour management cannot go into a manifest ({reasons}): the frames "
            f"are saved through Standard instead (from the scene's own working space {space}); "
            "choose settings Blender's own configuration offers to keep the scene's look"
        )


def _reason(error: Any, fields: Mapping[str, Any]) -> str:
    """One validation error in words, naming the scene's value when it is one field's."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    field = str(error["loc"][0])
    return f"{field} {fields.get(field)!r}: {message}"
