"""The Blender child's address-space limit, and how each sandbox mode behaves on a machine without
bubblewrap."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_worker.settings import DaemonSettings, WorkerSettings
from tilefarm.adapters.blender import (
    BlenderChild,
    ChildLimits,
    RenderFailed,
    RenderMemoryExceeded,
    Sandbox,
    SandboxUnavailable,
)
from tilefarm.adapters.blender.sandbox import Confinement, bwrap_prefix
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import PixelError

from .conftest import run_helper, tiny_manifest

pytestmark = pytest.mark.blender


def test_a_render_that_maps_more_than_its_address_space_is_stopped_and_the_parent_survives(
    tmp_path: Path,
):
    """The hog subdivides a cube to ~6 M faces at render time: far more than 2 GiB of address
    space, which an idle child (1.3 GiB) and the tiny scene's render (under 1.8 GiB) fit in."""
    hog = tmp_path / "hog.blend"
    run_helper("build-memory-hog", str(hog))
    limits = ChildLimits(address_space_bytes=2 << 30)
    with BlenderChild(sandbox=Sandbox.NETNS, threads=2, limits=limits) as child:
        child.open(hog, tiny_manifest(samples=1))
        with pytest.raises(RenderMemoryExceeded, match="ran out of address space"):
            child.render_frame(1, tmp_path)
        assert not child.running


def test_the_default_address_space_limit_leaves_a_real_render_room(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    limits = WorkerSettings(devices="cpu", threads=2).child_limits()
    assert limits.address_space_bytes is not None
    with BlenderChild(sandbox=Sandbox.NETNS, threads=2, limits=limits) as child:
        child.open(tiny_blend, manifest)
        assert child.render_tiles(1, [0], tmp_path)[0].pixel_hash


def test_a_worker_that_may_render_on_a_gpu_sets_no_address_space_limit():
    # CUDA and HIP reserve address space the size of the host's and the GPU's memory together.
    assert WorkerSettings(devices="cuda,cpu").child_limits().address_space_bytes is None


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine as if bubblewrap were not installed (util-linux still is)."""
    which = shutil.which
    monkeypatch.setattr(
        "tilefarm.adapters.blender.sandbox.shutil.which",
        lambda name: None if name == "bwrap" else which(name),
    )
    yield


@pytest.mark.usefixtures("no_bwrap")
def test_a_child_that_requires_bubblewrap_refuses_to_start_without_it():
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        BlenderChild(sandbox=Sandbox.BWRAP).start()


@pytest.mark.usefixtures("no_bwrap")
def test_auto_without_bubblewrap_cuts_the_network_and_says_what_it_could_not_do(
    tiny_blend: Path,
):
    warnings: list[str] = []
    with BlenderChild(sandbox=Sandbox.AUTO, on_warning=warnings.append) as child:
        assert child.inspect(tiny_blend).camera == "Camera"
        assert child.isolation == "network namespace (unshare --net)"
    assert any("without bubblewrap" in w for w in warnings)


@pytest.mark.usefixtures("no_bwrap")
def test_a_child_for_strangers_files_on_auto_refuses_to_start_without_bubblewrap():
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap") as refused:
        BlenderChild(sandbox=Sandbox.AUTO, confinement=Confinement()).start()
    assert "unprivileged user namespaces" in str(refused.value)
    assert "`netns` on purpose" in str(refused.value)


@pytest.mark.usefixtures("no_bwrap")
def test_a_child_for_strangers_files_runs_with_the_network_cut_only_when_told_to(
    tiny_blend: Path,
):
    with BlenderChild(sandbox=Sandbox.NETNS, confinement=Confinement()) as child:
        assert child.inspect(tiny_blend).camera == "Camera"
        assert child.isolation == "network namespace (unshare --net)"


def test_a_child_for_strangers_files_without_a_sandbox_says_so_loudly():
    warnings: list[str] = []
    with BlenderChild(
        sandbox=Sandbox.NONE, confinement=Confinement(), on_warning=warnings.append
    ) as child:
        assert child.isolation == "none"
    assert any(w.startswith("NO SANDBOX") for w in warnings)


def test_a_confined_child_cannot_write_a_file_larger_than_its_limit(
    tiny_blend: Path, manifest: RenderManifest, tmp_path: Path
):
    """A tile's EXR is some kilobytes; one kilobyte is not enough: Blender's write stops there
    (it does not notice, the parent does)."""
    limits = ChildLimits(file_bytes=1024)
    with BlenderChild(
        sandbox=Sandbox.BWRAP, threads=1, limits=limits, confinement=Confinement()
    ) as child:
        child.open(tiny_blend, manifest)
        with pytest.raises((RenderFailed, PixelError)):
            child.render_tiles(1, [0], tmp_path)
    assert [p.stat().st_size <= 1024 for p in tmp_path.iterdir()] == [True]


def test_auto_shuts_the_child_in_with_bubblewrap_where_it_works():
    with BlenderChild(sandbox=Sandbox.AUTO) as child:
        assert child.isolation == "bubblewrap"
        assert child.warnings == []


def test_a_job_child_does_not_see_the_workers_config_file(tmp_path: Path):
    """It may hold the keystore's password: the child sees an empty file in its place."""
    config = tmp_path / "worker.toml"
    config.write_text('password = "not for a stranger\'s scene"\n')
    settings = DaemonSettings.load(config)
    confinement = settings.confinement()
    assert config in confinement.hidden
    cmd = bwrap_prefix(
        "bwrap", tmp_path / "scratch", tmp_path / "scratch" / "work", confinement, []
    )
    assert any(cmd[i : i + 3] == ["--ro-bind", os.devnull, str(config)] for i in range(len(cmd)))
