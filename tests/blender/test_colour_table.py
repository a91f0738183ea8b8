"""The manifest's colour table is what Blender 5.0.1 offers: every display device, each display's
view transforms, each view's looks (in Blender's order), the working spaces, and the ranges of
exposure, gamma, white balance and dither."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tilefarm.colour import (
    DISPLAY_DEVICES,
    DISPLAY_VIEWS,
    VIEW_LOOKS,
    WORKING_SPACES,
    ColourManagement,
)

pytestmark = pytest.mark.blender

HELPER = Path(__file__).with_name("blender_colour.py")


@pytest.fixture(scope="module")
def offered() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HELPER), "table"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def test_every_display_view_and_look_blender_offers_is_in_the_table_in_its_order(
    offered: dict[str, Any],
):
    ours = [
        [display, [[view, list(VIEW_LOOKS[view])] for view in DISPLAY_VIEWS[display]]]
        for display in DISPLAY_DEVICES
    ]
    blenders = [
        [display, [[view, looks] for view, looks in views.items()]]
        for display, views in offered["displays"].items()
    ]
    assert ours == blenders
    # No view is listed for looks without a display offering it.
    assert set(VIEW_LOOKS) == {view for views in DISPLAY_VIEWS.values() for view in views}


def test_the_working_spaces_are_blenders(offered: dict[str, Any]):
    assert list(WORKING_SPACES) == offered["working_spaces"]


def test_the_numbers_take_blenders_whole_range(offered: dict[str, Any]):
    schema = ColourManagement.model_json_schema()["properties"]
    for name, (low, high) in offered["ranges"].items():
        assert [schema[name]["minimum"], schema[name]["maximum"]] == pytest.approx([low, high])
