"""The worker keeps one warm Blender child per job: its tiles and the patches it checks for that
job come from one process and one opening of the scene, and the next job gets a new process."""

from pathlib import Path

import pytest

from render_worker.settings import WorkerSettings
from render_worker.work.children import JobChildren
from tilefarm.adapters.blender import RenderTimeout, Sandbox
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import Rect

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender


def settings(**overrides: object) -> WorkerSettings:
    return WorkerSettings(sandbox=Sandbox.NETNS, threads=2, **overrides)  # type: ignore[arg-type]


def test_a_job_renders_and_checks_in_one_child_and_the_next_job_gets_a_new_one(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    children = JobChildren(settings())
    try:
        with children.using(1, "bafy1") as child:
            first = child.open(tiny_blend, manifest)
            pid = child.pid
            child.render_regions(1, [("tile", Rect(x=0, y=0, width=32, height=24))], tmp_path)
        with children.using(1, "bafy1") as child:  # later: a verification duty on the same job
            assert child.pid == pid
            # Already open under the same manifest: not loaded again.
            assert child.open(tiny_blend, manifest) is first
            child.render_regions(1, [("patch", Rect(x=8, y=8, width=8, height=8))], tmp_path)

        with children.using(2, "bafy2") as child:
            assert child.pid is not None and child.pid != pid
            assert children.job == (2, "bafy2")
        assert not _alive(pid), "the first job's child is stopped when the next job starts"
    finally:
        children.close()
    assert children.job is None


def test_another_job_under_the_same_number_gets_a_new_child(
    tiny_blend: Path, manifest: RenderManifest
):
    """A reorganisation that removes a job's posting hands its number to the next job posted,
    maybe another artist's: its scene must not open in the child of the first."""
    children = JobChildren(settings())
    try:
        with children.using(3, "bafyfirst") as child:
            child.open(tiny_blend, manifest)
            first = child.pid
        with children.using(3, "bafysecond") as child:
            assert child.pid is not None and child.pid != first
        assert not _alive(first)
    finally:
        children.close()


def test_another_manifest_on_the_same_file_opens_the_scene_again(
    tiny_blend: Path, manifest: RenderManifest
):
    children = JobChildren(settings())
    try:
        with children.using(1, "bafy1") as child:
            first = child.open(tiny_blend, manifest)
            other = child.open(tiny_blend, tiny_manifest(samples=4))
            assert other is not first and child.manifest is not None
            assert child.manifest.samples == 4
    finally:
        children.close()


def test_a_child_stopped_by_its_time_limit_is_replaced_for_the_same_job(
    tiny_blend: Path, tmp_path: Path
):
    children = JobChildren(settings(render_time_limit_s=5.0))  # room to open the scene
    slow = tiny_manifest(samples=65_536)
    try:
        with children.using(7, "bafy7") as child:
            child.open(tiny_blend, slow)
            stopped = child.pid
            with pytest.raises(RenderTimeout):
                child.render_regions(1, [("tile", Rect(x=0, y=0, width=64, height=48))], tmp_path)
        with children.using(7, "bafy7") as child:
            assert child.running and child.pid != stopped
    finally:
        children.close()


def _alive(pid: int | None) -> bool:
    import psutil

    return pid is not None and psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
