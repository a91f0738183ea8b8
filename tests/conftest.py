"""Shared fixtures: a real local stack (anvil + Kubo + contracts) on free loopback ports."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tilefarm.adapters.ipfs import KuboClient
from tilefarm_cli.devnet import Devnet, StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings


def fresh_stack_settings(state_dir: Path) -> TilefarmSettings:
    """Settings for a stack of its own: its own state folder and ports nobody else uses."""
    return TilefarmSettings(
        state_dir=state_dir,
        chain_port=free_port(),
        ipfs_api_port=free_port(),
        ipfs_gateway_port=free_port(),
    )


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> TilefarmSettings:
    return fresh_stack_settings(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def devnet(stack_settings: TilefarmSettings) -> Iterator[StackStatus]:
    """One running stack for the whole session, stopped at the end."""
    supervisor = Devnet(stack_settings)
    status = supervisor.up()
    yield status
    supervisor.down()


@pytest.fixture
def kubo(devnet: StackStatus) -> Iterator[KuboClient]:
    assert devnet.ipfs_api_url is not None
    with KuboClient(devnet.ipfs_api_url) as client:
        yield client
