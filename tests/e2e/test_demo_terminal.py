"""What the demo prints in a terminal, or in a log when its output is redirected: pure."""

import io
from pathlib import Path

from rich.console import Console

from tilefarm_cli.demo.progress import FrameProgress, JobProgress
from tilefarm_cli.demo.summary import DemoSummary, FrameResult, GasUsed, KilledWorker
from tilefarm_cli.demo.terminal import TerminalView, summary_text


def progress() -> JobProgress:
    frames = [FrameProgress(frame=1, tiles=6, assigned=6, rendered=6)]
    return JobProgress(
        job_id=1, status="Completed", stage="done", bids_sealed=3, bids_revealed=3,
        tiles_offered=18, frames=frames,
    )  # fmt: skip


def frame_file(n: int) -> FrameResult:
    return FrameResult(
        frame=n, status="assembled", png_cid=f"bafy-png-{n}", exr_cid=f"bafy-exr-{n}",
        png_file=Path(f"/out/frame-{n:04}.png"), exr_file=Path(f"/out/frame-{n:04}.exr"),
    )  # fmt: skip


def summary(frames: list[int]) -> DemoSummary:
    files = [frame_file(n) for n in frames]
    return DemoSummary(
        job_id=1, status="Completed", server_url="http://127.0.0.1:8000",
        page_url="http://127.0.0.1:8000/#/jobs/1", job_api_url="http://127.0.0.1:8000/api/jobs/1",
        scene="showcase", scene_cid="bafy-scene", manifest_cid="bafy-manifest", frames=frames,
        resolution="960x540", tile_grid="3x2", samples=64, tiles=6 * len(frames), artist="0xA",
        deposit_wei=10, paid_to_workers_wei=5, paid_to_verifiers_wei=1, refunded_wei=4, workers=[],
        gas=GasUsed(transactions=1, gas_used=100, gas_per_tile=100.0, by_event={}),
        wall_seconds=80.0, seconds_from_post={}, frame_files=files, frames_complete=True,
        tiles_by_round=[], rounds=0, killed_worker=None, notes=[], logs=Path("/logs"),
    )  # fmt: skip


def test_the_last_progress_table_ends_its_line_when_the_output_is_a_log_file():
    log = io.StringIO()
    view = TerminalView(Console(file=log, force_terminal=False, width=100))
    view.progress(progress())
    view.close()
    assert "Completed" in log.getvalue()
    assert log.getvalue().endswith("\n"), "the summary printed next would start on the table's line"


def test_final_frames_line_up_their_png_and_exr_columns_whatever_the_frame_numbers():
    lines = summary_text(summary([1, 12, 240])).splitlines()
    frame_lines = lines[lines.index("final frames") + 1 : lines.index("final frames") + 7]
    columns = {line.index("PNG") if "PNG" in line else line.index("EXR") for line in frame_lines}
    assert len(columns) == 1, "\n".join(frame_lines)
    assert "/out/frame-0240.exr  bafy-exr-240" in frame_lines[5]


def test_the_summary_names_the_killed_worker_and_whether_every_frame_is_whole():
    s = summary([1, 2]).model_copy(
        update={"killed_worker": KilledWorker(number=1, address="0xDEAD", after_seconds=12.5),
                "rounds": 1}
    )  # fmt: skip
    text = summary_text(s)
    assert "killed     worker 1 (0xDEAD) after posting: 12.5 s" in text
    assert "1 re-offer round(s); every frame holds every tile" in text
    broken = s.model_copy(update={"frames_complete": False})
    assert "does NOT hold every tile" in summary_text(broken)
