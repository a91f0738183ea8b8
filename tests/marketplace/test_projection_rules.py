"""Pure checks of the indexer's rules (no chain): every event the contract can emit has a rule,
the Wei column keeps any amount exactly and in order, and the weighted median is the median."""

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from marketplace.api.routes.prices import weighted_median
from marketplace.db.chain_models import AccountView
from marketplace.db.models import Base
from marketplace.indexer.projection import HANDLERS, Projector
from tilefarm.adapters.chain.events import EVENT_MODELS


def test_every_market_event_has_a_projection_rule() -> None:
    assert set(HANDLERS) == set(EVENT_MODELS.values())
    for method in HANDLERS.values():
        assert callable(getattr(Projector, method))


def test_wei_amounts_round_trip_exactly_and_sort_numerically() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    amounts = [2**96 - 1, 10**18, 9, 0, 2**200]
    with Session(engine) as session:
        for n, amount in enumerate(amounts):
            session.add(AccountView(address=f"0x{n:040x}", stake=amount))
        session.commit()
        stored = session.scalars(select(AccountView.stake).order_by(AccountView.stake)).all()
    assert stored == sorted(amounts)


def test_weighted_median_counts_each_tile() -> None:
    assert weighted_median([]) is None
    assert weighted_median([(5, 1)]) == 5
    assert weighted_median([(3, 3), (5, 5)]) == 5  # 8 tiles: the 4th and 5th sold at 5
    assert weighted_median([(3, 5), (5, 3)]) == 3
    assert weighted_median([(1, 1), (2, 1)]) == 1
