"""Colour management: how a frame's scene-linear pixels become the 8-bit PNG the artist sees.

EXR tiles stay scene-linear whatever is chosen here; only PNGs (frames, previews, films) go
through the display device, view transform, look, exposure and gamma, as Blender saves a render.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColourManagement(_Strict):
    """Scene colour management. EXR tiles stay scene-linear; this decides previews and PNGs."""

    view_transform: Literal[
        "Standard", "AgX", "Filmic", "Filmic Log", "Khronos PBR Neutral", "Raw"
    ] = "Standard"
    look: str = Field(default="None", max_length=64)
    exposure: Annotated[float, Field(ge=-32.0, le=32.0)] = 0.0
    gamma: Annotated[float, Field(gt=0.0, le=5.0)] = 1.0
    display_device: Literal["sRGB"] = "sRGB"

    @property
    def plain_srgb(self) -> bool:
        """True for Standard with no look, exposure or gamma: a plain sRGB encode, which
        `tilefarm.stitch.linear_to_srgb8` reproduces without Blender."""
        return (self.view_transform, self.look, self.exposure, self.gamma) == (
            "Standard",
            "None",
            0.0,
            1.0,
        )
