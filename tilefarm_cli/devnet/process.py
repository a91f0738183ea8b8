"""Background processes the stack owns, identified by pid AND start time, so that `down` never
signals an unrelated program that happens to reuse a pid."""

import contextlib
import os
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


def spawn(
    name: str, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> ManagedProcess:
    """Start `argv` in its own session (so it outlives the CLI and Ctrl-C reaches it only from us),
    with stdout and stderr appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
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
