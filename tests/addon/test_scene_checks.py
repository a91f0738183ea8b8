"""What the add-on's panel says about a scene before submitting it (addon/tilefarm/checks.py),
judged without Blender."""

from dataclasses import replace
from typing import Any

import pytest

from tests.addon.addon_modules import addon_module

checks = addon_module("checks")


def outside(kind: str, path: str, *, packed: bool = False, on_disk: bool = True,
            carriable: bool = True) -> Any:  # fmt: skip
    return checks.OutsideFile(kind, path.rsplit("/", 1)[-1], path, packed, on_disk, carriable)


def facts(**changes: Any) -> Any:
    plain = checks.SceneFacts(
        scene="Scene", engine="CYCLES", camera="Camera", frame_start=1, frame_end=24,
        frame_step=1, view_transform="AgX", look="None", exposure=0.0, gamma=1.0,
        display_device="sRGB", outside_files=(),
    )  # fmt: skip
    return replace(plain, **changes)


def by_topic(findings: list[Any]) -> dict[str, list[tuple[str, str]]]:
    topics: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        topics.setdefault(f.topic, []).append((f.level, f.text))
    return topics


def test_a_cycles_scene_with_nothing_outside_passes_every_check() -> None:
    findings = checks.check_scene(facts())
    assert [(f.topic, f.level) for f in findings] == [
        ("Engine", "ok"), ("Files", "ok"), ("Colour", "ok"), ("Frames", "ok"), ("Camera", "ok"),
    ]  # fmt: skip
    assert checks.blocking(findings, cycles_instead=False, allow_missing=False) == []
    assert by_topic(findings)["Files"] == [("ok", "no outside files")]


@pytest.mark.parametrize(
    ("engine", "named"),
    [("BLENDER_EEVEE", "Eevee"), ("BLENDER_EEVEE_NEXT", "Eevee"),
     ("BLENDER_WORKBENCH", "Workbench"), ("OCTANE", "OCTANE")],
)  # fmt: skip
def test_another_engine_stops_the_submission_unless_cycles_is_chosen_instead(
    engine: str, named: str
) -> None:
    findings = checks.check_scene(facts(engine=engine))
    (error,) = checks.blocking(findings, cycles_instead=False, allow_missing=False)
    assert error.topic == "Engine" and error.unless == "cycles_instead"
    assert f"renders with {named};" in error.text and "Render with Cycles instead" in error.text
    assert checks.blocking(findings, cycles_instead=True, allow_missing=False) == []


def test_outside_files_are_packed_made_local_or_named_as_left_out() -> None:
    files = (
        outside("image", "//tex/wood.png"),
        outside("image", "//tex/baked.png", packed=True),
        outside("library", "//props.blend"),
        outside("image", "//tex/gone.png", on_disk=False),
        outside("cache", "//cache/smoke/", carriable=False),
        outside("font", "//fonts/title.ttf"),
    )
    findings = checks.check_scene(facts(outside_files=files))
    assert by_topic(findings)["Files"] == [
        ("error", "2 files the copy cannot carry: //tex/gone.png (image, not found on disk), "
                  "//cache/smoke/ (cache, caches on disk cannot be packed); workers would render "
                  "without them (File > External Data > Find Missing Files, or tick 'Submit "
                  "without them')"),
        ("info", "2 files packed into the copy: //tex/wood.png (image), //fonts/title.ttf (font)"),
        ("info", "1 library made local in the copy: //props.blend (library)"),
    ]  # fmt: skip
    (error,) = checks.blocking(findings, cycles_instead=False, allow_missing=False)
    assert error.unless == "allow_missing"
    assert checks.blocking(findings, cycles_instead=False, allow_missing=True) == []


def test_many_files_left_out_are_counted_past_the_first_few() -> None:
    gone = tuple(outside("image", f"//tex/{i}.png", on_disk=False) for i in range(7))
    (finding, *_) = checks.check_files(facts(outside_files=gone))
    assert finding.text.startswith("7 files the copy cannot carry: //tex/0.png (image, not found")
    assert "//tex/3.png" in finding.text and "//tex/4.png" not in finding.text
    assert "and 3 more; workers would render without them" in finding.text


def test_a_scene_whose_files_are_all_packed_says_so() -> None:
    packed = (outside("image", "//a.png", packed=True), outside("sound", "//b.wav", packed=True))
    assert checks.check_files(facts(outside_files=packed))[0].text == (
        "all 2 outside files are packed"
    )


def test_the_colour_the_farm_can_deliver_is_confirmed_and_any_other_is_a_warning() -> None:
    confirmed = checks.check_colour(facts(look="AgX - Punchy", exposure=0.5))
    assert (confirmed.level, confirmed.text) == (
        "ok",
        "AgX, look AgX - Punchy, exposure 0.5, gamma 1, sRGB display: the frames come back "
        "with this look",
    )
    warned = checks.check_colour(facts(view_transform="False Color", display_device="Display P3"))
    assert warned.level == "warning"
    assert "cannot deliver the view transform 'False Color' or display 'Display P3'" in warned.text
    assert checks.check_colour(facts(gamma=6.0)).level == "warning"
    assert checks.check_colour(facts(exposure=-40.0)).level == "warning"


@pytest.mark.parametrize(
    ("start", "end", "step", "said"),
    [
        (1, 24, 1, "1-24 (24 frames); the job page can change them"),
        (1, 240, 2, "1-239x2 (120 frames); the job page can change them"),
        (7, 7, 1, "7 (1 frame); the job page can change them"),
        (1, 2, 5, "1 (1 frame); the job page can change them"),
    ],
)
def test_the_frame_range_is_said_in_the_frame_grammar_of_the_job_page(
    start: int, end: int, step: int, said: str
) -> None:
    finding = checks.check_frames(facts(frame_start=start, frame_end=end, frame_step=step))
    assert (finding.level, finding.text) == ("ok", said)


def test_frames_no_job_can_hold_are_a_warning_to_choose_them_on_the_page() -> None:
    below = checks.check_frames(facts(frame_start=-10, frame_end=10))
    assert below.level == "warning"
    assert below.text == (
        "frames -10-10 go outside 0..1,048,574, the frames tilefarm renders: choose the frames "
        "on the job page"
    )
    many = checks.check_frames(facts(frame_start=0, frame_end=200_000))
    assert "200,001 frames is more than a job renders (100,000)" in many.text
    assert checks.blocking([below, many], cycles_instead=False, allow_missing=False) == []


def test_a_scene_without_a_camera_cannot_be_submitted() -> None:
    findings = checks.check_scene(facts(camera=None))
    (error,) = checks.blocking(findings, cycles_instead=True, allow_missing=True)
    assert error.topic == "Camera" and "no active camera" in error.text
