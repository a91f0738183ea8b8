"""What `tilefarm submit` reads from its options and the uploaded scene, and how `tilefarm watch`
counts a job's tiles: plain functions, no server, chain or Blender."""

from typing import Any

import pytest

from tilefarm.colour import ColourManagement
from tilefarm_cli.artist.answers import FilmAnswer, FrameAnswer, JobAnswer, SeatAnswer
from tilefarm_cli.artist.colour import manifest_colour
from tilefarm_cli.artist.errors import ArtistError
from tilefarm_cli.artist.eta import Eta
from tilefarm_cli.artist.job_params import (
    BadChoice,
    JobChoices,
    SceneFacts,
    parse_deadline,
    parse_eth,
    parse_pair,
)
from tilefarm_cli.artist.tile_states import finish, job_state, tile_counts

SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
AGX = {"view_transform": "AgX", "look": "AgX - Punchy", "exposure": 0.5, "gamma": 1.0,
       "display_device": "sRGB", "dither_intensity": 1.0}  # fmt: skip


def choices(**changes: object) -> JobChoices:
    fields: dict[str, object] = {
        "frames": [1, 2, 3], "width": 64, "height": 48, "samples": 4, "columns": 2, "rows": 1,
        "max_price_wei": 10**15, "verify_fee_wei": 10**12,
    }  # fmt: skip
    return JobChoices.model_validate({**fields, **changes})


def test_the_default_size_is_the_scenes_times_its_percentage_rounded_as_the_page_does() -> None:
    facts = SceneFacts(frame_start=1, frame_end=250, width=1920, height=1081,
                       resolution_percentage=50)  # fmt: skip
    assert facts.output_size == (960, 541)  # 540.5 rounds up, as Math.round does


def test_the_default_frames_are_the_scenes_range_with_its_step() -> None:
    facts = SceneFacts(frame_start=1, frame_end=240, frame_step=2, width=8, height=8)
    assert facts.frame_range == "1-239x2"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("1920by1080", "two whole numbers"), ("0x10", "at least 1"), ("12", "e.g. 1920x1080")],
)
def test_a_resolution_that_is_not_width_by_height_is_refused_saying_how(
    text: str, problem: str
) -> None:
    with pytest.raises(BadChoice, match=f"--resolution '{text}'") as caught:
        parse_pair(text, "--resolution", "1920x1080")
    assert problem in str(caught.value)


def test_amounts_of_eth_are_read_to_the_wei_and_nonsense_is_refused() -> None:
    assert parse_eth("0.001", "--max-price") == 10**15
    assert parse_eth("0", "--verify-fee", zero_allowed=True) == 0
    for bad in ("cheap", "-1", "0", "0.0000000000000000001"):
        with pytest.raises(BadChoice, match="--max-price"):
            parse_eth(bad, "--max-price")


def test_the_scenes_agx_look_goes_into_the_manifest() -> None:
    colour, warning = manifest_colour(AGX)
    assert warning is None
    # Every setting the manifest names is the scene's (dither too, where the manifest has it).
    named = colour.model_dump()
    assert {k: named[k] for k in AGX if k in named} == {k: v for k, v in AGX.items() if k in named}
    assert (colour.view_transform, colour.look, colour.exposure) == ("AgX", "AgX - Punchy", 0.5)
    assert choices(colour=colour).manifest(SCENE_CID).colour == colour


def test_a_look_the_manifest_cannot_carry_falls_back_to_standard_saying_why() -> None:
    # A view from a studio's own OpenColorIO configuration: no worker's Blender has it.
    colour, warning = manifest_colour({**AGX, "view_transform": "Studio Log"})
    assert colour == ColourManagement()
    assert warning is not None and "'Studio Log'" in warning and "Standard" in warning


def test_a_look_that_falls_back_keeps_the_scenes_working_space() -> None:
    # An ACEScg scene with a studio's view: the frames go through Standard, from ACEScg still
    # (the tiles come back in it, and the server refuses a manifest naming another space).
    colour, warning = manifest_colour(
        {**AGX, "working_space": "ACEScg", "view_transform": "Studio Log"}
    )
    assert colour == ColourManagement(working_space="ACEScg")
    assert warning is not None and "ACEScg" in warning


def test_a_working_space_no_worker_offers_is_refused_naming_it() -> None:
    with pytest.raises(ArtistError, match="working space 'Studio Linear'") as caught:
        manifest_colour({**AGX, "working_space": "Studio Linear"})
    assert "ACEScg" in str(caught.value)


def test_the_bid_bond_defaults_to_the_pages_raised_to_the_markets_least() -> None:
    assert choices().job_params(least_bid_bond=1, now=0).bid_bond == 10**14
    assert choices().job_params(least_bid_bond=3 * 10**14, now=0).bid_bond == 3 * 10**14
    with pytest.raises(BadChoice, match=r"--bid-bond 0\.0001 ETH is below the least"):
        choices(bid_bond_wei=10**14).job_params(least_bid_bond=2 * 10**14, now=0)


def test_the_final_deadline_counts_from_the_first_reveal_window_and_must_follow_it() -> None:
    params = choices(bid_window=60, reveal_window=60).job_params(1, now=1_000)
    assert params.final_deadline == 1_000 + 120 + 3 * 86_400
    assert parse_deadline("90m", 100) == 100 + 90 * 60
    with pytest.raises(BadChoice, match="before the first reveal window closes"):
        choices(final_deadline="2001-01-01T00:00").job_params(1, now=1_000_000_000)
    assert choices(max_rounds=0, final_deadline="never read").job_params(1, 0).final_deadline == 0


def _seat(state: str, count: int, first: int = 0, results: str | None = None) -> SeatAnswer:
    return SeatAnswer(state=state, tile_count=count, results_cid=results)


def _frame(number: int, status: str = "assembled") -> FrameAnswer:
    return FrameAnswer(frame=number, status=status, png_url="", exr_url="")


def _job(**fields: Any) -> JobAnswer:
    return JobAnswer.model_validate(fields)


def test_tiles_count_in_every_state_they_passed_and_returned_tiles_in_none() -> None:
    seats = [_seat("Paid", 2), _seat("Opened", 1, 2, "bafy"), _seat("Sealed", 1, 3),
             _seat("Assigned", 1, 4), _seat("TimedOut", 3, 5)]  # fmt: skip
    assert tile_counts(seats) == {"sold": 5, "committed": 4, "revealed": 3, "verified": 2}


def test_watching_ends_once_every_frame_and_the_film_are_ready() -> None:
    detail = _job(job_id=4, status="Active", tile_count=2, frame_count=2,
                  seats=[_seat("Accepted", 2)])  # fmt: skip
    frames = [_frame(1), _frame(2)]
    encoding = finish(job_state(detail, frames, FilmAnswer(status="pending")))
    assert not encoding.done and encoding.stage == "encoding the film"
    ready = finish(job_state(detail, frames, FilmAnswer(status="ready")))
    assert ready.done and ready.ok and "film is ready" in str(ready.message)
    on_chain = finish(job_state(detail, frames, FilmAnswer(status="ready")), until="completed")
    assert not on_chain.done  # the contest window is still open


def test_a_cancelled_job_ends_the_watch_as_not_whole() -> None:
    detail = _job(job_id=5, status="Cancelled", tile_count=2, frame_count=1, seats=[])
    state = finish(job_state(detail, [], None))
    assert state.done and state.ok is False and "cancelled" in str(state.message)


def test_the_time_left_follows_the_rate_tiles_went_through_since_work_began() -> None:
    eta = Eta()
    assert eta.update(0.0, committed=0, verified=0, tiles=10) is None  # the auction: no work
    assert eta.update(100.0, committed=2, verified=0, tiles=10) is None  # work began
    # 4 more steps in 20 s: 14 steps left at 0.2 steps a second.
    assert eta.update(120.0, committed=4, verified=2, tiles=10) == pytest.approx(70.0)
    assert eta.update(130.0, committed=10, verified=10, tiles=10) == 0.0
