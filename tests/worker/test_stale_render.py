"""A render still running for a job whose number another job has taken since (a chain
reorganisation removed the first job's posting, and the next job posted got its number) stops
at the next tile: it never saves the old scene's tiles for the new job nor reports it rendered."""

import threading
from pathlib import Path

import pytest

from render_worker.settings import WorkerSettings
from render_worker.state.models import JobRow, TileRow
from render_worker.state.store import WorkerState
from render_worker.work.assignment import AssignmentRenderer
from render_worker.work.children import JobChildren
from render_worker.work.manifests import Manifests
from tests.worker.conftest import tiny_job
from tilefarm.adapters.blender import Sandbox
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]

ARTIST = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def test_a_render_stops_once_another_job_has_taken_its_number(
    kubo: KuboClient, tmp_path: Path
) -> None:
    cid, _ = tiny_job(kubo, tmp_path, size=(32, 32), grid=(2, 2), samples=2, windows=(5, 5))
    state = WorkerState(tmp_path / "worker.db")
    with state.session() as s:
        s.add(JobRow(job_id=3, manifest_cid=cid, artist=ARTIST, tile_count=4,
                     max_price_per_tile=10, bid_end=0, reveal_end=0, render_window=600,
                     stage="won", first_tile=0, assigned_tiles=4))  # fmt: skip
    children = JobChildren(WorkerSettings(sandbox=Sandbox.NETNS, threads=1))
    renderer = AssignmentRenderer(
        kubo, Manifests(kubo), state, tmp_path / "work", 1 << 30, children
    )

    def another_job_takes_the_number(_: TileRow) -> None:
        state.update_job(3, manifest_cid="bafyanotherjob")

    try:
        complete = renderer.render(
            3, cid, 0, 4, threading.Event(), on_tile=another_job_takes_the_number
        )
    finally:
        children.close()
    assert complete is False
    assert list(state.tiles(3)) == [0]  # the tile rendered before the change, no more
