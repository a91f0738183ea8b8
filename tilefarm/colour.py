"""Colour management: how a frame's scene-linear pixels become the 8-bit PNG the artist sees.

EXR tiles stay scene-linear whatever is chosen here; only PNGs (frames, previews, films) go
through the working space, display device, view transform, look, exposure, gamma, white balance
and dither, as Blender saves a render. The tables below are what Blender 5.0.1's own colour
configuration offers (`tests/blender/test_colour_table.py` asks bpy and compares, order included):
a manifest can name any combination Blender accepts and none that Blender would refuse.

Not carried: the view's RGB curves (frames are saved without them) and the display's emulation
(it changes what a monitor shows, never a saved file).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

DisplayDevice = Literal["sRGB", "Display P3", "Rec.1886", "Rec.2020", "Rec.2100-PQ", "Rec.2100-HLG"]
# The scene-linear space the file renders in (Blender 5.0's Working Space). It is the file's,
# not a choice made after rendering: tiles come back in it.
WorkingSpace = Literal["Linear Rec.709", "Linear Rec.2020", "ACEScg"]

DISPLAY_DEVICES: tuple[str, ...] = get_args(DisplayDevice)
WORKING_SPACES: tuple[str, ...] = get_args(WorkingSpace)

# Blender's largest float: the hard maximum of its unbounded float settings (the dither).
FLT_MAX = 3.4028234663852886e38

_CONTRAST = (
    "None",
    "Very High Contrast",
    "High Contrast",
    "Medium High Contrast",
    "Medium Contrast",
    "Medium Low Contrast",
    "Low Contrast",
    "Very Low Contrast",
)


def _graded(view: str) -> tuple[str, ...]:
    """The looks AgX and False Color share, each named after its view."""
    grades = (
        "Punchy",
        "Greyscale",
        "Very High Contrast",
        "High Contrast",
        "Medium High Contrast",
        "Base Contrast",
        "Medium Low Contrast",
        "Low Contrast",
        "Very Low Contrast",
    )
    return ("None", *(f"{view} - {grade}" for grade in grades))


_ACES_13 = ("None", "ACES 1.3 - Reference Gamut Compression")
_ACES_20 = ("None", "ACES 2.0 - Reference Gamut Compression")
_AGX = _graded("AgX")

# Each display device's view transforms, in Blender's order.
DISPLAY_VIEWS: dict[str, tuple[str, ...]] = {
    "sRGB": (
        "Standard",
        "ACES 1.3",
        "ACES 2.0",
        "Khronos PBR Neutral",
        "AgX",
        "Filmic",
        "Filmic Log",
        "False Color",
        "Raw",
    ),
    "Display P3": ("Standard", "ACES 1.3", "ACES 2.0", "AgX", "False Color", "Raw"),
    "Rec.1886": ("Standard", "ACES 1.3", "ACES 2.0", "AgX", "False Color", "Raw"),
    "Rec.2020": ("Standard", "ACES 1.3", "ACES 2.0", "AgX", "False Color", "Raw"),
    "Rec.2100-PQ": (
        "Standard",
        "ACES 1.3 - HDR 1000 nits",
        "ACES 1.3 - HDR 2000 nits",
        "ACES 1.3 - HDR 4000 nits",
        "ACES 1.3 - SDR",
        "ACES 2.0 - HDR 500 nits",
        "ACES 2.0 - HDR 1000 nits",
        "ACES 2.0 - HDR 2000 nits",
        "ACES 2.0 - HDR 4000 nits",
        "ACES 2.0 - SDR",
        "AgX - HDR 1000 nits",
        "AgX - SDR",
        "False Color",
        "Raw",
    ),
    "Rec.2100-HLG": (
        "Standard",
        "ACES 1.3 - HDR 1000 nits",
        "ACES 1.3 - SDR",
        "ACES 2.0 - HDR 1000 nits",
        "ACES 2.0 - SDR",
        "AgX - HDR 1000 nits",
        "AgX - SDR",
        "False Color",
        "Raw",
    ),
}

# Each view transform's looks, in Blender's order (a view offers the same looks on every display).
VIEW_LOOKS: dict[str, tuple[str, ...]] = {
    "Standard": _CONTRAST,
    "Khronos PBR Neutral": _CONTRAST,
    "Filmic": _CONTRAST,
    "Filmic Log": _CONTRAST,
    "Raw": _CONTRAST,
    "AgX": _AGX,
    "AgX - SDR": _AGX,
    "AgX - HDR 1000 nits": _AGX,
    "False Color": _graded("False Color"),
    "ACES 1.3": _ACES_13,
    "ACES 1.3 - SDR": _ACES_13,
    "ACES 1.3 - HDR 1000 nits": _ACES_13,
    "ACES 1.3 - HDR 2000 nits": _ACES_13,
    "ACES 1.3 - HDR 4000 nits": _ACES_13,
    "ACES 2.0": _ACES_20,
    "ACES 2.0 - SDR": _ACES_20,
    "ACES 2.0 - HDR 500 nits": _ACES_20,
    "ACES 2.0 - HDR 1000 nits": _ACES_20,
    "ACES 2.0 - HDR 2000 nits": _ACES_20,
    "ACES 2.0 - HDR 4000 nits": _ACES_20,
}


# View, look, exposure and gamma of a plain sRGB encode.
_PLAIN = ("Standard", "None", 0.0, 1.0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColourManagement(_Strict):
    """Scene colour management, as Blender's Color Management panel and the render's dither
    hold it. EXR tiles stay scene-linear; this decides previews and PNGs. The defaults are a
    plain sRGB encode (`plain_srgb`), what manifests meant before these settings existed."""

    working_space: WorkingSpace = "Linear Rec.709"
    display_device: DisplayDevice = "sRGB"
    view_transform: str = Field(
        default="Standard", max_length=64, description="one of DISPLAY_VIEWS[display_device]"
    )
    look: str = Field(default="None", max_length=64, description="one of VIEW_LOOKS[view]")
    exposure: Annotated[float, Field(ge=-32.0, le=32.0)] = 0.0
    gamma: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    use_white_balance: bool = False
    white_balance_temperature: Annotated[float, Field(ge=1800.0, le=100_000.0)] = 6500.0
    white_balance_tint: Annotated[float, Field(ge=-500.0, le=500.0)] = 10.0
    # Blender's render dither: noise of this strength (1.0 in a new scene) added before the 8-bit
    # rounding, which breaks up banding. 0 here, so that a manifest written before it existed
    # keeps its plain, undithered PNG.
    dither_intensity: Annotated[float, Field(ge=0.0, le=FLT_MAX, allow_inf_nan=False)] = 0.0

    @model_validator(mode="after")
    def _offered_by_blender(self) -> ColourManagement:
        views = DISPLAY_VIEWS[self.display_device]
        if self.view_transform not in views:
            raise ValueError(
                f"view transform {self.view_transform!r} is not offered on display "
                f"{self.display_device!r}; choose one of: {', '.join(views)}"
            )
        looks = VIEW_LOOKS[self.view_transform]
        if self.look not in looks:
            raise ValueError(
                f"look {self.look!r} is not offered with view transform "
                f"{self.view_transform!r}; choose one of: {', '.join(looks)}"
            )
        return self

    @property
    def plain_srgb(self) -> bool:
        """True for Standard on sRGB from Rec.709 with no look, exposure, gamma, white balance
        or dither: a plain sRGB encode, which `tilefarm.stitch.linear_to_srgb8` reproduces
        without Blender."""
        return (
            self.working_space == "Linear Rec.709"
            and self.display_device == "sRGB"
            and (self.view_transform, self.look, self.exposure, self.gamma) == _PLAIN
            and not self.use_white_balance
            and self.dither_intensity == 0.0
        )
