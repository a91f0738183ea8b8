"""Shared fixtures: a real local stack (anvil + Kubo + contracts) on free loopback ports."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tilefarm.adapters.ipfs import KuboClient
from tilefarm_cli.devnet import Devnet, StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings

# The test files that take longest (one to four minutes, mostly drills on stacks of their own)
# start first. `make test` hands whole files to two workers in the order of the collection
# (`--dist loadfile --no-loadscope-reorder`), and a long file begun last leaves the other worker
# idle while it runs; xdist's own order puts the files with the most tests first, which put these
# (one to three tests each) last.
LONGEST_FIRST = (
    "tests/e2e/test_demo_kill_worker.py",
    "tests/drills/test_every_frame_finishes.py",
    "tests/drills/test_dead_worker.py",
    "tests/e2e/test_artist_cli.py",
    "tests/e2e/test_demo_job.py",
    "tests/worker/test_faults.py",
    "tests/browser/test_reoffer_rounds.py",
    "tests/worker/test_crash_recovery.py",
    "tests/drills/test_verifier_restart.py",
    "tests/worker/test_challenges.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = {path: rank for rank, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(first)))


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
