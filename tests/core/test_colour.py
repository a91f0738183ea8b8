"""Colour management in the manifest: any combination Blender offers is carried, one it would
refuse is an error naming what is allowed, and only the plain sRGB encode skips Blender."""

import re
from typing import Any

import pytest
from pydantic import ValidationError

from tilefarm.colour import DISPLAY_VIEWS, VIEW_LOOKS, ColourManagement
from tilefarm.manifest import build_manifest, parse_manifest

SCENE_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def manifest(**colour: object):
    return build_manifest(
        scene_cid=SCENE_CID,
        frames=[1],
        resolution={"width": 64, "height": 48},
        tile_grid={"columns": 2, "rows": 2},
        samples=4,
        colour=colour,
    )


def test_a_manifest_without_colour_settings_is_a_plain_undithered_srgb_encode():
    old = manifest().model_dump(mode="json")
    old["colour"] = {"view_transform": "Standard", "look": "None", "exposure": 0.0, "gamma": 1.0}
    colour = parse_manifest(build_manifest(**old).canonical_json()).colour
    assert colour == ColourManagement()
    assert colour.plain_srgb
    assert colour.dither_intensity == 0.0


@pytest.mark.parametrize(
    "change",
    [
        {"view_transform": "AgX"},
        {"look": "High Contrast"},
        {"exposure": 0.5},
        {"gamma": 1.2},
        {"dither_intensity": 1.0},
        {"display_device": "Display P3"},
        {"working_space": "ACEScg"},
        {"use_white_balance": True},
    ],
)
def test_any_other_setting_needs_blender_for_the_png(change: dict[str, Any]):
    assert not ColourManagement(**change).plain_srgb


def test_every_combination_blender_offers_is_carried_through_the_manifest():
    for display, views in DISPLAY_VIEWS.items():
        for view in views:
            for look in VIEW_LOOKS[view]:
                carried = manifest(display_device=display, view_transform=view, look=look)
                again = parse_manifest(carried.canonical_json()).colour
                assert (again.display_device, again.view_transform, again.look) == (
                    display,
                    view,
                    look,
                )


def test_the_artists_agx_look_with_dither_survives_the_manifests_bytes():
    colour = {
        "view_transform": "AgX",
        "look": "AgX - Punchy",
        "exposure": 0.75,
        "gamma": 0.9,
        "dither_intensity": 1.0,
        "use_white_balance": True,
        "white_balance_temperature": 4500.0,
        "white_balance_tint": -20.0,
    }
    carried = parse_manifest(manifest(**colour).canonical_json()).colour
    assert carried == ColourManagement(**colour)


def test_a_view_the_display_does_not_offer_is_refused_naming_the_displays_views():
    with pytest.raises(ValidationError) as refused:
        ColourManagement(display_device="sRGB", view_transform="AgX - SDR")
    text = str(refused.value)
    assert "'AgX - SDR' is not offered on display 'sRGB'" in text
    assert "Standard, ACES 1.3, ACES 2.0, Khronos PBR Neutral, AgX, Filmic" in text
    with pytest.raises(ValidationError, match="not offered on display 'Display P3'"):
        ColourManagement(display_device="Display P3", view_transform="Filmic")


def test_a_look_of_another_view_is_refused_naming_the_views_looks():
    with pytest.raises(ValidationError) as refused:
        ColourManagement(view_transform="Standard", look="AgX - Punchy")
    text = str(refused.value)
    assert "look 'AgX - Punchy' is not offered with view transform 'Standard'" in text
    assert "None, Very High Contrast, High Contrast" in text
    with pytest.raises(ValidationError, match="AgX - Base Contrast"):
        ColourManagement(view_transform="AgX", look="Medium Contrast")


def test_an_unknown_display_or_working_space_is_refused_naming_blenders():
    with pytest.raises(ValidationError, match=re.escape("'sRGB', 'Display P3', 'Rec.1886'")):
        ColourManagement(display_device="Apple XDR")
    with pytest.raises(
        ValidationError, match=re.escape("'Linear Rec.709', 'Linear Rec.2020' or 'ACEScg'")
    ):
        ColourManagement(working_space="Linear sRGB")


@pytest.mark.parametrize(
    "bad",
    [
        {"dither_intensity": -0.1},
        {"dither_intensity": float("inf")},
        {"dither_intensity": float("nan")},
        {"exposure": 32.5},
        {"gamma": 5.5},
        {"gamma": -1.0},
        {"white_balance_temperature": 1000.0},
        {"white_balance_tint": 600.0},
    ],
)
def test_numbers_outside_blenders_range_are_refused(bad: dict[str, Any]):
    with pytest.raises(ValidationError):
        ColourManagement(**bad)


def test_numbers_at_the_ends_of_blenders_range_are_carried():
    ColourManagement(exposure=-32.0, gamma=0.0, dither_intensity=2.0)
    ColourManagement(exposure=32.0, gamma=5.0, white_balance_temperature=100_000.0)
