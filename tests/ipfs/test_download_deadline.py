"""A download from someone else's files has a deadline for the whole of it, not only a timeout for
each answer: a node sending a byte now and then, or nothing at all, is given up on in time (and
tried again later), and a tile is cut off once it is larger than any EXR of its size. Against a
node of the test's own (`trickling_node`), no Kubo needed."""

import os
import re
from pathlib import Path

import pytest

from tests.ipfs.hostile_node import trickling_node
from tilefarm.adapters.ipfs import DownloadTooSlow, IpfsUnavailable, KuboClient
from tilefarm.checks.verification import CommittedResultsInvalid, fetch_tile
from tilefarm.cids import cid_of_bytes
from tilefarm.pixels import max_exr_bytes
from tilefarm.results import ResultTile

BODY = os.urandom(400)
TRICKLE = 0.05  # seconds between two bytes: each answer well within the timeout, 20 s in all
DEADLINE = r"did not arrive within its 0\.5 s deadline"


def _bytes_that_came(error: IpfsUnavailable) -> int:
    found = re.search(r"\((\d+) bytes came\)", str(error))
    assert found, str(error)
    return int(found[1])


def test_a_node_trickling_a_download_is_given_up_on_at_its_deadline(tmp_path: Path) -> None:
    cid = cid_of_bytes(BODY)
    with trickling_node(BODY, pause=TRICKLE) as url, KuboClient(url, timeout=5) as node:
        with pytest.raises(DownloadTooSlow, match=DEADLINE) as cut:
            node.cat_to_file(cid, tmp_path / "tile.exr", deadline=0.5)
        assert 0 < _bytes_that_came(cut.value) < len(BODY)
        assert list(tmp_path.iterdir()) == []  # no partial file left behind
        with pytest.raises(DownloadTooSlow, match=DEADLINE):
            node.cat(cid, deadline=0.5)


def test_a_node_that_answers_then_falls_silent_is_given_up_on_at_the_deadline(
    tmp_path: Path,
) -> None:
    # Each answer may take 30 s; the download may take 0.5 s in all: the wait is cut to it.
    cid = cid_of_bytes(BODY)
    with (
        trickling_node(BODY, pause=0, first_after=60) as url,
        KuboClient(url, timeout=30, outage_seconds=0) as node,
    ):
        with pytest.raises(DownloadTooSlow, match=DEADLINE) as cut:
            node.cat_to_file(cid, tmp_path / "tile.exr", deadline=0.5)
        assert _bytes_that_came(cut.value) == 0


def test_a_slow_but_steady_download_without_a_deadline_comes_whole(tmp_path: Path) -> None:
    body = os.urandom(40)
    with trickling_node(body, pause=0.01) as url, KuboClient(url, timeout=5) as node:
        copy = node.cat_to_file(cid_of_bytes(body), tmp_path / "copy", deadline=30)
        assert copy.read_bytes() == body
        assert node.cat(cid_of_bytes(body)) == body


def test_a_tile_is_cut_off_once_larger_than_any_exr_of_its_size(tmp_path: Path) -> None:
    # 32 x 24 float RGBA pixels take 12 KiB; no honest EXR of them comes near 1 MiB.
    body = bytes(1 << 20)
    tile = ResultTile(index=3, cid=cid_of_bytes(body), pixel_hash="00" * 32)
    with trickling_node(body, pause=0) as url, KuboClient(url, timeout=5) as node:
        with pytest.raises(CommittedResultsInvalid) as refused:
            fetch_tile(node, tile, tmp_path / "3.exr", (24, 32))
    bound = max_exr_bytes(24, 32)
    assert f"tile 3 ({tile.cid}) is larger than any EXR of its 32x24 pixels ({bound} bytes)" in (
        str(refused.value)
    )
    assert list(tmp_path.iterdir()) == []


def test_a_tile_trickled_past_its_deadline_is_to_be_read_again_later(tmp_path: Path) -> None:
    # Not refused (an honest worker's node may be slow now): unavailable, tried again later.
    tile = ResultTile(index=0, cid=cid_of_bytes(BODY), pixel_hash="00" * 32)
    with trickling_node(BODY, pause=TRICKLE) as url, KuboClient(url, timeout=5) as node:
        with pytest.raises(IpfsUnavailable, match="deadline"):
            fetch_tile(node, tile, tmp_path / "0.exr", (24, 32), deadline=0.5)
