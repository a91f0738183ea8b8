"""A preview's picture (`marketplace.assembly.canvas`) without a server: at most 1024 px a side,
every tile on its own rectangle with no gap or overlap whatever the grid, a small frame kept
pixel for pixel, transparency where no tile is, and kept on disk for the next remake (a kept
file that cannot be read is made again). And the loops' waits (`waits`): what is put off is due
once, then forgotten; a seat that keeps failing waits longer each time."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from marketplace.assembly.canvas import CANVAS_FILE, LONGEST, Canvas, preview_size, shrink
from marketplace.assembly.waits import BackOff, Waits
from tilefarm.tiles import tile_rects


@pytest.mark.parametrize(
    ("width", "height", "columns", "rows"),
    [(16384, 16384, 7, 5), (3000, 2000, 13, 11), (1025, 3, 4, 1), (5000, 700, 1024, 3)],
)
def test_tiles_meet_without_gaps_or_overlaps_in_a_scaled_preview(
    width: int, height: int, columns: int, rows: int
) -> None:
    canvas = Canvas.blank("bafy-manifest", 0, width, height)
    small_h, small_w = canvas.pixels.shape[:2]
    assert max(small_w, small_h) == LONGEST
    assert abs(small_w / small_h - width / height) < 2 / min(small_w, small_h) + 0.01
    cover = np.zeros((small_h, small_w), int)
    for rect in tile_rects(width, height, columns, rows):
        x, y, x_end, y_end = canvas.box(rect)
        cover[y:y_end, x:x_end] += 1
    assert (cover == 1).all()


def test_a_frame_within_the_bound_keeps_its_size_and_its_pixels_exactly() -> None:
    assert preview_size(32, 24) == (32, 24) and preview_size(1024, 1) == (1024, 1)
    rng = np.random.default_rng(5)
    canvas = Canvas.blank("bafy-manifest", 0, 32, 24)
    rects = tile_rects(32, 24, 2, 2)
    tile = rng.random((rects[3].height, rects[3].width, 4), dtype=np.float32) * 8
    canvas.paste(3, rects[3], canvas.fit(rects[3], tile), "seat")
    assert np.array_equal(canvas.pixels[12:24, 16:32], tile)
    assert not canvas.pixels[:12].any() and not canvas.pixels[:, :16].any()  # transparent


def test_a_scaled_tile_is_the_mean_of_the_pixels_it_covers() -> None:
    tile = np.zeros((4, 8, 4), np.float32)
    tile[:, :4] = [1.0, 2.0, 0.0, 1.0]
    tile[:, 4:] = [3.0, 0.0, np.nan, 1.0]  # a NaN averages as 0, not over its neighbours
    small = shrink(tile, 2, 1)
    assert np.allclose(small[0, 0], [1.0, 2.0, 0.0, 1.0])
    assert np.allclose(small[0, 1], [3.0, 0.0, 0.0, 1.0])


def test_a_tile_no_source_shows_any_more_turns_transparent_again() -> None:
    canvas = Canvas.blank("bafy-manifest", 0, 4096, 2048)
    rect = tile_rects(4096, 2048, 2, 1)[1]
    canvas.paste(1, rect, canvas.fit(rect, np.ones((2048, 2048, 4), np.float32)), "seat")
    assert canvas.pixels[:, 512:].all() and not canvas.pixels[:, :512].any()
    canvas.clear(1, rect)
    assert not canvas.pixels.any() and canvas.shown == {}


def test_a_canvas_is_kept_for_its_own_frame_only(tmp_path: Path) -> None:
    canvas = Canvas.blank("bafy-manifest", 2, 3000, 2000)
    rect = tile_rects(3000, 2000, 3, 2)[4]
    canvas.paste(4, rect, canvas.fit(rect, np.full((1000, 1000, 4), 0.5, np.float32)), "s")
    canvas.save(tmp_path)
    again = Canvas.load(tmp_path, "bafy-manifest", 2, 3000, 2000)
    assert again is not None and again.shown == {4: "s"}
    assert np.array_equal(again.pixels, canvas.pixels)
    assert Canvas.load(tmp_path, "bafy-other", 2, 3000, 2000) is None  # another job's manifest
    assert Canvas.load(tmp_path, "bafy-manifest", 3, 3000, 2000) is None  # another frame
    assert Canvas.load(tmp_path / "none", "bafy-manifest", 2, 3000, 2000) is None


def _zip_of(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _pickled() -> bytes:
    """An .npz whose index is a pickled object: never unpickled (`allow_pickle=False`)."""
    out = io.BytesIO()
    np.savez(out, pixels=np.zeros((24, 32, 4), np.float32), index=np.array([{}], dtype=object))
    return out.getvalue()


def test_a_kept_canvas_that_cannot_be_read_is_made_again(tmp_path: Path) -> None:
    canvas = Canvas.blank("bafy-manifest", 0, 32, 24)
    canvas.save(tmp_path / "good")
    whole = (tmp_path / "good" / CANVAS_FILE).read_bytes()
    assert not list((tmp_path / "good").glob(".*.part"))  # replaced at once
    kept = {
        "empty": b"",  # a crash before any byte was written
        "cut short": whole[: len(whole) // 2],
        "not a zip": b"not a canvas at all",
        "a zip header only": b"PK\x03\x04" + b"\0" * 40,
        "another zip": _zip_of(readme=b"hello"),
        "pickled objects": _pickled(),
    }
    for why, data in kept.items():
        folder = tmp_path / why.replace(" ", "-")
        folder.mkdir()
        (folder / CANVAS_FILE).write_bytes(data)
        assert Canvas.load(folder, "bafy-manifest", 0, 32, 24) is None, why
    (tmp_path / "a-folder" / CANVAS_FILE).mkdir(parents=True)
    assert Canvas.load(tmp_path / "a-folder", "bafy-manifest", 0, 32, 24) is None
    assert Canvas.load(tmp_path / "good", "bafy-manifest", 0, 32, 24) is not None


def test_a_seat_that_keeps_failing_waits_twice_as_long_each_time_up_to_ten_minutes() -> None:
    seats: BackOff[str] = BackOff(30.0, 600.0)
    assert [seats.failed("offline") for _ in range(7)] == [30, 60, 120, 240, 480, 600, 600]
    assert seats.waiting("offline") and not seats.waiting("honest")
    assert seats.failed("honest") == 30  # each seat on its own
    seats.succeeded("honest")
    assert seats.failed("honest") == 30  # a success starts it over
    seats.keep_only({"honest"})  # no frame needs the offline seat any more: forgotten
    assert seats.failed("offline") == 30


def test_what_was_put_off_is_due_once_then_forgotten() -> None:
    waits: Waits[str] = Waits()
    waits.wait("seat", 0.0)  # its moment has come
    waits.wait("frame", 3600.0)
    assert not waits.waiting("seat") and waits.waiting("frame")
    assert waits.take_due() is True
    assert waits.take_due() is False  # forgotten: an idle loop sleeps again
    assert len(waits) == 1
    waits.clear("frame")
    assert len(waits) == 0 and not waits.take_due()
