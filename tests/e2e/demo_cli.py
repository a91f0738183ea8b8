"""Helpers for tests that run `tilefarm demo` as a process."""

import subprocess
from pathlib import Path

import psutil

from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.settings import TilefarmSettings


def command_line(process: psutil.Process) -> str:
    """A process's command line, or "" for one that has just exited (a finished `render-worker
    init` or `stake` can be a zombie its parent has not reaped yet)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def kill_demo(cli: subprocess.Popen[str], state_dir: Path) -> None:
    """For a test that fails while its demo runs: SIGKILL the demo, then stop what it started
    (the workers and server it recorded, its chain and IPFS), as the next demo run would."""
    if cli.poll() is None:
        cli.kill()
        cli.wait(timeout=30)
    ProcessGroup(state_dir / "processes.json").stop_leftovers()
    Devnet(TilefarmSettings(state_dir=state_dir / "stack")).down()
