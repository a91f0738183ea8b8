"""A server that answers the artist's commands with something they cannot read, or with more
bytes than a file may hold, is named with what was wrong, and nothing of a refused download is
left on disk. The server is a fake one (`fake_server`); no chain, Kubo or Blender. Cost: a few
loopback requests a test (one keystore unlock for `submit`)."""

import os
from collections.abc import Iterator
from pathlib import Path

from tilefarm.cids import CHUNK, cid_of_bytes

from .artist_cli import cli, flat, write_keystore
from .fake_server import Route, chunks, fake_server, json_reply

JOB = {"job_id": 1, "status": "Active", "tile_count": 1, "frame_count": 1, "seats": []}
PNG_URL = "/api/jobs/1/frames/1.png"


def frames(png_cid: str) -> dict[str, object]:
    return {"job_id": 1, "frames": [{
        "frame": 1, "status": "assembled", "width": 32, "height": 24, "png_cid": png_cid,
        "exr_cid": None, "png_url": PNG_URL, "exr_url": "/api/jobs/1/frames/1.exr",
    }]}  # fmt: skip


def job_server(png_cid: str, png: Route) -> dict[tuple[str, str], Route]:
    return {
        ("GET", "/api/jobs/1"): json_reply(JOB),
        ("GET", "/api/jobs/1/frames"): json_reply(frames(png_cid)),
        ("GET", PNG_URL): png,
    }


def refused(*argv: object) -> str:
    result = cli(*argv)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    return flat(result.output)


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_watch_names_the_server_and_the_key_a_job_answer_lacks() -> None:
    broken = {**JOB, "seats": [{"state": "Paid"}]}  # no tile_count
    with fake_server({("GET", "/api/jobs/1"): json_reply(broken)}) as server:
        said = refused("watch", "1", "--server", server.url)
    assert f"the server at {server.url} answered reading job 1 with something" in said
    assert "seats.0.tile_count: Field required" in said


def test_fetch_names_a_frame_list_of_the_wrong_type(tmp_path: Path) -> None:
    routes = job_server("bafkrei", json_reply({}))
    routes[("GET", "/api/jobs/1/frames")] = json_reply({"frames": [{"frame": "first"}]})
    with fake_server(routes) as server:
        said = refused("fetch", "1", "--server", server.url, "--out", tmp_path / "out")
    assert f"the server at {server.url} answered listing job 1's frames" in said
    assert "frames.0.frame: Input should be a valid integer" in said


def test_submit_names_a_config_without_the_chains_rpc(tmp_path: Path) -> None:
    blend = tmp_path / "shot.blend"
    blend.write_bytes(b"BLENDER-v500")
    key = write_keystore(tmp_path / "artist.json", os.urandom(32))
    config = {"chain_id": 31337, "market_address": "0x" + "11" * 20}
    with fake_server({("GET", "/api/config"): json_reply(config)}) as server:
        said = refused("submit", blend, "--server", server.url, "--keystore", key, "--no-pack")
    assert "answered reading the server's config with something" in said
    assert "rpc_url: Field required" in said


def streamed(total: int, size: int = 64 * 1024) -> Route:
    """A body of `total` bytes sent in chunks, with no declared size."""

    def reply(_request: bytes) -> tuple[int, dict[str, str], Iterator[bytes]]:
        return 200, {"content-type": "image/png"}, chunks(size, total)

    return reply


def test_fetch_stops_a_download_past_max_bytes_and_keeps_nothing_of_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    several_blocks = cid_of_bytes(b"y" * (2 * CHUNK))  # a CID that may hold many bytes
    with fake_server(job_server(several_blocks, streamed(4 * 2**20))) as server:
        said = refused("fetch", "1", "--server", server.url, "--out", out, "--max-bytes", "1MiB")
    assert f"frame 1 PNG from {server.url} ran past 1 MiB" in said
    assert "nothing was saved" in said and left_in(out) == []


def test_fetch_refuses_a_file_declared_larger_than_max_bytes_before_reading_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"

    def huge(_request: bytes) -> tuple[int, dict[str, str], bytes]:
        return 200, {"content-type": "image/png", "content-length": str(2**30)}, b"x" * 1024

    with fake_server(job_server(cid_of_bytes(b"y" * (2 * CHUNK)), huge)) as server:
        said = refused("fetch", "1", "--server", server.url, "--out", out, "--max-bytes", "1MiB")
    assert f"{server.url} declares frame 1 PNG as 1 GiB, more than the 1 MiB" in said
    assert left_in(out) == []


def test_fetch_stops_reading_bytes_longer_than_their_one_block_cid_can_be(
    tmp_path: Path, server_bytes: int = 64 * 2**20
) -> None:
    out = tmp_path / "out"
    with fake_server(job_server(cid_of_bytes(b"a small png"), streamed(server_bytes))) as server:
        said = refused("fetch", "1", "--server", server.url, "--out", out)
        server.wait_finished(PNG_URL)
    assert "is longer than the one block its CID" in said and "nothing was saved" in said
    assert left_in(out) == []
    # It stopped reading: most of what the server had to send was never taken.
    assert server.sent_bytes[PNG_URL] < server_bytes // 2
