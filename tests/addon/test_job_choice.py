"""Which jobs of an uploaded scene the panel takes for the artist's (addon/tilefarm/job_choice.py):
anyone can post a job naming a scene's CID, and the same scene uploaded twice has the same CID,
so the panel keeps only jobs posted after the upload, by the artist when their address is known,
and lists several instead of picking one."""

from typing import Any

import pytest

from tests.addon.addon_modules import addon_module

choice = addon_module("job_choice")
errors = addon_module("errors")

ARTIST = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
STRANGER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
UPLOADED_AFTER_BLOCK = 40


def job(job_id: int, posted_block: int, artist: str = ARTIST) -> dict[str, Any]:
    """A `JobSummary` as GET /api/jobs lists it (the fields the add-on reads, and a few more)."""
    return {
        "job_id": job_id, "artist": artist, "manifest_cid": "bafy", "status": "Bidding",
        "tile_count": 4, "posted_block": posted_block, "posted_at": 1_700_000_000 + posted_block,
        "root": 0,
    }  # fmt: skip


def listed(*jobs: dict[str, Any]) -> dict[str, Any]:
    """A `JobList`, newest first as the server orders it."""
    items = sorted(jobs, key=lambda j: -j["job_id"])
    return {"items": items, "total": len(items), "limit": 50, "offset": 0, "next_offset": None}


def test_jobs_posted_before_the_upload_are_not_the_submissions() -> None:
    scope = choice.Scope(since_block=UPLOADED_AFTER_BLOCK)
    jobs = listed(job(3, 12), job(5, UPLOADED_AFTER_BLOCK), job(8, UPLOADED_AFTER_BLOCK + 1))
    assert [c.job_id for c in choice.candidates(jobs, scope)] == [8]


def test_the_only_job_posted_since_the_upload_is_followed() -> None:
    found = choice.candidates(listed(job(8, 41)), choice.Scope(since_block=40))
    assert choice.followed(found, None) == choice.Candidate(8, ARTIST, "Bidding", 4)


def test_a_strangers_job_for_the_same_scene_is_listed_beside_the_artists_not_followed() -> None:
    jobs = listed(job(8, 41), job(9, 42, STRANGER))
    found = choice.candidates(jobs, choice.Scope(since_block=40))
    assert [(c.job_id, c.artist) for c in found] == [(9, STRANGER), (8, ARTIST)]
    assert choice.followed(found, None) is None
    assert choice.followed(found, 8).job_id == 8


def test_with_the_artists_address_only_their_jobs_count_in_any_letter_case() -> None:
    jobs = listed(job(8, 41), job(9, 42, STRANGER))
    scope = choice.Scope(since_block=40, artist=ARTIST.lower())
    found = choice.candidates(jobs, scope)
    assert [c.job_id for c in found] == [8]
    assert choice.followed(found, None).job_id == 8


def test_a_chosen_job_that_is_no_longer_a_candidate_is_not_followed() -> None:
    found = choice.candidates(listed(job(8, 41)), choice.Scope(since_block=40))
    assert choice.followed(found, 9) is None


def test_an_empty_address_means_anyone_and_a_wrong_one_says_what_to_write() -> None:
    assert choice.artist_address("  ") is None
    assert choice.artist_address(f" {ARTIST} ") == ARTIST
    with pytest.raises(errors.AddonError) as refused:
        choice.artist_address("0x1234")
    assert str(refused.value) == (
        "Your address '0x1234' (the add-on's preferences) is not an Ethereum address: write the "
        "wallet's address (0x and 40 hex digits), or clear it to see every job of the scene"
    )
