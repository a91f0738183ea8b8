"""`tilefarm demo` as a user runs it: a taken port is refused up front with what to do, and
Ctrl-C stops every process the demo started."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tilefarm_cli.demo import DemoError, DemoOptions, DemoRun
from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.devnet import PortInUse
from tilefarm_cli.devnet.ports import free_port

from .demo_cli import command_line, kill_demo

pytestmark = [pytest.mark.stack]
TILEFARM = str(Path(sys.executable).with_name("tilefarm"))


def test_a_taken_server_port_is_refused_before_anything_starts(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = DemoOptions(state_dir=tmp_path / "demo", server_port=port)
        with DemoRun(options) as run, pytest.raises(PortInUse, match=f"{port} is already in use"):
            run.run()
    assert not (tmp_path / "demo" / "stack").exists()


def test_a_taken_chain_port_names_the_setting_to_change(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [
            TILEFARM, "demo", "--state-dir", str(tmp_path / "demo"), "--port", str(free_port()),
            "--chain-port", str(port), "--no-keep-serving",
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "--chain-port" in done.stderr


def test_ctrl_c_stops_the_chain_ipfs_server_and_workers(tmp_path: Path):
    argv = [
        TILEFARM, "demo", "--state-dir", str(tmp_path / "demo"), "--out", str(tmp_path / "out"),
        "--port", str(free_port()), "--chain-port", str(free_port()),
        "--ipfs-api-port", str(free_port()), "--ipfs-gateway-port", str(free_port()),
        "--workers", "2", "--width", "64", "--height", "48", "--samples", "2", "--grid", "2x2",
        "--frames", "1", "--no-keep-serving",
    ]  # fmt: skip
    log = tmp_path / "demo.err"
    with log.open("w") as err:
        cli = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        deadline = time.monotonic() + 150
        while "building the" not in log.read_text():  # the step after the workers are started
            assert cli.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        started = psutil.Process(cli.pid).children(recursive=True)
        names = " ".join(command_line(p) for p in started)
        assert "anvil" in names and "ipfs" in names and "serve" in names
        assert names.count("render-worker run") == 2
        cli.send_signal(signal.SIGINT)
        assert cli.wait(timeout=60) == 130
    finally:
        kill_demo(cli, tmp_path / "demo")
    assert "interrupted: everything the demo started is stopped" in log.read_text()
    _gone, alive = psutil.wait_procs(started, timeout=5)
    assert alive == []
    assert not (tmp_path / "demo" / "stack" / "devnet" / "stack.json").exists()


def test_a_run_killed_outright_leaves_nothing_the_next_run_does_not_stop(tmp_path: Path):
    record = tmp_path / "processes.json"
    killed_run = ProcessGroup(record)  # a demo that got SIGKILL: its group never stops anything
    orphan = killed_run.start("worker 1", ["sleep", "300"], tmp_path / "w.log", {})
    assert orphan.is_running()

    assert ProcessGroup(record).stop_leftovers() == ["worker 1"]
    assert not orphan.is_running() and not record.exists()


def test_a_second_demo_on_the_same_state_folder_is_refused_while_the_first_runs(tmp_path: Path):
    options = DemoOptions(state_dir=tmp_path / "demo", server_port=free_port())
    with DemoRun(options):
        with pytest.raises(DemoError, match="another demo is running"), DemoRun(options):
            pass
    with DemoRun(options):  # the first one ended: the folder is free again
        pass
