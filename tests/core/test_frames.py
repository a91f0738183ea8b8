"""Frame lists as artists type them ("1-240x2", "1..24", "1,5,9-12x3"): what they name, what is
refused and why, and the shortest way to write a list back. The cases live in
frames_cases.json, which the page's own test (frontend/test/frames.test.ts) reads too: the CLI
and the page read every frame list alike."""

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tilefarm.errors import TilefarmError
from tilefarm.frames import MAX_FRAMES, FramesError, format_frames, parse_frames
from tilefarm.manifest import MAX_FRAME

CASES: dict[str, Any] = json.loads((Path(__file__).parent / "frames_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["parses"], ids=lambda c: repr(c["text"]))
def test_a_frame_list_names_its_frames_sorted_and_once_each(case: dict[str, Any]) -> None:
    frames = parse_frames(case["text"])

    if "frames" in case:
        assert frames == case["frames"]
    else:
        assert (frames[0], frames[-1], len(frames)) == (case["first"], case["last"], case["count"])
    assert frames == sorted(set(frames))


def test_a_step_takes_every_nth_frame_from_the_first() -> None:
    assert parse_frames("1-240x2") == list(range(1, 241, 2))
    assert parse_frames("1-100x2") == list(range(1, 100, 2))


@pytest.mark.parametrize("case", CASES["refuses"], ids=lambda c: repr(c["text"]))
def test_a_frame_list_that_makes_no_sense_says_what_is_wrong(case: dict[str, Any]) -> None:
    with pytest.raises(FramesError) as refused:
        parse_frames(case["text"])

    assert case["says"] in str(refused.value)


def test_a_refused_frame_list_is_a_tilefarm_error_and_a_value_error() -> None:
    with pytest.raises(FramesError) as refused:
        parse_frames("240-1")

    assert isinstance(refused.value, TilefarmError)
    assert isinstance(refused.value, ValueError)


def test_numbers_with_thousands_of_digits_are_read_not_choked_on() -> None:
    assert parse_frames("0" * 5000 + "3-5x" + "9" * 5000) == [3]
    with pytest.raises(FramesError, match="goes past frame 1,048,574"):
        parse_frames("1-2" + "0" * 5000)


def test_every_frame_a_manifest_may_hold_can_be_named() -> None:
    assert parse_frames(f"0,{MAX_FRAME}") == [0, MAX_FRAME]
    assert len(parse_frames(f"0-{MAX_FRAMES - 1}")) == MAX_FRAMES


@pytest.mark.parametrize("case", CASES["formats"], ids=lambda c: c["text"])
def test_frames_are_written_back_in_their_shortest_form(case: dict[str, Any]) -> None:
    assert format_frames(case["frames"]) == case["text"]


def test_a_scene_range_with_a_step_is_written_as_one_stepped_range() -> None:
    assert format_frames(range(1, 241, 2)) == "1-239x2"
    assert format_frames(range(0, 100_000)) == "0-99999"


def test_written_frames_read_back_as_the_same_frames() -> None:
    rng = random.Random(21)
    for _ in range(500):
        start = rng.choice([0, 1, 1000, MAX_FRAME - 60])
        frames = sorted(rng.sample(range(start, start + 60), rng.randint(1, 30)))

        assert parse_frames(format_frames(frames)) == frames


@pytest.mark.parametrize(
    ("frames", "says"), [([], "name at least one frame"), ([-1, 2], "frames lie in 0..")]
)
def test_frames_that_cannot_be_written_say_why(frames: list[int], says: str) -> None:
    with pytest.raises(FramesError, match=says):
        format_frames(frames)
