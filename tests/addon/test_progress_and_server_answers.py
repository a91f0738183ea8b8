"""What the add-on's panel shows of a submitted scene's job, and how it reads the server's
answers and addresses (addon/tilefarm/progress.py and client.py), without Blender."""

from typing import Any

import pytest

from tests.addon.addon_modules import addon_module
from tilefarm_cli.devnet.ports import free_port

progress = addon_module("progress")
choice = addon_module("job_choice")
client = addon_module("client")
errors = addon_module("errors")

ARTIST = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def job(job_id: int, status: str = "Bidding", tiles: int = 8) -> Any:
    return choice.Candidate(job_id=job_id, artist=ARTIST, status=status, tile_count=tiles)


def test_a_scene_without_a_job_says_where_to_post_one() -> None:
    shown = progress.summarise([], None, None)
    assert shown.job_id is None and not shown.finished
    assert shown.lines() == ["No job yet: post it on the job page (your wallet signs it there)"]


def test_the_followed_job_is_shown_with_its_poster_and_its_tiles_by_state() -> None:
    status = {
        "job_id": 9, "status": "Active", "tile_count": 8, "tiles_assigned": 8,
        "tiles_submitted": 5, "tiles_accepted": 2, "tiles_rejected": 1,
    }  # fmt: skip
    shown = progress.summarise([job(9)], job(9), status)
    assert shown.lines() == [
        "Job 9 by 0x7099...79C8: Active",
        "2 of 8 tiles verified, 5 rendered, 8 sold",
        "1 rejected",
    ]
    assert shown.fraction == 0.25 and not shown.finished


@pytest.mark.parametrize("status", ["Completed", "Cancelled", "Expired"])
def test_a_finished_job_stops_the_polling(status: str) -> None:
    assert progress.summarise([job(3, status)], job(3, status), None).finished


def test_a_status_of_another_job_is_not_shown_as_the_followed_ones() -> None:
    stale = {"job_id": 4, "status": "Completed", "tile_count": 8, "tiles_accepted": 8}
    shown = progress.summarise([job(9)], job(9), stale)
    assert (shown.status, shown.tiles_accepted) == ("Bidding", 0)


def test_several_jobs_posted_since_the_upload_are_listed_to_choose_from() -> None:
    found = [job(12), job(11, "Active", 4)]
    shown = progress.summarise(found, None, None)
    assert shown.job_id is None and shown.choosing and not shown.finished
    assert shown.lines() == [
        "2 jobs of this scene were posted since the upload: choose yours",
        "Set Your address in the add-on's preferences to see only your jobs",
    ]
    assert [c.line() for c in shown.candidates] == [
        "Job 12 by 0x7099...79C8: Bidding, 8 tiles",
        "Job 11 by 0x7099...79C8: Active, 4 tiles",
    ]
    chosen = progress.summarise(found, found[1], None, by_artist=True)
    assert chosen.lines()[0] == (
        "Job 11 by 0x7099...79C8: Active (your choice of 2 jobs posted since the upload)"
    )


def test_the_job_page_address_names_the_uploaded_scene() -> None:
    cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    assert client.job_page_url("http://farm.example:8000/", cid) == (
        f"http://farm.example:8000/#/submit?scene={cid}"
    )


@pytest.mark.parametrize("address", ["farm.example:8000", "ftp://farm.example", "http://", ""])
def test_a_server_address_that_is_not_http_says_what_to_write(address: str) -> None:
    with pytest.raises(errors.AddonError, match=r"set one like http://127\.0\.0\.1:8000"):
        client.server_base(address)


def test_an_unreachable_server_says_so_and_what_to_check() -> None:
    server = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(errors.AddonError) as refused:
        client.jobs_for_scene(server, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
    said = str(refused.value)
    assert said.startswith(f"could not reach the tilefarm server at {server}:")
    assert said.endswith("is it running, and is the address in the add-on's preferences right?")


def test_the_servers_error_body_becomes_an_error_with_its_code_and_message() -> None:
    body = b'{"error": {"code": "missing_files", "message": "scene.blend names 1 file", '
    body += b'"details": {"missing_files": [], "more": 0}}}'
    error = client._error(422, body)
    assert (error.status, error.code, str(error)) == (
        422,
        "missing_files",
        "scene.blend names 1 file",
    )
    assert error.details == {"missing_files": [], "more": 0}
    bare = client._error(502, b"<html>Bad Gateway</html>")
    assert (bare.code, str(bare)) == (
        "http_error",
        "the server answered 502: <html>Bad Gateway</html>",
    )
