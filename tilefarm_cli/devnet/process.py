"""Background processes the stack owns, identified by pid AND start time, so that `down` never
signals an unrelated program that happens to reuse a pid.

Each runs in its own session, so a Ctrl-C in the terminal reaches it only through us, and, unless
it is meant to outlive its starter (`tilefarm devnet up --detach`), on a leash: the kernel sends it
SIGTERM when the thread that started it ends (`setpriv --pdeathsig`), whether the starter stopped
itself, was killed with SIGKILL or lost its terminal. Stopping then never depends on how a signal
reached the starter.
"""

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil
from pydantic import BaseModel


class ManagedProcess(BaseModel):
    """A process started by the stack."""

    name: str
    pid: int
    create_time: float
    argv: list[str]
    log: Path

    def is_running(self) -> bool:
        """True while the very process we started is alive (not a zombie, not a reused pid)."""
        try:
            proc = psutil.Process(self.pid)
            alive: bool = proc.status() != psutil.STATUS_ZOMBIE
            return alive and abs(proc.create_time() - self.create_time) < 1.0
        except psutil.Error:
            return False

    def kill(self) -> None:
        """SIGKILL the process group at once, as a crash would."""
        if self.is_running():
            _signal_group(self.pid, signal.SIGKILL)
            _reap(self.pid)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after `timeout` seconds."""
        if not self.is_running():
            return
        _signal_group(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                _reap(self.pid)
                return
            time.sleep(0.05)
        _signal_group(self.pid, signal.SIGKILL)
        _reap(self.pid)


@functools.cache
def leash() -> list[str]:
    """The command prefix that has the kernel SIGTERM a program when the thread that started it
    ends (util-linux `setpriv`, which then runs the program in its own place: same pid); `[]`
    where `setpriv` is missing, and such programs then outlive a starter that is killed."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def spawn(
    name: str,
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    *,
    outlive_starter: bool = False,
) -> ManagedProcess:
    """Start `argv` in its own session with stdout and stderr appended to `log`; it is stopped
    when the calling thread ends unless `outlive_starter` (see the module's docstring: call this
    from a thread that lives as long as the program should)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*([] if outlive_starter else leash()), *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    create_time = psutil.Process(proc.pid).create_time()
    return ManagedProcess(
        name=name, pid=proc.pid, create_time=create_time, argv=list(argv), log=log
    )


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _reap(pid: int) -> None:
    # Our own children would linger as zombies until reaped.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def tail(log: Path, lines: int = 15) -> str:
    """The last lines of a log, for error messages."""
    if not log.is_file():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
