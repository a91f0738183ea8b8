"""The marketplace app against the real local stack (Kubo, anvil) and real Blender children."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from tests.marketplace.finished_job import finished_job  # noqa: F401  (a session fixture)
from tests.marketplace.shared_database import market, shared_url  # noqa: F401  (fixtures)
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.postgres import Cluster, running_cluster
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
def api(devnet: StackStatus, tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The server's API, with its own database (`database_url`)."""
    settings = server_settings(devnet, tmp_path, database_url=database_url)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the session, started by the first test that needs it."""
    with running_cluster() as cluster:
        yield cluster


BOTH_DATABASES = ["sqlite", "postgresql"]

# The tests that run on PostgreSQL as well as on SQLite, by module: those whose projections,
# queries and bookkeeping the two databases could answer differently ("*": every test of the
# module that opens a database through `database_url`). Each one's time counts twice in
# `make test`: about 90 s in all is what the suite's budget allows (docs/database.md). A test can
# also choose its databases itself: `@pytest.mark.parametrize("database_url", [...],
# indirect=True)`.
ON_BOTH_DATABASES: dict[str, set[str] | str] = {
    "test_api_bodies.py": "*",
    "test_indexer.py": "*",
    "test_chain_api.py": {
        "test_cancelled_expired_and_contested_jobs_are_indexed",
        "test_job_list_filters_and_pages",
        "test_prices_estimate_and_ledger_csv",
        "test_stream_pushes_a_jobs_events_as_they_are_indexed",
        "test_reorganised_blocks_are_dropped",
        "test_worker_detail_shows_its_jobs_verifications_and_history",
    },
    "test_assembly.py": {
        "test_a_server_with_an_empty_database_assembles_the_same_cids",
        "test_a_tile_whose_bytes_do_not_match_its_cid_is_never_stitched",
        "test_frames_kept_for_another_job_under_the_same_number_are_replaced_by_this_jobs",
    },
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test named in `ON_BOTH_DATABASES` that its module lacks (renamed, removed) stops the
    run, rather than leaving the renamed test to run on SQLite alone."""
    modules = {
        Path(str(m.__file__)).name: m for m in (getattr(i, "module", None) for i in items) if m
    }
    for name, chosen in ON_BOTH_DATABASES.items():
        module = modules.get(name)
        if module is None or chosen == "*":
            continue
        missing = sorted(t for t in chosen if not callable(getattr(module, t, None)))
        if missing:
            raise pytest.UsageError(
                f"tests/marketplace/conftest.py: ON_BOTH_DATABASES names {', '.join(missing)}, "
                f"which {name} does not have: name the renamed tests"
            )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        if "database_url" in str(marker.args[0]):
            return  # the test chose its databases itself
    chosen = ON_BOTH_DATABASES.get(Path(str(metafunc.module.__file__)).name, set())
    if chosen == "*" or metafunc.function.__name__ in chosen:
        metafunc.parametrize("database_url", BOTH_DATABASES, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The server's database: a SQLite file of the test's own, or, for the tests
    `ON_BOTH_DATABASES` names, also a PostgreSQL database of its own (on the session's
    throw-away cluster)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'market.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgres")
    url = cluster.create_database()
    yield url
    cluster.drop_database(url)
