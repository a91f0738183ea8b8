"""`tilefarm deploy`: the protocol onto a public network (here a second anvil serving Sepolia's
chain id) from an encrypted keystore, with production market parameters; a re-run deploys nothing
twice; every way it can go wrong says what to fix and sends nothing."""

from collections.abc import Mapping
from pathlib import Path

import pytest
from eth_typing import HexStr
from typer.testing import CliRunner, Result
from web3 import Web3

from tests.deploy.conftest import PASSWORD, SEPOLIA, RemoteChain, make_keystore
from tilefarm import PROTOCOL_VERSION
from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.remote import production_market_config
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.main import app

pytestmark = pytest.mark.chain


def _deploy(
    keystore: Path, out: Path, *args: str, env: Mapping[str, str | None] | None = None
) -> Result:
    argv = ["deploy", "--network", "tilefarm-sepolia", "--keystore", str(keystore),
            "--out", str(out), *args]  # fmt: skip
    return CliRunner().invoke(app, argv, env={"COLUMNS": "300", **(env or {})})


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_deploys_the_protocol_from_a_keystore_and_a_rerun_sends_nothing(
    remote_chain: RemoteChain, keystore: Path, tmp_path: Path
) -> None:
    env = {"TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url, "TILEFARM_DEPLOYER_PASSWORD": PASSWORD}
    treasury = Web3.to_checksum_address("0x" + "7e" * 20)
    first = _deploy(keystore, tmp_path / "deployments", "--treasury", treasury, env=env)
    assert first.exit_code == 0, first.output
    assert "HealthCheck: deployed" in first.output and "JobMarket: deployed" in first.output

    file = tmp_path / "deployments" / f"{SEPOLIA}.json"
    deployments = read_deployments(file)
    assert deployments.chain_id == SEPOLIA
    deployer = deployments.deployer
    assert deployer.lower().removeprefix("0x") in keystore.read_text().lower()
    market = JobMarketClient.from_deployments(remote_chain.w3, deployments)
    assert market.config() == production_market_config(treasury)
    beacon = remote_chain.w3.eth.contract(
        address=Web3.to_checksum_address(deployments.address("HealthCheck")),
        abi=load_artifact("HealthCheck", BUILD_DIR).abi,
    )
    assert beacon.functions.protocolVersion().call() == PROTOCOL_VERSION
    for contract in deployments.contracts.values():
        tx = remote_chain.w3.eth.get_transaction(HexStr(contract.tx_hash))
        assert tx["from"] == deployer and tx["blockNumber"] == contract.block_number

    sent = remote_chain.w3.eth.get_transaction_count(Web3.to_checksum_address(deployer))
    again = _deploy(keystore, tmp_path / "deployments", "--treasury", treasury, env=env)
    assert again.exit_code == 0, again.output
    assert "HealthCheck: kept" in again.output and "JobMarket: kept" in again.output
    assert remote_chain.w3.eth.get_transaction_count(Web3.to_checksum_address(deployer)) == sent
    assert read_deployments(file) == deployments


def test_the_password_is_asked_for_when_the_environment_has_none(
    remote_chain: RemoteChain, keystore: Path, tmp_path: Path
) -> None:
    argv = ["deploy", "--network", "tilefarm-sepolia", "--keystore", str(keystore),
            "--out", str(tmp_path / "deployments")]  # fmt: skip
    env = {"TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url, "TILEFARM_DEPLOYER_PASSWORD": None}
    result = CliRunner().invoke(app, argv, env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "keystore password" in result.output and PASSWORD not in result.output
    assert read_deployments(tmp_path / "deployments" / f"{SEPOLIA}.json").chain_id == SEPOLIA


def test_a_run_cut_short_resumes_and_a_vanished_contract_is_deployed_again(
    remote_chain: RemoteChain, keystore: Path, tmp_path: Path
) -> None:
    env = {"TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url, "TILEFARM_DEPLOYER_PASSWORD": PASSWORD}
    out = tmp_path / "deployments"
    assert _deploy(keystore, out, env=env).exit_code == 0
    file = out / f"{SEPOLIA}.json"
    full = read_deployments(file)

    # Cut short after the first contract: the file records HealthCheck only.
    cut = full.model_copy(update={"contracts": {"HealthCheck": full.contracts["HealthCheck"]}})
    file.write_text(cut.model_dump_json())
    resumed = _deploy(keystore, out, env=env)
    assert resumed.exit_code == 0, resumed.output
    assert "HealthCheck: kept" in resumed.output and "JobMarket: deployed" in resumed.output
    after = read_deployments(file)
    assert after.contracts["HealthCheck"] == full.contracts["HealthCheck"]
    assert after.address("JobMarket") != full.address("JobMarket")

    # The file names an address without code (a reset test network): it and what follows again.
    gone = after.contracts["HealthCheck"].model_copy(update={"address": "0x" + "00" * 19 + "01"})
    file.write_text(
        after.model_copy(
            update={"contracts": {**after.contracts, "HealthCheck": gone}}
        ).model_dump_json()
    )
    redone = _deploy(keystore, out, env=env)
    assert redone.exit_code == 0, redone.output
    assert "HealthCheck: deployed" in redone.output and "JobMarket: deployed" in redone.output
    final = read_deployments(file)
    assert set(final.contracts) == {"HealthCheck", "PanelCourt", "RoundKeeper", "JobMarket"}
    assert final.address("JobMarket") != after.address("JobMarket")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong password", "wrong password for the keystore"),
        ("missing keystore", "no keystore at"),
        ("not a keystore", "is not an encrypted keystore"),
        ("rpc down", "does not answer"),
        ("other chain", f"serves chain {SEPOLIA}, but the network is chain 84532"),
        ("rpc variable unset", "$TILEFARM_OP_SEPOLIA_RPC_URL, which is not set"),
        ("unknown network", "no network 'tilefarm-mainnet'"),
        ("unfunded deployer", "holds 0 wei on chain 11155111"),
        ("bad treasury", "treasury 'the artist' is not an address"),
    ],
)
def test_a_deployment_that_cannot_go_through_says_why_and_sends_nothing(
    remote_chain: RemoteChain, keystore: Path, tmp_path: Path, case: str, expected: str
) -> None:
    env: dict[str, str | None] = {
        "TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url,
        "TILEFARM_BASE_SEPOLIA_RPC_URL": remote_chain.rpc_url,
        "TILEFARM_OP_SEPOLIA_RPC_URL": None,
        "TILEFARM_DEPLOYER_PASSWORD": PASSWORD,
    }
    network = "tilefarm-sepolia"
    match case:
        case "wrong password":
            env["TILEFARM_DEPLOYER_PASSWORD"] = "not the passphrase"
        case "missing keystore":
            keystore = tmp_path / "nowhere.json"
        case "not a keystore":
            keystore = tmp_path / "plain.json"
            keystore.write_text('{"private_key": "0x' + "11" * 32 + '"}')
        case "rpc down":
            env["TILEFARM_SEPOLIA_RPC_URL"] = f"http://127.0.0.1:{free_port()}"
        case "other chain":
            network = "tilefarm-base-sepolia"
        case "rpc variable unset":
            network = "tilefarm-op-sepolia"
        case "unknown network":
            network = "tilefarm-mainnet"
        case "unfunded deployer":
            keystore = tmp_path / "empty.json"
            make_keystore(keystore)
    argv = ["deploy", "--network", network, "--keystore", str(keystore),
            "--out", str(tmp_path / "deployments")]  # fmt: skip
    if case == "bad treasury":
        argv += ["--treasury", "the artist"]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300", **env})
    assert result.exit_code == 1, result.output
    assert expected in _flat(result.output)
    assert "Traceback" not in result.output
    assert not (tmp_path / "deployments").exists()
