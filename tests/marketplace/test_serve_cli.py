"""`tilefarm serve` on a machine whose devnet is up follows that devnet's market by itself."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.stack import StackStatus
from tilefarm_cli.settings import TilefarmSettings

CLI = str(Path(sys.executable).parent / "tilefarm")


def _serve(env: dict[str, str], port: int, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "serve", "--port", str(port)],
        env={**os.environ, "TILEFARM_SERVER_STATE_DIR": str(tmp_path / "server"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _indexer(port: int, deadline: float) -> dict[str, object]:
    while True:
        try:
            status = httpx.get(f"http://127.0.0.1:{port}/api/indexer", timeout=5).json()
            if not status["enabled"] or status["market"]:
                return dict(status)
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not answer"
        time.sleep(0.3)


@pytest.mark.stack
def test_serve_follows_the_running_devnets_market_without_settings(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "TILEFARM_STATE_DIR": str(stack_settings.state_dir),
        "TILEFARM_CHAIN_PORT": str(stack_settings.chain_port),
        "TILEFARM_IPFS_API_PORT": str(stack_settings.ipfs_api_port),
    }
    server = _serve(env, port, tmp_path)
    try:
        status = _indexer(port, time.monotonic() + 60)
        assert status["enabled"] is True
        assert str(status["market"]).lower() == devnet.contracts["JobMarket"].lower()
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "following the devnet's market" in out


def test_serve_without_a_devnet_says_it_follows_no_market(tmp_path: Path) -> None:
    port = free_port()
    server = _serve({"TILEFARM_STATE_DIR": str(tmp_path / "nothing")}, port, tmp_path)
    try:
        status = _indexer(port, time.monotonic() + 60)
        assert status["enabled"] is False
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "serving without a market" in out


@pytest.mark.stack
def test_serve_with_a_deployments_file_of_another_chain_stops_and_names_both_chains(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path: Path
) -> None:
    deployments = json.loads(
        (stack_settings.deployments_dir / f"{devnet.chain_id}.json").read_text()
    )
    deployments["chain_id"] += 1
    wrong = tmp_path / "deployments.json"
    wrong.write_text(json.dumps(deployments))
    env = {"TILEFARM_SERVER_DEPLOYMENTS_FILE": str(wrong),
           "TILEFARM_SERVER_RPC_URL": str(devnet.rpc_url)}  # fmt: skip
    server = _serve(env, free_port(), tmp_path)
    out, _ = server.communicate(timeout=60)
    assert server.returncode == 1
    # One line, never wrapped to the terminal's width: the path can be copied whole.
    assert devnet.chain_id is not None
    assert f"the deployments file {wrong} is for chain {devnet.chain_id + 1}, but " in out
    assert f"{devnet.rpc_url} serves chain {devnet.chain_id}\n" in out
