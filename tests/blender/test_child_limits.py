"""Time and memory limits, cancellation, the network sandbox and the scratch folder: the child
is stopped, the parent survives and says why."""

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tilefarm.adapters.blender import (
    BlenderChild,
    ChildCrashed,
    ChildLimits,
    RenderCancelled,
    RenderMemoryExceeded,
    RenderTimeout,
    Sandbox,
    SandboxUnavailable,
    sandbox,
)
from tilefarm.manifest import RenderManifest

from .conftest import run_helper, tiny_manifest

pytestmark = pytest.mark.blender


def test_render_over_its_time_limit_is_stopped_and_the_parent_survives(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    slow = tiny_manifest(samples=65_536)
    # The limit covers every request, the scene's opening too: 5 s leaves a loaded machine room
    # to open the scene, while this render would take minutes.
    with BlenderChild(sandbox=Sandbox.NETNS, limits=ChildLimits(wall_seconds=5)) as child:
        child.open(tiny_blend, slow)
        started = time.monotonic()
        with pytest.raises(RenderTimeout, match=r"longer than 5 s"):
            child.render_frame(1, tmp_path)
        assert time.monotonic() - started < 20
        assert not child.running
        # The same object starts a fresh child on the next open.
        child.open(tiny_blend, manifest)
        assert child.render_tiles(1, [0], tmp_path)[0].pixel_hash


def test_render_over_its_memory_limit_is_stopped_and_the_parent_survives(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    hog = tmp_path / "hog.blend"
    run_helper("build-memory-hog", str(hog))
    limit = 700 * 2**20
    with BlenderChild(sandbox=Sandbox.NETNS, limits=ChildLimits(memory_bytes=limit)) as child:
        child.open(hog, tiny_manifest(samples=1))
        with pytest.raises(RenderMemoryExceeded, match="over its limit of 700 MiB"):
            child.render_frame(1, tmp_path)
        assert not child.running
        assert child.peak_rss_bytes > limit
        # A scene that fits renders in a fresh child under the same limit.
        child.open(tiny_blend, manifest)
        assert child.render_tiles(1, [0], tmp_path)[0].pixel_hash


def test_cancel_from_another_thread_stops_the_render(tiny_blend: Path, tmp_path: Path):
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        child.open(tiny_blend, tiny_manifest(samples=65_536))
        timer = threading.Timer(0.5, child.cancel)
        timer.start()
        with pytest.raises(RenderCancelled):
            child.render_frame(1, tmp_path)
        timer.join()
        assert not child.running


@pytest.fixture
def listener() -> Iterator[tuple[str, int]]:
    """A TCP server on the parent's loopback that a networked child could reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    yield server.getsockname()
    server.close()


def test_child_has_no_network_even_to_the_parents_loopback(
    child: BlenderChild, listener: tuple[str, int]
):
    assert child.isolated
    probe = child.probe_network(*listener)
    assert not probe.connected
    assert "unreachable" in probe.detail.lower()


def test_control_without_the_sandbox_the_same_probe_connects(listener: tuple[str, int]):
    with BlenderChild(sandbox=Sandbox.NONE) as unsandboxed:
        assert not unsandboxed.isolated
        assert unsandboxed.probe_network(*listener).connected


def test_scratch_folder_is_removed_when_the_child_closes(tiny_blend: Path):
    with BlenderChild(sandbox=Sandbox.NETNS) as child:
        child.inspect(tiny_blend)
        scratch = child.scratch
        assert scratch is not None and scratch.is_dir()
    assert not scratch.exists()
    assert not child.running


PARENT_SCRIPT = """
import sys
from tilefarm.adapters.blender import BlenderChild
from tests.blender.conftest import tiny_manifest
child = BlenderChild()
child.start()
child.open(sys.argv[1], tiny_manifest(samples=65_536))
print(child.pid, flush=True)
child.render_frame(1, sys.argv[2])
"""


def test_child_dies_with_a_killed_worker_mid_render(tiny_blend: Path, tmp_path: Path):
    worker = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT, str(tiny_blend), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert worker.stdout is not None
    child_pid = int(worker.stdout.readline())
    time.sleep(0.5)
    assert psutil.pid_exists(child_pid)
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and psutil.pid_exists(child_pid):
        with contextlib.suppress(psutil.Error):
            if psutil.Process(child_pid).status() == psutil.STATUS_ZOMBIE:
                break
        time.sleep(0.1)
    alive = False
    with contextlib.suppress(psutil.NoSuchProcess):  # reaped meanwhile
        alive = psutil.Process(child_pid).status() != psutil.STATUS_ZOMBIE
    assert not alive, "the Blender child outlived its killed parent"


@pytest.fixture
def no_unshare(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine as if util-linux's `unshare` were missing."""
    monkeypatch.setattr("tilefarm.adapters.blender.sandbox.shutil.which", lambda _name: None)
    sandbox.netns_prefix.cache_clear()
    yield
    sandbox.netns_prefix.cache_clear()


@pytest.mark.usefixtures("no_unshare")
def test_required_sandbox_that_cannot_be_set_up_refuses_to_start():
    with pytest.raises(SandboxUnavailable, match="`unshare` program"):
        BlenderChild(sandbox=Sandbox.NETNS).start()


@pytest.mark.usefixtures("no_unshare")
def test_auto_sandbox_that_cannot_be_set_up_warns_loudly(tiny_blend: Path):
    warnings: list[str] = []
    with BlenderChild(sandbox=Sandbox.AUTO, on_warning=warnings.append) as child:
        assert child.inspect(tiny_blend).camera == "Camera"
        assert not child.isolated
    assert any("will have network access" in w for w in warnings)


def test_a_child_that_cannot_start_is_a_clear_error_and_leaves_nothing_behind(tmp_path: Path):
    broken_python = tmp_path / "python"
    broken_python.write_text("#!/bin/sh\necho 'bpy: cannot load libX11' >&2\nexit 3\n")
    broken_python.chmod(0o755)
    child = BlenderChild(python=str(broken_python), scratch_root=tmp_path)
    with pytest.raises(ChildCrashed, match=r"(?s)exit code 3.*cannot load libX11"):
        child.start()
    assert not child.running
    assert [p.name for p in tmp_path.iterdir()] == ["python"]
