"""A job's Blender child is shut in: Python from a hostile .blend that runs inside it cannot read
the worker's keystore, write outside its own folder or open a socket, and runs as an unprivileged
user; without the sandbox the same Python does all of it.

How hostile Python gets to run: the child opens every file with its scripts disabled, so a
.blend's Python never runs there (`test_untrusted_files.py`). What the sandbox is for is the day
that guard fails: a bug in Blender's file reader, a way around the script switch. These tests
stand in for that day with a test-only flag, `BlenderChild(trust_scripts=True)`
(`protocol.TRUST_SCRIPTS_FLAG`): the real child, started the way the worker starts it, opens the
file with scripts allowed, and the .blend's own auto-run text block (`escape_blend.py`) runs
inside it, in its namespaces, as its user, under its limits. Only a caller's code can set the
flag (here the test's, in place of the worker's `BlenderChild`), never the environment, a file
or a manifest. The block reports what it managed on the child's stderr, which the parent keeps.

The worker's secrets are kept outside every folder the sandbox masks anyway (`/tmp` and the
like), as a real worker's are (`/var/lib/tilefarm-worker`): only `hidden` keeps them from the
child, and a folder beside them, also outside every mask, shows that `/` is read-only.
"""

import functools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_worker.settings import DaemonSettings
from render_worker.work.children import JobChildren
from tilefarm.adapters.blender import BlenderChild, Sandbox
from tilefarm.adapters.blender.sandbox import MASKED
from tilefarm.adapters.paths import DEFAULT_STATE_DIR, PROJECT_ROOT

pytestmark = pytest.mark.blender

ESCAPE = Path(__file__).with_name("escape_blend.py")
SECRET = b"worker keystore: not for a stranger's scene"


class Attempts:
    """What the hostile Python reported, by attempt (`ESCAPE <what>: <outcome>` lines), and the
    files it left outside its folder (looked for, and removed, right after it ran)."""

    def __init__(self, stderr: str, outside: list[Path]) -> None:
        self.escaped = [folder / "escaped.txt" for folder in outside]
        self.escaped = [path for path in self.escaped if path.exists()]
        for path in self.escaped:
            path.unlink()
        self.lines = dict(
            line.removeprefix("ESCAPE ").split(": ", 1)
            for line in stderr.splitlines()
            if line.startswith("ESCAPE ")
        )
        assert "uid" in self.lines, f"the hostile Python did not run:\n{stderr}"

    def __getitem__(self, what: str) -> str:
        return self.lines[what]


def attempts_of(child: BlenderChild, outside: list[Path]) -> Attempts:
    """What the hostile Python in `child` reported. Its stderr is read by a thread of its own:
    the answer to the request can come before its last lines are, so wait for the last one."""
    deadline = time.monotonic() + 30
    while "ESCAPE uid: " not in child.stderr_tail(60) and time.monotonic() < deadline:
        time.sleep(0.05)
    return Attempts(child.stderr_tail(60), outside)


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[str, int]]:
    """A TCP port on this machine's loopback that accepts connections."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield "127.0.0.1", server.getsockname()[1]


@pytest.fixture(scope="module")
def unmasked() -> Iterator[Path]:
    """A folder the sandbox shows unless told to hide it (the project's ignored `build/`)."""
    (PROJECT_ROOT / "build").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="sandbox-escape-", dir=PROJECT_ROOT / "build"))
    # The sandbox shows the project read-only even where it lies under a mask (a clone in /tmp).
    shown = folder.is_relative_to(PROJECT_ROOT) or not any(folder.is_relative_to(m) for m in MASKED)
    assert shown and not folder.is_relative_to(DEFAULT_STATE_DIR)
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def worker_home(unmasked: Path) -> Path:
    """A worker's state folder: its keystore, and the work folder its jobs render in."""
    state = unmasked / "worker-state"
    state.mkdir()
    (state / "key.json").write_bytes(SECRET)
    (state / "key.json").chmod(0o600)
    (state / "work").mkdir()
    return state


@pytest.fixture(scope="module")
def outside(unmasked: Path) -> Path:
    """A folder beside the worker's state that the worker may write and its child must not."""
    folder = unmasked / "outside"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def escape_blend(
    tmp_path_factory: pytest.TempPathFactory,
    worker_home: Path,
    outside: Path,
    listener: tuple[str, int],
) -> Path:
    blend = tmp_path_factory.mktemp("escape") / "escape.blend"
    host, port = listener
    subprocess.run(
        [sys.executable, str(ESCAPE), "build-escape", str(blend), str(worker_home / "key.json"),
         host, str(port), str(outside), str(worker_home / "work")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return blend


@pytest.fixture(scope="module")
def trusted_scripts() -> Iterator[None]:
    """The worker's job children run the scripts of what they open (test-only flag)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "render_worker.work.children.BlenderChild",
            functools.partial(BlenderChild, trust_scripts=True),
        )
        yield


def job_child_attempts(
    escape_blend: Path, worker_home: Path, outside: Path, **settings: object
) -> Attempts:
    """What the hostile scene reported from a job's child of a worker in `worker_home`, started
    as the worker starts it (under bubblewrap, with `settings` besides)."""
    children = JobChildren(
        DaemonSettings(state_dir=worker_home, sandbox=Sandbox.BWRAP, threads=1, **settings)  # type: ignore[arg-type]
    )
    try:
        child = children.child(1, "bafyescape")
        child.inspect(escape_blend)
        return attempts_of(child, [outside, worker_home / "work"])
    finally:
        children.close()


@pytest.fixture(scope="module")
def shut_in(
    trusted_scripts: None, escape_blend: Path, worker_home: Path, outside: Path
) -> Attempts:
    """The hostile scene opened by a job's child, started as the worker starts it."""
    return job_child_attempts(escape_blend, worker_home, outside)


@pytest.fixture(scope="module")
def shut_in_as_the_workers_user(
    trusted_scripts: None, escape_blend: Path, worker_home: Path, outside: Path
) -> Attempts:
    """The same, with the child left the worker's user (`child_user=None`; root where the tests
    run as root): what bubblewrap's view alone hides and forbids."""
    return job_child_attempts(escape_blend, worker_home, outside, child_user=None)


@pytest.fixture(scope="module")
def unsandboxed(
    trusted_scripts: None, escape_blend: Path, worker_home: Path, outside: Path
) -> Attempts:
    """The CONTROL: the same scene opened by a child with no sandbox at all."""
    with BlenderChild(sandbox=Sandbox.NONE, threads=1, trust_scripts=True) as child:
        child.inspect(escape_blend)
        return attempts_of(child, [outside, worker_home / "work"])


def test_a_hostile_blend_cannot_read_the_workers_keystore(shut_in: Attempts):
    assert shut_in["read secret"].startswith(("FileNotFoundError", "PermissionError"))


def test_the_keystore_is_not_even_there_for_a_child_of_the_workers_own_user(
    shut_in_as_the_workers_user: Attempts,
):
    attempts = shut_in_as_the_workers_user
    assert attempts["uid"] == str(os.getuid())
    # Its own user could read the keystore (0600, its owner): the view has an empty device node
    # in its place, which the mask (mounted without devices) does not open.
    assert attempts["read secret"].startswith(("FileNotFoundError", "PermissionError"))
    # The folder beside the state folder is there and its user's, but `/` is read-only.
    assert attempts["write outside"].startswith("OSError: [Errno 30] Read-only file system")
    assert attempts.escaped == []
    assert attempts["connect"].startswith(("ConnectionRefusedError", "OSError"))


def test_the_empty_folders_over_tmp_and_home_are_read_only_too(
    shut_in_as_the_workers_user: Attempts, shut_in: Attempts
):
    for attempts in (shut_in_as_the_workers_user, shut_in):
        assert attempts["write masked"].startswith("OSError: [Errno 30] Read-only file system")


def test_control_without_the_sandbox_it_reads_the_keystore(unsandboxed: Attempts):
    assert unsandboxed["read secret"] == f"read {len(SECRET)} bytes"


def test_a_hostile_blend_cannot_write_outside_its_folder(shut_in: Attempts):
    assert shut_in["write outside"].startswith("OSError: [Errno 30] Read-only file system")
    assert shut_in.escaped == []
    # It did run, and may write where it is meant to.
    assert shut_in["write own folder"].startswith("wrote into")


def test_control_without_the_sandbox_it_writes_outside(
    unsandboxed: Attempts, outside: Path, worker_home: Path
):
    assert unsandboxed["write outside"].startswith("wrote into")
    assert unsandboxed.escaped == [outside / "escaped.txt", worker_home / "work" / "escaped.txt"]


def test_a_hostile_blend_cannot_open_a_socket(shut_in: Attempts):
    assert shut_in["connect"].startswith(("ConnectionRefusedError", "OSError"))


def test_control_without_the_sandbox_it_connects(unsandboxed: Attempts):
    assert unsandboxed["connect"] == "connected"


def test_a_job_child_of_a_root_worker_runs_as_nobody(shut_in: Attempts, unsandboxed: Attempts):
    unprivileged = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.getuid()
    assert shut_in["uid"] == str(unprivileged)
    assert unsandboxed["uid"] == str(os.getuid())
