"""A stack stops with the command that started it, however that command ends, unless it was
started to outlive it (`tilefarm devnet up --detach`)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import fresh_stack_settings
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.settings import TilefarmSettings

pytestmark = pytest.mark.stack

TILEFARM = str(Path(sys.executable).with_name("tilefarm"))


def _up(settings: TilefarmSettings, *more: str) -> subprocess.Popen[str]:
    argv = [
        TILEFARM, "devnet", "up", *more, "--state-dir", str(settings.state_dir),
        "--chain-port", str(settings.chain_port), "--ipfs-api-port", str(settings.ipfs_api_port),
        "--ipfs-gateway-port", str(settings.ipfs_gateway_port),
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _pids(settings: TilefarmSettings) -> list[int]:
    state = Devnet(settings).load()
    assert state is not None
    return [proc.pid for proc in state.processes.values()]


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def test_a_stack_in_the_foreground_stops_when_its_command_is_killed_outright(
    tmp_path: Path,
) -> None:
    settings = fresh_stack_settings(tmp_path)
    cli = _up(settings)
    assert cli.stdout is not None
    for line in cli.stdout:
        if "Press Ctrl-C" in line:
            break
    else:
        pytest.fail(f"`tilefarm devnet up` ended before the stack ran (exit {cli.wait()})")
    pids = _pids(settings)
    assert pids and all(_alive(pid) for pid in pids)
    # SIGKILL: the command runs no handler, stops nothing itself (as when its terminal's
    # wrapper is killed); anvil and Kubo, in sessions of their own, must still go.
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if _alive(pid)]
    Devnet(settings).down()
    assert not left, f"still running after their command was killed: {left}"


def test_a_detached_stack_outlives_the_command_that_started_it(tmp_path: Path) -> None:
    settings = fresh_stack_settings(tmp_path)
    cli = _up(settings, "--detach")
    out, _ = cli.communicate(timeout=180)
    assert cli.returncode == 0, out
    try:
        status = Devnet(settings).status()
        assert status.running, status.problems
    finally:
        assert Devnet(settings).down()


DEMO_STARTS_A_PROGRAM = """
import sys, time
from pathlib import Path
from tilefarm_cli.demo.processes import ProcessGroup
group = ProcessGroup(Path(sys.argv[1]) / "processes.json")
proc = group.start("sleeper", ["sleep", "300"], Path(sys.argv[1]) / "sleeper.log", {})
print(proc.pid, flush=True)
time.sleep(300)
"""


def test_a_program_the_demo_started_stops_when_the_demo_is_killed_outright(
    tmp_path: Path,
) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-c", DEMO_STARTS_A_PROGRAM, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    started = int(demo.stdout.readline())
    assert _alive(started)
    demo.kill()
    demo.wait()
    deadline = time.monotonic() + 30
    while _alive(started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(started), "the demo's program outlived the demo"
