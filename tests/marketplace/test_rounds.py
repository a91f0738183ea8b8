"""Every frame finishes, end to end on a real market: a late worker's tiles go back on the market in
a re-offer round and another worker is paid for them; the indexer's views and ledger and the
auditor's replay equal the contract's to the wei. A history where a tile is paid twice (its
events tampered with, on chain or in the indexer's table) fails the audit and the ledger."""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.db.chain_models import ChainEvent, DisputeView, JobView, LedgerEntry, SeatView
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.indexer.ledger import JobMoney
from marketplace.indexer.ledger import job_money as indexed_money
from tests.marketplace.market import (
    RENDER_WINDOW,
    VERIFY_WINDOW,
    Bid,
    Market,
    assert_matches_chain,
    attest,
    auction,
    commit_bid,
    commit_results,
    draw,
    reoffer,
    round_auction,
    rounds,
    stake_all,
    stranger,
)
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.audit.credits import Flows, check_credits, job_credits
from tilefarm.checks.audit.history import JobHistory, read_histories, read_history
from tilefarm.checks.audit.job import audit_job
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.report import Check
from tilefarm.checks.audit.rounds import round_checks
from tilefarm.checks.audit.solvency import solvency

pytestmark = [pytest.mark.chain, pytest.mark.stack, pytest.mark.ipfs]

MAX_PRICE = 10**15
VERIFY_FEE = 10**13
TILES = 8


@dataclass
class LateTilesPaidAgain:
    """A job whose first half was paid to `prompt` and whose second half, taken by `late` and
    claimed late, was re-offered in round `round_id` and paid to `rescuer`."""

    job_id: int
    round_id: int
    prompt: str
    late: str
    rescuer: str
    slashed: int


def _late_tiles_paid_again(m: Market, db: Database) -> LateTilesPaidAgain:
    c = m.client
    stake_all(m)
    prompt, late, rescuer = m.workers[:3]
    bids = [Bid(prompt, 3 * 10**14, 4), Bid(late, 4 * 10**14, 4)]
    job_id = auction(m, bids, tiles=TILES, max_price=MAX_PRICE, verify_fee=VERIFY_FEE, **rounds(m))
    assert [(s.first_tile, s.tile_count) for s in (c.seat(job_id, w) for w in (prompt, late))] == [
        (0, 4),
        (4, 4),
    ]
    commit_results(m, job_id, prompt)
    c.accept_results(m.artist, job_id, prompt)  # paid at once, no verifier
    m.advance(RENDER_WINDOW + 1)
    receipt = c.claim_late(stranger(m), job_id, late)
    slashed = receipt.event(ev.WorkerTimedOut).slashed
    Indexer(db, c, m.start_block).sync()
    assert_matches_chain(m, db)  # the reserve took the seat's escrow back and the slash

    round_id = reoffer(m, job_id, stranger(m))
    assert round_id is not None
    assert c.offered_tiles(round_id) == [(4, 4)] and c.unsold_tiles(job_id) == []
    with pytest.raises(ContractReverted) as barred:
        commit_bid(m, round_id, Bid(late, 10**14, 4))
    assert barred.value.error == "BarredFromJob"
    round_auction(m, round_id, [Bid(rescuer, 5 * 10**14, 4)])
    assert (c.seat(round_id, rescuer).first_tile, c.seat(round_id, rescuer).tile_count) == (4, 4)
    commit_results(m, round_id, rescuer)
    verifier = draw(m, round_id, rescuer, stranger(m))
    attest(m, round_id, rescuer, verifier, True, "bafy-evidence")
    m.advance(VERIFY_WINDOW + 1)
    c.release(stranger(m), round_id, rescuer)
    assert c.job(round_id).status_name == "Completed"
    assert c.job(job_id).status_name == "Completed"
    Indexer(db, c, m.start_block).sync()
    return LateTilesPaidAgain(job_id, round_id, prompt, late, rescuer, slashed)


def _audit(history: JobHistory) -> list[Check]:
    _, checks = job_money(history)
    flows = Flows()
    job_credits(history, defaultdict(int), flows=flows)
    return checks + round_checks(history, flows)


def _indexed(db: Database, job_id: int) -> JobMoney:
    with db.session() as s:
        job = s.get(JobView, job_id)
        assert job is not None
        rounds_ = s.scalars(select(JobView).where(JobView.root == job_id)).all()
        ids = [job_id, *(r.job_id for r in rounds_)]
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.job_id == job_id)).all()
        disputes = s.scalars(select(DisputeView).where(DisputeView.job_id.in_(ids))).all()
        seats = s.scalars(select(SeatView).where(SeatView.job_id.in_(ids))).all()
        return indexed_money(job, entries, disputes, rounds_, seats)


def test_a_late_workers_tiles_are_paid_to_another_worker_in_a_round_to_the_wei(
    market: Market, kubo: KuboClient, tmp_path: Path
) -> None:
    m, c = market, market.client
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    x = _late_tiles_paid_again(m, db)
    cfg = m.config
    fee = cfg.protocol_fee_bps
    deposit = TILES * (MAX_PRICE + MAX_PRICE * fee // 10_000 + VERIFY_FEE)
    opener_bounty = 4 * VERIFY_FEE * cfg.draw_bounty_bps // 10_000  # the round's 4 tiles
    draw_bounty = 4 * VERIFY_FEE * cfg.draw_bounty_bps // 10_000
    verifier_fee = 4 * VERIFY_FEE - draw_bounty
    prompt_pay, rescuer_pay = 4 * 3 * 10**14, 4 * 5 * 10**14
    protocol_fee = (prompt_pay + rescuer_pay) * fee // 10_000
    refund = (
        deposit + x.slashed - opener_bounty - prompt_pay - rescuer_pay - draw_bounty
        - verifier_fee - protocol_fee
    )  # fmt: skip
    (completed,) = [e for e in c.events(job_id=x.job_id) if isinstance(e, ev.JobCompleted)]
    assert (completed.artist_refund, completed.protocol_fee) == (refund, protocol_fee)
    assert c.balance_of(m.artist) == refund  # every bid was revealed: no bond for the artist

    # The auditor, from the chain alone: both sales' books, the tiles and the reserve.
    history = read_history(c, x.round_id)  # a round's id reads its posted job
    assert history.job_id == x.job_id and list(history.rounds) == [x.round_id]
    checks = _audit(history)
    assert all(check.ok for check in checks), [check for check in checks if not check.ok]
    assert {check.name for check in checks} >= {
        "money in equals money out", "no tile is paid twice", "no tile is held twice",
        "each round re-offers the unsold tiles for its bounty",
        "the reserve and unsold tiles are what the rules leave",
    }  # fmt: skip
    money, _ = job_money(history)
    assert (money.deposit, money.slashed_into_reserve, money.reoffer_bounties) == (
        deposit,
        x.slashed,
        opener_bounty,
    )
    assert (money.paid_to_workers, money.verifier_fees, money.draw_bounties) == (
        prompt_pay + rescuer_pay,
        verifier_fee,
        draw_bounty,
    )
    assert (money.protocol_fee, money.refunded, money.escrow_held, money.reserve) == (
        protocol_fee,
        refund,
        0,
        0,
    )
    first, second = money.rounds
    assert (first.job_id, first.tiles_sold, first.tiles_paid, first.paid_to_workers) == (
        x.job_id,
        8,
        4,
        prompt_pay,
    )
    assert first.slashed_into_reserve == x.slashed
    assert (second.job_id, second.round, second.tiles_on_sale, second.tiles_paid) == (
        x.round_id,
        1,
        4,
        4,
    )
    assert (second.opener_bounty, second.paid_to_workers, second.verifier_fees) == (
        opener_bounty,
        rescuer_pay,
        verifier_fee,
    )
    # The whole audit covers the round's seat, under the round's id (the tests' manifest is no
    # CID: nothing on IPFS to fetch).
    report = audit_job(history, kubo, market=c)
    assert [check.name for check in report.failed] == ["manifest readable"]
    assert [(s.job_id, s.round, s.worker, s.state) for s in report.seats] == [
        (x.job_id, 0, x.prompt, "Paid"),
        (x.job_id, 0, x.late, "TimedOut"),
        (x.round_id, 1, x.rescuer, "Paid"),
    ]
    assert report.money == money
    histories = read_histories(c)
    balances = {who: c.balance_of(who) for who in m.accounts}
    unattached = [e for e in c.events() if not hasattr(e, "job_id")]
    assert check_credits(histories, unattached, balances).mismatches == []
    assert solvency(c, histories).ok

    # The indexer: the round's row, the ledger to the wei, each entry naming its round.
    assert_matches_chain(m, db)
    with db.session() as s:
        round_view = s.get(JobView, x.round_id)
        assert round_view is not None
        assert (round_view.root, round_view.round, round_view.offered) == (x.job_id, 1, [[4, 4]])
        assert (round_view.deposit, round_view.escrow) == (0, 0)
        paid = {
            (e.round_id, e.party): e.amount
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.reason == "tile_payment"))
        }
    assert paid == {(x.job_id, x.prompt): prompt_pay, (x.round_id, x.rescuer): rescuer_pay}
    books = _indexed(db, x.job_id)
    assert books.balanced and books.held == 0, books
    assert (books.to_openers, books.refunded, books.to_workers) == (
        opener_bounty,
        refund,
        prompt_pay + rescuer_pay,
    )
    assert books.slashed == x.slashed and books.rounds == 1


def test_a_tile_paid_twice_fails_the_audit_and_the_ledger(market: Market, tmp_path: Path) -> None:
    m, c = market, market.client
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    x = _late_tiles_paid_again(m, db)

    # The round's assignment moved onto the tiles already paid to the prompt worker.
    history = read_history(c, x.job_id)
    history.events = [
        e.model_copy(update={"first_tile": 0})
        if isinstance(e, ev.TilesAssigned) and e.job_id == x.round_id
        else e
        for e in history.events
    ]
    failed = {check.name: check.detail for check in _audit(history) if not check.ok}
    assert set(failed) == {"no tile is paid twice", "no tile is held twice"}, failed
    assert "tiles 0..3 were paid more than once" in failed["no tile is paid twice"]
    assert "moves tiles 0..3 from on sale in job" in failed["no tile is held twice"]

    # The same tampering in the indexer's events table: the rebuilt ledger no longer balances.
    assert _indexed(db, x.job_id).balanced
    with db.session() as s:
        row = s.scalars(
            select(ChainEvent).where(
                ChainEvent.name == "TilesAssigned", ChainEvent.job_id == x.round_id
            )
        ).one()
        row.args = {**row.args, "first_tile": 0}
    Indexer(db, c, m.start_block).rebuild()
    books = _indexed(db, x.job_id)
    assert books.tiles_paid_twice == [0, 1, 2, 3] and not books.balanced
