"""A chain of the tests' own for the artist's commands: anvil (the devnet's accounts) with the
protocol deployed from this checkout's build, and no Kubo, Blender or server: the server is
whatever a test makes it say (`fake_server`)."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from tilefarm.adapters.chain.deploy import Deployments, deploy
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm_cli.devnet import anvil
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.process import spawn, tail
from tilefarm_cli.settings import TilefarmSettings

from .artist_cli import write_keystore


@dataclass
class Chain:
    rpc_url: str
    w3: Web3
    deployments: Deployments

    def address(self, name: str) -> str:
        return self.deployments.address(name)


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """anvil as the devnet starts it, with HealthCheck, PanelCourt, RoundKeeper and JobMarket."""
    state = tmp_path_factory.mktemp("artist-chain")
    settings = TilefarmSettings(state_dir=state, chain_port=free_port())
    proc = spawn("artist-anvil", anvil.anvil_argv(settings), state / "anvil.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                anvil.probe(settings.rpc_url)
                break
            except (httpx.HTTPError, ValueError):
                if time.monotonic() > deadline or not proc.is_running():
                    raise RuntimeError(f"anvil did not start:\n{tail(proc.log)}") from None
                time.sleep(0.1)
        w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        deployed = deploy(w3, w3.eth.accounts[0], BUILD_DIR)
        yield Chain(settings.rpc_url, w3, deployed)
    finally:
        proc.stop()


@pytest.fixture
def blend(tmp_path: Path) -> Path:
    """A file that passes for a .blend by its header (the tests upload it unpacked)."""
    path = tmp_path / "shot.blend"
    path.write_bytes(b"BLENDER-v500" + bytes(64))
    return path


@pytest.fixture
def keystore(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The artist's keystore for the devnet account the test module signs with (`ARTIST`: one
    per module, so that their nonces never meet)."""
    return write_keystore(tmp_path / "artist.json", bytes(dev_account(request.module.ARTIST).key))
