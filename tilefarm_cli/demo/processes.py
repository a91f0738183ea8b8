"""The programs the demo starts (IPFS nodes, server, workers): each in its own session with its
own log, all stopped in reverse order when the demo ends, fails or is interrupted."""

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.devnet.process import ManagedProcess, spawn, tail


def program(name: str) -> str:
    """The console script `name` of this installation (next to the running interpreter)."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise DemoError(f"`{name}` is not installed; run `make setup`")
    return found


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, **overrides}


class ProcessGroup:
    """Processes started for one demo run, recorded in `record` (pid and start time) so that a
    run killed outright leaves nothing behind that the next run does not stop."""

    def __init__(self, record: Path) -> None:
        self.record = record
        self.processes: list[ManagedProcess] = []
        self.killed: set[str] = set()  # killed on purpose: `check` does not miss them

    def stop_leftovers(self) -> list[str]:
        """Stop what an earlier run recorded and did not stop (only if still that very process)."""
        if not self.record.is_file():
            return []
        try:
            left = TypeAdapter(list[ManagedProcess]).validate_json(self.record.read_text())
        except ValueError:
            left = []
        stopped = [p.name for p in left if p.is_running()]
        for proc in reversed(left):
            proc.stop()
        self.record.unlink(missing_ok=True)
        return stopped

    def start(
        self, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str]
    ) -> ManagedProcess:
        proc = spawn(name, argv, log, child_env(env))
        self.processes.append(proc)
        self._save()
        return proc

    def adopt(self, proc: ManagedProcess) -> None:
        """Record a process started elsewhere (an IPFS node), to be stopped with the others."""
        self.processes.append(proc)
        self._save()

    def _save(self) -> None:
        self.record.parent.mkdir(parents=True, exist_ok=True)
        body = TypeAdapter(list[ManagedProcess]).dump_json(self.processes, indent=2)
        self.record.write_bytes(body)

    def kill(self, name: str) -> None:
        """SIGKILL the process `name` (and its children), as a crash would: nothing is flushed
        and it is never restarted."""
        for proc in self.processes:
            if proc.name == name and proc.is_running():
                self.killed.add(name)
                proc.kill()

    def check(self) -> None:
        """Raise if a process we started has exited (unless it was killed on purpose)."""
        for proc in self.processes:
            if proc.name not in self.killed and not proc.is_running():
                raise DemoError(
                    f"{proc.name} (pid {proc.pid}) exited unexpectedly; its log {proc.log} ends:\n"
                    + tail(proc.log)
                )

    def stop_all(self, timeout: float = 15.0) -> list[str]:
        """Stop every process (SIGTERM, then SIGKILL after `timeout`); newest first."""
        stopped = []
        while self.processes:
            proc = self.processes[-1]
            if proc.is_running():
                proc.stop(timeout)
                stopped.append(proc.name)
            self.processes.pop()
            self._save()
        self.record.unlink(missing_ok=True)
        return stopped


def run_once(
    name: str, argv: Sequence[str], log: Path, env: Mapping[str, str], stdin: str = ""
) -> subprocess.Popen[bytes]:
    """Start a short command (its own session, so a hidden prompt reads `stdin`, not the
    terminal); `finish` waits for it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(env),
            start_new_session=True,
        )
    assert proc.stdin is not None
    proc.stdin.write(stdin.encode())
    proc.stdin.close()
    return proc


def finish(name: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    """Wait for a `run_once` command; raise with its log when it fails."""
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise DemoError(f"{name} did not finish within {timeout:.0f} s; see {log}") from None
    if code != 0:
        raise DemoError(f"{name} failed (exit {code}); its log {log} ends:\n{tail(log)}")
