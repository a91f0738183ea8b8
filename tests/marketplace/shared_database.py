"""Fixtures the marketplace's tests share (imported by their conftest): a market of the test's
own, deployed on the session's devnet, and a database of its own on the session's PostgreSQL
cluster; and the count of events a database stores."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.db.chain_models import ChainEvent
from marketplace.db.session import Database
from tests.marketplace.market import Market, deploy_market
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.postgres import Cluster


@pytest.fixture
def market(devnet: StackStatus, tmp_path: Path) -> Market:
    assert devnet.rpc_url
    return deploy_market(devnet.rpc_url, tmp_path / "deployments")


@pytest.fixture
def shared_url(postgres: Cluster) -> Iterator[str]:
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


def events_stored(url: str) -> int:
    """How many chain events the database at `url` holds."""
    db = Database(url)
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(ChainEvent)) or 0)
    finally:
        db.engine.dispose()
