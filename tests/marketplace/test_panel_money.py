"""A dispute panel's money, end to end on a real market: sealed votes, the verdict, the panel's
fee (the disputer's bond, or up to a bond out of the loser's slash), the silent and outvoted
members' slashes shared by the members that voted for the outcome, and the rest to the side the
outcome favours; when no member revealed a vote for the outcome (a silent panel), the members'
forfeited stakes go to the treasury instead. After an appeal the worker wins, one it loses, a
contest the artist wins and one it loses (each with an outvoted or a silent member, or both), and
an appeal and a contest before a silent panel, the indexer's ledger and the auditor's replay both
equal the contract's balances, and the auditor sees each vote sealed before it was revealed."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.db.chain_models import DisputeView, JobView, LedgerEntry
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.indexer.ledger import job_money as indexed_money
from tests.marketplace.market import (
    Bid,
    Market,
    assert_matches_chain,
    attest,
    auction,
    commit_results,
    draw,
    panel_of,
    panel_votes,
    params,
    stake_all,
)
from tilefarm.adapters.chain import events as ev
from tilefarm.checks.audit.credits import check_credits
from tilefarm.checks.audit.evidence import sealed_vote_checks
from tilefarm.checks.audit.history import read_histories, read_history
from tilefarm.checks.audit.job import panel_pay_checks
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.solvency import solvency

pytestmark = [pytest.mark.chain, pytest.mark.stack]

PRICE = 10**14
TILES = 4


@dataclass(frozen=True)
class Case:
    appeal: bool  # the worker appeals a fail (else the artist contests a pass)
    votes: tuple[bool | None, ...]  # per member: its sealed vote (True: fraud), None: no seal
    unrevealed: tuple[int, ...]  # members that sealed but never revealed
    fraud: bool  # the verdict
    outvoted: tuple[int, ...]
    silent: tuple[int, ...]


CASES = {
    # 2 honest against 1 fraud: the worker wins; the fraud voter is outvoted.
    "appeal won": Case(True, (False, False, True), (), False, (2,), ()),
    # 1 fraud against 1 honest (the third sealed, never revealed): a tie upholds the fail.
    "appeal lost": Case(True, (True, False, True), (2,), True, (1,), (2,)),
    # 2 fraud, the third sealed nothing: the artist wins.
    "contest won": Case(False, (True, True, None), (), True, (), (2,)),
    # 1 honest against 1 fraud, the third silent: a tie upholds the pass.
    "contest lost": Case(False, (False, True, None), (), False, (1,), (2,)),
    # Nobody revealed (one sealed and went quiet): the fail is upheld, the three members'
    # forfeited stakes go to the treasury, the appeal's bond to the artist.
    "appeal, silent panel": Case(True, (True, None, None), (0,), True, (), (0, 1, 2)),
    # Nobody sealed: the pass is upheld, the stakes to the treasury, the contest's bond to the
    # worker.
    "contest, silent panel": Case(False, (None, None, None), (), False, (), (0, 1, 2)),
}


def _dispute(m: Market, case: Case) -> tuple[int, str, list[str]]:
    """A job of one seat, its verdict disputed and voted as `case` says."""
    stake_all(m)
    c = m.client
    worker = m.workers[0]
    job_id = auction(m, [Bid(worker, PRICE, TILES)], tiles=TILES)
    commit_results(m, job_id, worker)
    verifier = draw(m, job_id, worker)
    attest(m, job_id, worker, verifier, not case.appeal, "bafy-evidence")
    c.open_dispute(worker if case.appeal else m.artist, job_id, worker, "bafy-reason")
    m.mine(3)
    c.draw_panel(m.artist, job_id, worker)
    members = panel_of(m, job_id, worker)
    assert len(members) == 3
    votes = {members[k]: v for k, v in enumerate(case.votes) if v is not None}
    panel_votes(m, job_id, worker, votes, {members[k] for k in case.unrevealed})
    return job_id, worker, members


@pytest.mark.parametrize("name", list(CASES))
def test_the_panels_money_in_the_ledger_and_the_audit_equals_the_contracts(
    market: Market, tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    m, c = market, market.client
    job_id, worker, members = _dispute(m, case)
    history = read_history(c, job_id)
    events = history.events
    (resolved,) = [e for e in events if isinstance(e, ev.DisputeResolved)]
    assert resolved.fraud is case.fraud
    # Silent and outvoted members are slashed, with their reasons; nobody else on the panel.
    member_slashes = {
        e.worker: (ev.SLASH_REASONS[e.reason], e.amount)
        for e in events
        if isinstance(e, ev.Slashed) and e.worker in members
    }
    assert {who: why for who, (why, _) in member_slashes.items()} == {
        **{members[k]: "Outvoted" for k in case.outvoted},
        **{members[k]: "Silence" for k in case.silent},
    }
    forfeited = sum(amount for _, amount in member_slashes.values())
    assert forfeited == m.config.dispute_bond * len(member_slashes)  # each had a bond to lose

    # The panel's pay, by the rules: the fee is the disputer's bond when it lost, else up to a
    # bond out of the loser's slash (the overruled fail's verifier, or the worker's fraud).
    bond = m.config.dispute_bond
    disputer_won = case.appeal != case.fraud
    slashes = {ev.SLASH_REASONS[e.reason]: e.amount for e in events if isinstance(e, ev.Slashed)}
    loser_slash = slashes["FalseAccusation" if case.appeal else "Fraud"] if disputer_won else 0
    fee = min(bond, loser_slash) if disputer_won else bond
    revealed = [x for k, x in enumerate(members) if case.votes[k] is not None]
    revealed = [x for x in revealed if members.index(x) not in case.unrevealed]
    winners = [x for x in revealed if case.votes[members.index(x)] == case.fraud]
    fee_each = fee // len(revealed) if revealed else 0
    bonds_each = forfeited // len(winners) if winners else 0
    # Nobody revealed for the outcome: the forfeits go to the treasury, not to the beneficiary.
    to_treasury = 0 if winners else forfeited
    (paid,) = [e for e in events if isinstance(e, ev.PanelPaid)]
    assert (paid.beneficiary, paid.fee_each, paid.bonds_each, paid.remainder) == (
        m.artist if case.fraud else worker,
        fee_each,
        bonds_each,
        fee - fee_each * len(revealed) + forfeited - bonds_each * len(winners) - to_treasury,
    )
    protocol_fee = sum(e.protocol_fee for e in events if isinstance(e, ev.JobCompleted))
    assert c.balance_of(m.treasury) == protocol_fee + to_treasury
    # Each member's whole balance is its panel pay and, on fraud, a winner's share of the
    # worker's fraud slash: half of it (less the panel's fee on a contest) shared by the fraud
    # voters, and on an appeal the failing verifier with them (none of them bid or verified).
    share = 0
    if case.fraud:
        split = slashes["Fraud"] - (fee if disputer_won else 0)
        share = (split // 2) // (len(winners) + (1 if case.appeal else 0))
    for member in members:
        pay = (fee_each if member in revealed else 0) + (
            bonds_each + share if member in winners else 0
        )
        assert c.balance_of(member) == pay, member
    # The worker: its bid bond back, and by the verdict its pay, its appeal bond back and the
    # liar's slash less the panel's fee, and the panel's remainder.
    bid_bond = params().bid_bond
    won_by_worker = not case.fraud
    expected = bid_bond
    if won_by_worker:
        expected += TILES * PRICE + paid.remainder
    if case.appeal and won_by_worker:
        expected += bond + loser_slash - fee
    assert c.balance_of(worker) == expected

    # The indexer: every view equals the contract's, and each party's credits in the ledger sum
    # to its balance (nobody withdrew); the job's books balance and hold nothing.
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    Indexer(db, c, m.start_block).sync()
    assert_matches_chain(m, db)
    with db.session() as s:
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.job_id == job_id)).all()
        job = s.get(JobView, job_id)
        disputes = s.scalars(select(DisputeView).where(DisputeView.job_id == job_id)).all()
        assert job is not None
        books = indexed_money(job, entries, disputes)
        (view,) = disputes
        assert (view.fee_each, view.bonds_each, view.remainder) == (
            paid.fee_each,
            paid.bonds_each,
            paid.remainder,
        )
        assert (view.forfeited, view.to_treasury) == (forfeited, to_treasury)
        assert view.committed_mask == sum(1 << k for k, v in enumerate(case.votes) if v is not None)
    credited: dict[str, int] = {}
    for entry in entries:
        if entry.direction == "out":
            credited[entry.party] = credited.get(entry.party, 0) + entry.amount
    for who in {*credited, *members, worker, m.artist, m.treasury}:
        assert credited.get(who, 0) == c.balance_of(who), who
    assert books.balanced and books.held == 0, books
    assert books.to_panels == fee + forfeited - paid.remainder - to_treasury
    assert books.panels_to_treasury == to_treasury
    assert books.protocol_fee == protocol_fee
    reasons = {e.reason for e in entries if e.direction == "out" and e.party == worker}
    assert ("dispute_bond_return" in reasons) is (case.appeal and disputer_won)

    # The auditor: the same credits from the events alone, the panel's pay re-derived, every
    # vote sealed before it was revealed, and the market solvent.
    _, money_checks = job_money(history)
    assert all(x.ok for x in money_checks), money_checks
    (pay_check,) = panel_pay_checks(history)
    assert pay_check.ok, pay_check.detail
    block_time = lambda n: int(m.w3.eth.get_block(n)["timestamp"])  # noqa: E731
    (votes_check,) = sealed_vote_checks(history, worker, block_time)
    assert votes_check.ok, votes_check.detail
    if revealed:
        opened = "every member had sealed" if None not in case.votes else "the commit window closed"
        assert opened in votes_check.detail
    else:
        assert "none revealed" in votes_check.detail
    histories = read_histories(c)
    balances = {
        who: c.balance_of(who) for who in {*credited, *members, worker, m.artist, m.treasury}
    }
    unattached = [e for e in c.events() if not hasattr(e, "job_id")]
    assert check_credits(histories, unattached, balances).mismatches == []
    assert solvency(c, histories).ok


def test_the_auditor_reports_a_panel_paid_against_the_rules_and_an_unsealed_or_early_reveal(
    market: Market,
) -> None:
    m = market
    job_id, worker, _ = _dispute(m, CASES["contest lost"])
    history = read_history(m.client, job_id)
    assert panel_pay_checks(history)[0].ok
    # A PanelPaid that gives the beneficiary one wei more than the rules leave it.
    history.events = [
        e.model_copy(update={"remainder": e.remainder + 1}) if isinstance(e, ev.PanelPaid) else e
        for e in history.events
    ]
    (check,) = panel_pay_checks(history)
    assert not check.ok and "but the rules pay" in check.detail
    # A reveal without its seal.
    history = read_history(m.client, job_id)
    sealed = next(e for e in history.events if isinstance(e, ev.VoteCommitted))
    history.events = [e for e in history.events if e is not sealed]
    (check,) = sealed_vote_checks(history, worker)
    assert not check.ok and f"{sealed.voter} revealed a vote it never sealed" in check.detail
    # A reveal before every member sealed and before the commit window closed (as if the chain's
    # clock had not moved on: every block at the same time).
    history = read_history(m.client, job_id)
    (check,) = sealed_vote_checks(history, worker, lambda n: 1_000)
    assert not check.ok and "before the commit window closed" in check.detail
    assert sealed_vote_checks(history, worker)[0].ok  # without the chain's clock: not judged
