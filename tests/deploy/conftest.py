"""A "remote" network for deployment tests: a second anvil serving Sepolia's chain id on a free
loopback port, and a deployer whose key only exists in an encrypted keystore."""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from tilefarm.adapters.chain.deploy import Deployments
from tilefarm.adapters.chain.networks import find_network
from tilefarm.adapters.chain.remote import deploy_to_network, unlock_keystore
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm_cli.devnet import anvil
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.process import spawn, tail
from tilefarm_cli.settings import TilefarmSettings

SEPOLIA = 11_155_111
PASSWORD = "a long deployer passphrase"
ETHER = 10**18


@dataclass
class RemoteChain:
    rpc_url: str
    w3: Web3

    def fund(self, address: str, wei: int) -> None:
        self.w3.provider.make_request("anvil_setBalance", [address, hex(wei)])  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def remote_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteChain]:
    """anvil as chain 11155111, as a public test network's RPC would answer."""
    port = free_port()
    argv = [str(TilefarmSettings().anvil_bin), "--host", "127.0.0.1", "--port", str(port),
            "--chain-id", str(SEPOLIA)]  # fmt: skip
    proc = spawn("remote-anvil", argv, tmp_path_factory.mktemp("remote") / "anvil.log")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            anvil.probe(url)
            break
        except (httpx.HTTPError, ValueError):
            if time.monotonic() > deadline or not proc.is_running():
                proc.stop()
                raise RuntimeError(f"the remote anvil did not start:\n{tail(proc.log)}") from None
            time.sleep(0.1)
    yield RemoteChain(url, Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})))
    proc.stop()


def make_keystore(path: Path, password: str = PASSWORD) -> str:
    """A new key, written only encrypted; returns its address."""
    account = Account.create()
    path.parent.mkdir(parents=True, exist_ok=True)
    # scrypt at 2**14 rather than 2**18: the same format and code path, unlocked 16x faster
    path.write_text(json.dumps(Account.encrypt(account.key, password, iterations=2**14)))
    return str(account.address)


@pytest.fixture
def keystore(remote_chain: RemoteChain, tmp_path: Path) -> Path:
    """A funded deployer's keystore."""
    path = tmp_path / "deployer.json"
    remote_chain.fund(make_keystore(path), ETHER)
    return path


@pytest.fixture(scope="session")
def remote_deployment(
    remote_chain: RemoteChain, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Deployments]:
    """The protocol deployed once on the remote chain; (deployments file, deployments)."""
    folder = tmp_path_factory.mktemp("remote-deploy")
    remote_chain.fund(make_keystore(folder / "deployer.json"), ETHER)
    account = unlock_keystore(folder / "deployer.json", PASSWORD)
    network = find_network("tilefarm-sepolia")
    rpc = {"TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url}
    network = network.model_copy(update={"host": network.rpc_url(rpc)})
    deployments = deploy_to_network(network, account, BUILD_DIR, folder / "deployments")
    return folder / "deployments" / f"{SEPOLIA}.json", deployments
