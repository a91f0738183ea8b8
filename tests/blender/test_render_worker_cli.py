"""`render-worker devices | benchmark | render` end to end, with real renders."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from render_worker.cli import app
from tilefarm.pixels import pixel_hash, read_exr

pytestmark = pytest.mark.blender

runner = CliRunner()


def test_render_stitches_tiles_that_match_the_whole_frame(tiny_blend: Path, tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "render",
            str(tiny_blend),
            "--frame",
            "2",
            "--grid",
            "3x2",
            "--samples",
            "8",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
            "--check-whole",
            "--threads",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["complete"] and report["whole_frame_match"] is True
    assert [t["index"] for t in report["tiles"]] == list(range(6))
    frame = read_exr(report["frame_exr"])
    assert frame.shape == (48, 64, 4)
    assert pixel_hash(frame) == report["frame_pixel_hash"]
    assert Path(report["frame_png"]).stat().st_size > 0
    for tile in report["tiles"]:
        assert pixel_hash(read_exr(tile["path"])) == tile["pixel_hash"]


def test_render_a_subset_of_tiles_prints_their_hashes(tiny_blend: Path, tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "render",
            str(tiny_blend),
            "--grid",
            "2x2",
            "--samples",
            "4",
            "--tiles",
            "1,3",
            "--devices",
            "optix,cpu",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "partial frame" in result.stdout
    # No GPU here: the missing OptiX device is reported, never dropped silently.
    assert "'OPTIX' is not available" in result.stderr
    assert "stitched PNG" in result.stdout
    assert len(list((tmp_path / "tiles").glob("*.exr"))) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "3by2"], "must look like 4x3"),
        (["--tiles", "9"], "within 0..3"),
        (["--grid", "65x1"], "empty tiles"),
    ],
)
def test_render_bad_options_exit_with_a_clear_error(
    tiny_blend: Path, tmp_path: Path, args: list[str], message: str
):
    result = runner.invoke(app, ["render", str(tiny_blend), "--out", str(tmp_path), *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_render_a_non_blend_file_exits_with_a_clear_error(tmp_path: Path):
    fake = tmp_path / "notes.blend"
    fake.write_text("just text")
    result = runner.invoke(app, ["render", str(fake), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a Blender file" in result.stderr


def test_devices_json_lists_the_cpu_and_the_sandbox():
    result = runner.invoke(app, ["devices", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert any(d["type"] == "CPU" for d in payload["devices"])
    assert payload["selection"]["backend"] == "CPU"
    assert payload["sandboxed"] is True


def test_benchmark_reports_samples_per_minute_for_the_cpu():
    result = runner.invoke(app, ["benchmark", "--samples", "8", "--devices", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (cpu,) = report["results"]
    assert cpu["backend"] == "CPU" and cpu["samples_per_minute"] > 0
