"""The threads that read a Blender child's output end quietly when the pipes are closed under
them (the child is being stopped): no thread dies with "I/O operation on closed file", and a
reader of events still learns that the output ended."""

import subprocess
import sys

from tilefarm.adapters.blender.process import ChildProcess


def _closed_pipes() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()
    return proc


def test_reading_a_closed_stdout_ends_the_events_without_an_error() -> None:
    child, proc = ChildProcess(), _closed_pipes()
    try:
        child._read_stdout(proc)
        assert child._events.get_nowait() is None
    finally:
        proc.kill()
        proc.wait()


def test_reading_a_closed_stderr_ends_without_an_error() -> None:
    child, proc = ChildProcess(), _closed_pipes()
    try:
        child._read_stderr(proc)
        assert list(child._stderr) == []
    finally:
        proc.kill()
        proc.wait()
