"""`--log-format json`: `tilefarm serve` and `render-worker run` write one JSON object a line on
stderr (time in UTC, level, logger, message), uvicorn's access and error logs included, and so
do the errors that stop them before they start, tracebacks and all."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from render_worker.keystore import create_keystore
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.logs import JsonFormatter
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings

BIN = Path(sys.executable).parent
PASSWORD = "json logs"


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line of `stderr` as JSON (a line that is not fails the test, naming it)."""
    records = []
    for line in stderr.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}\n--- stderr:\n{stderr}") from None
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        assert datetime.fromisoformat(record["time"]).utcoffset() == UTC.utcoffset(None)
        records.append(record)
    return records


def _wait(condition: Any, what: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"{what}: the process ended ({proc.returncode})"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.stack
def test_serve_logs_startup_requests_and_shutdown_as_json_lines(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TILEFARM_SERVER_STATE_DIR": str(tmp_path / "server"),
        "TILEFARM_SERVER_RPC_URL": str(devnet.rpc_url),
        "TILEFARM_SERVER_IPFS_API_URL": str(devnet.ipfs_api_url),
        "TILEFARM_SERVER_DEPLOYMENTS_FILE": str(
            stack_settings.deployments_dir / f"{devnet.chain_id}.json"
        ),
    }
    server = subprocess.Popen(
        [str(BIN / "tilefarm"), "serve", "--port", str(port), "--log-format", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait(answers, "the server", server)
        assert httpx.get(f"{url}/api/jobs/424242", timeout=5).status_code == 404
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)

    # uvicorn stops gracefully, then ends by the signal it caught (systemd counts that a success)
    assert server.returncode in (0, -signal.SIGTERM), err
    assert out == ""
    records = json_lines(err)
    messages = {(r["logger"], r["message"]) for r in records}
    assert ("uvicorn.error", "Application startup complete.") in messages
    assert ("uvicorn.error", "Application shutdown complete.") in messages
    (miss,) = [r for r in records if r["logger"] == "uvicorn.access" and r["status"] == 404]
    assert (miss["method"], miss["path"], miss["level"]) == ("GET", "/api/jobs/424242", "INFO")


@pytest.mark.stack
def test_a_worker_logs_its_start_and_stop_as_json_lines(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path: Path
) -> None:
    account = dev_account(9)
    create_keystore(tmp_path / "state" / "key.json", PASSWORD, account.key.hex())
    config = tmp_path / "worker.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'rpc_url = "{devnet.rpc_url}"\n'
        f'ipfs_api_url = "{devnet.ipfs_api_url}"\n'
        f'deployments_file = "{stack_settings.deployments_dir / f"{devnet.chain_id}.json"}"\n'
        'devices = "cpu"\npixel_samples_per_minute = 1000000.0\nconfirmations = 0\n'
        "poll_seconds = 0.2\n"  # an idle worker sleeps 5 polls between heads: SIGTERM waits for it
    )
    env = {**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD}
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen(
            [str(BIN / "render-worker"), "run", "--config", str(config), "--log-format", "json"],
            env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
        try:
            _wait(lambda: "starting; market" in log.read_text(), "the worker to start", worker)
        finally:
            worker.send_signal(signal.SIGTERM)
            out, _ = worker.communicate(timeout=60)

    assert worker.returncode == 0, log.read_text()
    assert out == ""
    records = json_lines(log.read_text())
    started = [r for r in records if "starting; market" in r["message"]]
    assert [(r["logger"], r["level"]) for r in started] == [("render_worker", "INFO")]
    assert account.address in started[0]["message"]
    assert any(r["message"] == f"worker {account.address} stopped" for r in records)


def test_a_worker_that_cannot_start_says_why_in_json(tmp_path: Path) -> None:
    config = tmp_path / "worker.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')

    run = subprocess.run(
        [str(BIN / "render-worker"), "run", "--config", str(config), "--log-format", "json"],
        env={**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 1
    (error,) = json_lines(run.stderr)
    assert error["level"] == "ERROR" and "key.json" in error["message"], error


def test_a_worker_with_no_password_to_read_says_so_in_json(tmp_path: Path) -> None:
    config = tmp_path / "worker.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    env = {k: v for k, v in os.environ.items() if k != "RENDER_WORKER_PASSWORD"}

    run = subprocess.run(
        [str(BIN / "render-worker"), "run", "--config", str(config), "--log-format", "json"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 1
    assert run.stdout == ""
    (error,) = json_lines(run.stderr)
    assert error["level"] == "ERROR"
    assert "no keystore password on standard input" in error["message"], error
    assert "RENDER_WORKER_PASSWORD" in error["message"]


def test_a_server_whose_settings_are_wrong_says_so_in_json(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TILEFARM_SERVER_STATE_DIR": str(tmp_path / "server"),
        "TILEFARM_SERVER_PORT": "notaport",
    }

    run = subprocess.run(
        [str(BIN / "tilefarm"), "serve", "--log-format", "json"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 1
    assert run.stdout == ""
    (error,) = [r for r in json_lines(run.stderr) if r["level"] == "ERROR"]
    assert error["logger"] == "tilefarm_cli.serve"
    assert "ValidationError" in error["exception"] and "notaport" in error["exception"]


def test_exceptions_nothing_caught_are_json_lines_too(tmp_path: Path) -> None:
    program = (
        "import logging, threading\n"
        "from tilefarm.adapters.logs import log_json\n"
        "log_json(logging.INFO)\n"
        "def fails():\n"
        "    raise ValueError('in a thread')\n"
        "thread = threading.Thread(target=fails, name='poller')\n"
        "thread.start()\n"
        "thread.join()\n"
        "raise RuntimeError('in the main thread')\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )

    assert run.returncode == 1
    thread, main = json_lines(run.stderr)
    assert thread["message"] == "poller stopped on ValueError: in a thread"
    assert "Traceback" in thread["exception"] and "fails" in thread["exception"]
    assert main["message"] == "uncaught RuntimeError: in the main thread"
    assert main["level"] == "CRITICAL"
    assert main["exception"].startswith("Traceback") and "line 9, in <module>" in main["exception"]


def test_a_record_with_an_exception_is_one_json_line_with_its_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("tests.json_logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise KeyError("line one\nline two")
        except KeyError:
            log.exception("it failed: %s", "badly")
    finally:
        log.removeHandler(handler)

    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert (record["level"], record["logger"]) == ("ERROR", "tests.json_logs")
    assert record["message"] == "it failed: badly"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'line one\\nline two'" in record["exception"]
