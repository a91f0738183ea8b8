"""`GET /api/config` and `POST /api/faucet` on the real stack: the page learns the chain and the
market from the server, and a browser's fresh key gets test ETH on the devnet and nowhere else."""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_typing import ChecksumAddress
from fastapi.testclient import TestClient
from web3 import Web3

from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import deploy_market
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.anvil import anvil_argv, probe
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings

pytestmark = [pytest.mark.stack]

FAUCET_WEI = 3 * 10**18
FAUCET_ACCOUNT = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"  # anvil dev account 9


def fresh_address() -> ChecksumAddress:
    return Web3.to_checksum_address(Web3.keccak(text=f"page-{time.monotonic_ns()}")[-20:])


@pytest.fixture
def market_api(devnet: StackStatus, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The server with a market of its own deployed on the devnet."""
    assert devnet.rpc_url
    market = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    settings = server_settings(
        devnet,
        tmp_path / "server",
        deployments_file=market.deployments_file,
        public_rpc_url="http://rpc.example:8545",
        explorer_tx_url="http://explorer.example/tx/{tx}",
        faucet_wei=FAUCET_WEI,
    )
    with TestClient(create_app(settings)) as client:
        yield client, market.client.address


@pytest.fixture(scope="module")
def other_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An anvil of its own on chain 1337: not the devnet id, though its dev keys are the same."""
    settings = TilefarmSettings(
        state_dir=tmp_path_factory.mktemp("other-chain"), chain_port=free_port(), chain_id=1337
    )
    proc = subprocess.Popen(
        anvil_argv(settings), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe(settings.rpc_url)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield settings.rpc_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_page_learns_the_chain_market_and_faucet_from_the_server(
    market_api: tuple[TestClient, str],
) -> None:
    api, market = market_api
    answer = api.get("/api/config")
    assert answer.status_code == 200
    config = answer.json()
    assert config["chain_id"] == 31337
    assert config["devnet"] is True and config["faucet"] is True
    assert config["market_address"] == market
    assert config["rpc_url"] == "http://rpc.example:8545"
    assert config["explorer_tx_url"] == "http://explorer.example/tx/{tx}"
    functions = {f["name"] for f in config["market_abi"] if f["type"] == "function"}
    assert {"postJob", "quote", "cancelJob", "withdraw"} <= functions


def test_the_faucet_sends_test_eth_to_a_fresh_key_once_per_interval(
    market_api: tuple[TestClient, str], devnet: StackStatus
) -> None:
    api, _ = market_api
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    artist = fresh_address()
    assert w3.eth.get_balance(artist) == 0

    grant = api.post("/api/faucet", json={"address": artist.lower()})
    assert grant.status_code == 200, grant.text
    assert grant.json()["amount_wei"] == str(FAUCET_WEI)
    assert w3.eth.get_balance(artist) == FAUCET_WEI
    tx = w3.eth.get_transaction(grant.json()["tx_hash"])
    assert (tx["from"], tx["to"], tx["value"]) == (FAUCET_ACCOUNT, artist, FAUCET_WEI)

    again = api.post("/api/faucet", json={"address": artist})
    assert again.status_code == 429
    assert "already funded" in again.json()["error"]["message"]
    assert w3.eth.get_balance(artist) == FAUCET_WEI

    someone_else = fresh_address()
    assert api.post("/api/faucet", json={"address": someone_else}).status_code == 200
    assert w3.eth.get_balance(someone_else) == FAUCET_WEI


def test_the_faucet_refuses_what_is_not_an_address(market_api: tuple[TestClient, str]) -> None:
    api, _ = market_api
    answer = api.post("/api/faucet", json={"address": "0x1234"})
    assert answer.status_code == 422
    assert "not an Ethereum address" in answer.json()["error"]["message"]


def test_the_faucet_does_not_exist_on_any_other_chain(
    devnet: StackStatus, other_chain: str, tmp_path: Path
) -> None:
    settings = server_settings(devnet, tmp_path)
    settings.rpc_url = other_chain
    w3 = Web3(Web3.HTTPProvider(other_chain))
    artist = fresh_address()
    with TestClient(create_app(settings)) as api:
        config = api.get("/api/config").json()
        assert (config["chain_id"], config["devnet"], config["faucet"]) == (1337, False, False)
        assert config["market_address"] is None
        answer = api.post("/api/faucet", json={"address": artist})
    assert answer.status_code == 404
    assert "only runs on the local devnet" in answer.json()["error"]["message"]
    assert w3.eth.get_balance(artist) == 0


def test_a_server_with_the_faucet_turned_off_sends_nothing(
    devnet: StackStatus, tmp_path: Path
) -> None:
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    artist = fresh_address()
    with TestClient(create_app(server_settings(devnet, tmp_path, faucet_enabled=False))) as api:
        assert api.get("/api/config").json()["faucet"] is False
        answer = api.post("/api/faucet", json={"address": artist})
    assert answer.status_code == 404
    assert "turned off" in answer.json()["error"]["message"]
    assert w3.eth.get_balance(artist) == 0
