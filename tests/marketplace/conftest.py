"""The marketplace app against the real local stack (Kubo, anvil) and real Blender children."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from tests.marketplace.finished_job import finished_job  # noqa: F401  (a session fixture)
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.scenes import build_builtin_scene


@pytest.fixture(scope="session")
def tiny_blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in tiny scene, built once by a Blender child."""
    return build_builtin_scene("tiny", tmp_path_factory.mktemp("scenes") / "tiny.blend")


def server_settings(
    devnet: StackStatus, state_dir: Path, **overrides: object
) -> MarketplaceSettings:
    assert devnet.ipfs_api_url and devnet.rpc_url
    return MarketplaceSettings(
        state_dir=state_dir,
        ipfs_api_url=devnet.ipfs_api_url,
        rpc_url=devnet.rpc_url,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def api(devnet: StackStatus, tmp_path: Path) -> Iterator[TestClient]:
    """The server's API, with its own database file."""
    with TestClient(create_app(server_settings(devnet, tmp_path))) as client:
        yield client
