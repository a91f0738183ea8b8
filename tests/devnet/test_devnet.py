"""`tilefarm devnet`: a real anvil, a real Kubo and deployed contracts on free loopback ports."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
import pytest
from eth_typing import ChecksumAddress
from web3 import Web3

from tests.conftest import fresh_stack_settings
from tilefarm import PROTOCOL_VERSION
from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm_cli.devnet import Devnet, PortInUse, StackStatus
from tilefarm_cli.devnet.process import ManagedProcess
from tilefarm_cli.settings import TilefarmSettings

pytestmark = pytest.mark.stack


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def test_up_runs_a_chain_an_ipfs_node_and_the_deployed_contracts(
    devnet: StackStatus, stack_settings: TilefarmSettings
) -> None:
    assert devnet.running, devnet.problems
    assert devnet.chain_id == 31337
    assert devnet.kubo_version == "0.43.1"
    assert {p.name for p in devnet.processes} == {"anvil", "kubo"}
    assert len(devnet.accounts) == 10

    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    deployments = read_deployments(stack_settings.deployments_dir / "31337.json")
    abi = load_artifact("HealthCheck", stack_settings.build_dir).abi
    beacon = w3.eth.contract(
        address=Web3.to_checksum_address(deployments.address("HealthCheck")), abi=abi
    )
    assert beacon.functions.protocolVersion().call() == PROTOCOL_VERSION
    accounts: Sequence[ChecksumAddress] = w3.eth.accounts  # web3 types it as a 1-tuple
    receipt = w3.eth.wait_for_transaction_receipt(
        beacon.functions.ping().transact({"from": accounts[1]})
    )
    (event,) = beacon.events.Pinged().process_receipt(receipt)
    assert event["args"]["sender"] == accounts[1]


def test_the_stack_serves_websocket_on_the_chain_port(devnet: StackStatus) -> None:
    from web3 import LegacyWebSocketProvider

    w3 = Web3(LegacyWebSocketProvider(devnet.ws_url))
    assert w3.eth.chain_id == 31337


def test_ipfs_on_the_stack_keeps_what_it_is_given(devnet: StackStatus) -> None:
    assert devnet.ipfs_api_url
    with KuboClient(devnet.ipfs_api_url) as kubo:
        cid = kubo.add_bytes(b"stack check")
        assert cid == cid_of_bytes(b"stack check")
        assert kubo.cat(cid) == b"stack check"


def test_up_twice_does_not_start_a_second_stack(
    devnet: StackStatus, stack_settings: TilefarmSettings
) -> None:
    again = Devnet(stack_settings).up()
    assert {p.pid for p in again.processes} == {p.pid for p in devnet.processes}


def test_down_leaves_no_process_behind(tmp_path: Path) -> None:
    supervisor = Devnet(fresh_stack_settings(tmp_path))
    pids = [p.pid for p in supervisor.up().processes]
    stopped = supervisor.down()
    assert sorted(p.pid for p in stopped) == sorted(pids)
    assert all(_gone(pid) for pid in pids)
    assert not supervisor.status().running
    assert supervisor.down() == []


def test_a_port_in_use_gives_a_clear_message_and_starts_nothing(tmp_path: Path) -> None:
    settings = fresh_stack_settings(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.ipfs_api_port))
        squatter.listen()
        with pytest.raises(PortInUse) as refused:
            Devnet(settings).up()
    message = str(refused.value)
    assert f"127.0.0.1:{settings.ipfs_api_port} is already in use" in message
    assert "TILEFARM_IPFS_API_PORT" in message
    assert Devnet(settings).load() is None


def test_a_crashed_stack_is_reported_and_replaced_not_reused(tmp_path: Path) -> None:
    supervisor = Devnet(fresh_stack_settings(tmp_path))
    first = supervisor.up()
    anvil_pid = next(p.pid for p in first.processes if p.name == "anvil")
    os.kill(anvil_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    crashed = supervisor.status()
    assert not crashed.running
    assert any("anvil" in problem and "not running" in problem for problem in crashed.problems)

    reported: list[StackStatus] = []
    try:
        second = supervisor.up(on_crashed=reported.append)
        assert second.running
        assert len(reported) == 1
        assert anvil_pid not in {p.pid for p in second.processes}
    finally:
        supervisor.down()


def test_down_never_signals_a_process_that_merely_reuses_a_recorded_pid(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        impostor = ManagedProcess(
            name="anvil",
            pid=bystander.pid,
            create_time=psutil.Process(bystander.pid).create_time() - 100,
            argv=["anvil"],
            log=tmp_path / "anvil.log",
        )
        assert not impostor.is_running()
        impostor.stop()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_status_json_reports_what_tools_need(
    devnet: StackStatus, stack_settings: TilefarmSettings
) -> None:
    cli = Path(sys.executable).parent / "tilefarm"
    result = subprocess.run(
        [str(cli), "devnet", "status", "--json", "--state-dir", str(stack_settings.state_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["running"] is True
    assert report["chain_id"] == 31337
    assert report["rpc_url"] == stack_settings.rpc_url
    assert report["ipfs_api_url"] == stack_settings.ipfs_api_url
    assert report["kubo_version"] == "0.43.1"
    assert report["contracts"]["HealthCheck"].startswith("0x")
    assert {p["name"]: p["healthy"] for p in report["processes"]} == {"anvil": True, "kubo": True}
    assert all(p["pid"] > 0 for p in report["processes"])


def test_status_of_a_stopped_stack_exits_non_zero(tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "tilefarm"
    result = subprocess.run(
        [str(cli), "devnet", "status", "--json", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["running"] is False


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
