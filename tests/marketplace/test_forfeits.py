"""A sealed bid never revealed forfeits the collateral its commit locked (its declared tiles at the
job's maximum price): after the reveal window anyone calls `forfeitBid`, the bidder is slashed
(reason Unrevealed) and the artist credited. End to end on a real market, the indexer's views and
ledger and the auditor's replay of the rules both equal the contract's balances afterwards."""

from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.db.chain_models import JobView, LedgerEntry, SeatView
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.indexer.ledger import job_money as indexed_money
from tests.marketplace.market import (
    BID_WINDOW,
    REVEAL_WINDOW,
    Bid,
    Market,
    assert_matches_chain,
    commit_bid,
    params,
    stake_all,
)
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.checks.audit.credits import check_credits
from tilefarm.checks.audit.history import read_histories, read_history
from tilefarm.checks.audit.job import forfeit_checks
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.solvency import solvency

pytestmark = [pytest.mark.chain, pytest.mark.stack]

MAX_PRICE = 10**15
TILES = 8


def _reverts(error: str, call: object, *args: object) -> None:
    with pytest.raises(ContractReverted) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.error == error, caught.value


def test_a_forfeited_bid_pays_the_artist_its_collateral_in_the_ledger_and_the_audit(
    market: Market, tmp_path: Path
) -> None:
    m, c = market, market.client
    stake_all(m)
    honest, silent, unlucky = m.workers[:3]
    job_id, _ = c.post_job(m.artist, params(tiles=TILES, max_price=MAX_PRICE), "bafy-manifest")
    bids = [Bid(honest, MAX_PRICE // 2, 5), Bid(silent, MAX_PRICE // 4, 3), Bid(unlucky, 1, 2)]
    for bid in bids:
        commit_bid(m, job_id, bid)
    # The declared tiles lock their collateral at the maximum price; the seat stores the count
    # in the commitment's low 16 bits.
    lock = m.config.collateral(3, MAX_PRICE)
    assert c.account(silent).locked == lock
    assert c.seat(job_id, silent).hash.endswith("0003")
    _reverts("BidTilesOutOfRange", c.commit_bid, m.workers[3], job_id, b"\x01" * 32, TILES + 1)
    m.advance(BID_WINDOW + 1)
    c.reveal_bid(honest, job_id, bids[0].price, bids[0].tiles, bids[0].salt)
    # Not before the reveal window is over, nor a revealed bid.
    _reverts("RevealNotOver", c.forfeit_bid, m.artist, job_id, silent)
    m.advance(REVEAL_WINDOW + 1)
    _reverts("BidNotForfeitable", c.forfeit_bid, m.artist, job_id, honest)
    stake_before = c.account(silent).stake
    c.forfeit_bid(m.artist, job_id, silent)
    c.settle(unlucky, job_id)  # the bonds of both unrevealed bids go to the artist
    c.forfeit_bid(silent, job_id, unlucky)  # anyone may forfeit, even after settlement
    _reverts("BidNotForfeitable", c.forfeit_bid, m.artist, job_id, silent)  # only once

    # The chain: seats forfeited, each bidder slashed its lock (reason Unrevealed), unlocked.
    for who in (silent, unlucky):
        assert c.seat(job_id, who).state_name == "Forfeited"
    assert c.account(silent).stake == stake_before - lock
    assert c.account(silent).locked == 0
    events = c.events(job_id=job_id)
    forfeits = {e.bidder: e.slashed for e in events if isinstance(e, ev.BidForfeited)}
    slashes = {e.worker: e for e in events if isinstance(e, ev.Slashed)}
    assert forfeits == {silent: lock, unlucky: m.config.collateral(2, MAX_PRICE)}
    assert {who: ev.SLASH_REASONS[s.reason] for who, s in slashes.items()} == {
        silent: "Unrevealed",
        unlucky: "Unrevealed",
    }
    (settled,) = [e for e in events if isinstance(e, ev.BidsSettled)]
    artist_credit = c.balance_of(m.artist)
    assert artist_credit == settled.artist_refund + sum(forfeits.values())

    # The indexer: views equal the contract's; the ledger credits every party its balance, the
    # job's books balance, and the artist's forfeits are counted apart.
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    Indexer(db, c, m.start_block).sync()
    assert_matches_chain(m, db)
    with db.session() as s:
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.job_id == job_id)).all()
        job = s.get(JobView, job_id)
        assert job is not None
        books = indexed_money(job, entries, [])
        seat = s.get(SeatView, (job_id, silent))
        assert seat is not None
        assert (seat.state, seat.declared_tiles, seat.collateral, seat.slashed) == (
            "Forfeited",
            3,
            lock,
            lock,
        )
    assert books.balanced, books
    assert books.forfeits == sum(forfeits.values())
    assert books.slashed == sum(forfeits.values())
    credited: dict[str, int] = {}
    for entry in entries:
        if entry.direction == "out":
            credited[entry.party] = credited.get(entry.party, 0) + entry.amount
    for who in {*credited, honest, silent, unlucky, m.artist}:
        assert credited.get(who, 0) == c.balance_of(who), who
    taken = {(e.party, e.role, e.reason) for e in entries if e.direction == "in"}
    assert (silent, "bidder", "slash:Unrevealed") in taken

    # The auditor: the same credits from the events alone, the forfeits checked against the
    # collateral the commits locked, and the market solvent.
    history = read_history(c, job_id)
    _, money_checks = job_money(history)
    assert all(x.ok for x in money_checks), money_checks
    (check,) = forfeit_checks(history)
    assert check.ok, check.detail
    histories = read_histories(c)
    balances = {who: c.balance_of(who) for who in {*credited, honest, silent, unlucky, m.artist}}
    unattached = [e for e in c.events() if not hasattr(e, "job_id")]
    assert check_credits(histories, unattached, balances).mismatches == []
    assert solvency(c, histories).ok

    # A `BidForfeited` that credits the artist a wei more than the slash is caught.
    history.events = [
        e.model_copy(update={"slashed": e.slashed + 1}) if isinstance(e, ev.BidForfeited) else e
        for e in history.events
    ]
    (check,) = forfeit_checks(history)
    assert not check.ok and "credited the artist" in check.detail
