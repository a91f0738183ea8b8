"""Escalation to a panel of three: sealed votes, the majority of the revealed ones decides, the side
that lost pays the panel (the rules in docs/protocol.md, "Disputes"; finding 6's attacks on them are
in test_verification_game_panels.py)."""

import brownie
import pytest
from helpers import (
    BOND,
    CONTESTED,
    DISPUTE_BOND,
    DISPUTED,
    FAILED,
    FALSE_ACCUSATION_BPS,
    MIN_STAKE,
    OUTVOTED,
    PAID,
    REJECTED,
    SILENCE,
    VERIFY_WINDOW,
    Bid,
    Vote,
    advance,
    attest,
    cast_votes,
    collateral,
    commit_results,
    draw_panel,
    err,
    fraud_slash,
    panel_pay,
    protocol_fee,
    run_auction,
    stake_all,
    verifier_fee,
)

PRICE, TILES = 400, 16


@pytest.fixture
def jurors(accounts):
    return [accounts[6], accounts[7], accounts[8]]


@pytest.fixture
def attested(staked, artist, worker, stranger, jurors):
    """Returns a function: the worker's results of a fresh job attested `passed` by `verifier`
    (drawn by `stranger`, who keeps the bounty), after which the jurors stake (so they can only
    be drawn for the panel)."""

    def make(passed):
        job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)], tiles=TILES)
        commit_results(staked, job_id, worker)
        attest(staked, job_id, worker, passed, stranger)
        stake_all(staked, *jurors)
        return job_id

    return make


def panel_of(market, job_id, worker):
    return draw_panel(market, job_id, worker, worker)


def slashes(tx):
    """Each `Slashed` event of `tx` as {account: (reason, amount)}."""
    return {e["worker"]: (e["reason"], e["amount"]) for e in tx.events["Slashed"]}


def test_the_panel_is_three_staked_accounts_other_than_the_parties(
    staked, attested, worker, jurors
):
    job_id = attested(False)
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    members = panel_of(staked, job_id, worker)
    assert sorted(m.address for m in members) == sorted(j.address for j in jurors)


def test_a_worker_appeal_upheld_by_the_majority_slashes_the_false_accuser(
    staked, attested, artist, worker, verifier
):
    job_id = attested(False)
    tx = staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    assert tx.events["DisputeOpened"]["bond"] == DISPUTE_BOND
    assert staked.seat(job_id, worker)["state"] == DISPUTED
    members = panel_of(staked, job_id, worker)
    cast_votes(staked, job_id, worker, {members[0]: False, members[1]: False, members[2]: True})
    escrow = staked.job(job_id)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert tx.events["DisputeResolved"]["fraud"] is False
    slashed = MIN_STAKE * FALSE_ACCUSATION_BPS // 10_000
    assert staked.account(verifier)["stake"] == MIN_STAKE - slashed
    # The panel's fee comes out of the false accuser's slash; the fraud voter is outvoted.
    assert slashes(tx)[members[2]] == (OUTVOTED, DISPUTE_BOND)
    figures = panel_pay(DISPUTE_BOND, 3, 2, DISPUTE_BOND)
    paid = tx.events["PanelPaid"]
    assert paid["beneficiary"] == worker
    assert (paid["feeEach"], paid["bondsEach"], paid["remainder"]) == figures
    fee_each, bonds_each, remainder = figures
    assert staked.balanceOf(members[0]) == fee_each + bonds_each
    assert staked.balanceOf(members[2]) == fee_each
    assert staked.account(members[2])["stake"] == MIN_STAKE - DISPUTE_BOND
    # a panel's verdict is final: the worker is paid at once, with the slash less the panel's fee
    # and its bond back
    assert tx.events["PaymentReleased"]["verifierFee"] == 0
    assert staked.balanceOf(worker) == (
        (slashed - DISPUTE_BOND) + DISPUTE_BOND + remainder + TILES * PRICE + BOND
    )
    # a false accuser earns no fee: it returns to the artist
    assert staked.balanceOf(verifier) == 0
    assert staked.account(verifier)["duties"] == 0
    fee = protocol_fee(TILES, PRICE)
    assert staked.balanceOf(artist) == artist_before + escrow - TILES * PRICE - fee
    seat = staked.seat(job_id, worker)
    assert seat["state"] == PAID and seat["deadline"] == 0  # no second dispute


def test_a_failed_appeal_pays_the_slash_to_the_artist_and_the_honest_verifiers(
    staked, attested, artist, worker, verifier
):
    job_id = attested(False)
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    members = panel_of(staked, job_id, worker)
    votes = [Vote(job_id, worker, m, True) for m in members[:2]]  # the third seals nothing
    for v in votes:
        v.commit(staked)
    advance(VERIFY_WINDOW + 1)  # the commit window (from the draw) closes: reveals open
    for v in votes:
        v.reveal(staked)
    advance(VERIFY_WINDOW)  # the reveal window closes
    artist_before = staked.balanceOf(artist)
    escrow = staked.job(job_id)["escrow"]
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert tx.events["DisputeResolved"]["fraud"] is True
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    share = (slashed // 2) // 3  # two fraud voters and the original verifier
    # The worker's lost bond is the panel's fee; the silent member's slash goes to the voters.
    assert slashes(tx)[members[2]] == (SILENCE, DISPUTE_BOND)
    fee_each, bonds_each, remainder = panel_pay(DISPUTE_BOND, 2, 2, DISPUTE_BOND)
    assert (fee_each, bonds_each, remainder) == (DISPUTE_BOND // 2, DISPUTE_BOND // 2, 0)
    assert staked.balanceOf(members[0]) == share + fee_each + bonds_each
    assert staked.balanceOf(members[2]) == 0  # did not vote
    assert staked.account(members[2])["stake"] == MIN_STAKE - DISPUTE_BOND
    fee = verifier_fee(TILES)
    assert staked.balanceOf(verifier) == fee + share
    assert staked.balanceOf(artist) == artist_before + escrow - fee + slashed - 3 * share
    assert staked.seat(job_id, worker)["state"] == REJECTED


def test_an_artist_contest_that_proves_fraud_slashes_the_worker_and_the_passing_verifier(
    staked, attested, artist, worker, verifier
):
    job_id = attested(True)
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    assert staked.seat(job_id, worker)["state"] == CONTESTED
    members = panel_of(staked, job_id, worker)
    artist_before = staked.balanceOf(artist)
    escrow = staked.job(job_id)["escrow"]
    cast_votes(staked, job_id, worker, dict.fromkeys(members, True))
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    # the panel's fee (a dispute bond) comes out of the worker's slash, the rest is shared
    share = ((slashed - DISPUTE_BOND) // 2) // 3
    fee_each, _, remainder = panel_pay(DISPUTE_BOND, 3, 3, 0)
    assert tx.events["PanelPaid"]["beneficiary"] == artist
    false_pass = MIN_STAKE * FALSE_ACCUSATION_BPS // 10_000
    assert staked.balanceOf(members[0]) == share + fee_each
    # the pay was never released: the whole escrow, the verifier's fee included, returns; the
    # artist's bond returns too
    assert staked.balanceOf(artist) == (
        artist_before
        + escrow
        + DISPUTE_BOND
        + (slashed - DISPUTE_BOND - 3 * share)
        + false_pass
        + remainder
    )
    assert staked.balanceOf(verifier) == 0
    assert staked.account(verifier)["stake"] == MIN_STAKE - false_pass
    assert staked.seat(job_id, worker)["state"] == REJECTED
    assert staked.account(worker)["tilesRejected"] == TILES


def test_an_artist_contest_that_fails_pays_its_bond_to_the_panel(
    staked, attested, artist, worker, verifier
):
    job_id = attested(True)
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    members = panel_of(staked, job_id, worker)
    before = staked.balanceOf(worker)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, False))
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert "PaymentReleased" in tx.events  # released at once: the panel's verdict is final
    fee_each, _, remainder = panel_pay(DISPUTE_BOND, 3, 3, 0)
    assert [staked.balanceOf(m) for m in members] == [fee_each] * 3
    assert staked.balanceOf(worker) == before + TILES * PRICE + remainder
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    assert staked.seat(job_id, worker)["state"] == PAID


def test_a_silent_panel_upholds_the_original_verdict(staked, attested, artist, worker, stranger):
    job_id = attested(True)
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    reveal_end = staked.dispute(job_id, worker)["deadline"] + VERIFY_WINDOW
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(2 * VERIFY_WINDOW + 1)
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})  # reveals are still open
    advance(VERIFY_WINDOW)
    before = staked.balanceOf(worker)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    assert staked.seat(job_id, worker)["state"] == PAID
    # No panel was drawn: the artist's lost bond has nobody to pay and goes to the worker.
    paid = tx.events["PanelPaid"]
    assert (paid["feeEach"], paid["bondsEach"], paid["remainder"]) == (0, 0, DISPUTE_BOND)
    assert staked.balanceOf(worker) == before + TILES * PRICE + DISPUTE_BOND


def test_open_dispute_reverts(staked, attested, artist, worker, stranger):
    job_id = attested(False)
    with brownie.reverts(err("NotDisputable", job_id, worker, stranger, FAILED)):
        staked.openDispute(job_id, worker, "x", {"from": stranger, "value": DISPUTE_BOND})
    with brownie.reverts(err("NotDisputable", job_id, worker, artist, FAILED)):
        staked.openDispute(job_id, worker, "x", {"from": artist, "value": DISPUTE_BOND})
    with brownie.reverts(err("WrongDisputeBond", 1, DISPUTE_BOND)):
        staked.openDispute(job_id, worker, "x", {"from": worker, "value": 1})
    deadline = staked.seat(job_id, worker)["deadline"]
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("DisputeWindowClosed", job_id, worker, deadline)):
        staked.openDispute(job_id, worker, "x", {"from": worker, "value": DISPUTE_BOND})


def test_panel_and_sealed_vote_reverts(staked, attested, worker, stranger):
    job_id = attested(False)
    sealed = Vote(job_id, worker, stranger, True).commitment()
    with brownie.reverts(err("SeatNotInState", job_id, worker, FAILED, DISPUTED)):
        staked.commitVote(job_id, worker, sealed, {"from": stranger})
    with brownie.reverts(err("SeatNotInState", job_id, worker, FAILED, DISPUTED)):
        staked.revealVote(job_id, worker, True, b"\x00" * 32, "x", {"from": stranger})
    staked.openDispute(job_id, worker, "x", {"from": worker, "value": DISPUTE_BOND})
    anchor = staked.dispute(job_id, worker)["anchorBlock"]
    with brownie.reverts(err("RandomnessNotReady", job_id, worker, anchor)):
        staked.drawPanel(job_id, worker, {"from": stranger})
    members = panel_of(staked, job_id, worker)
    with brownie.reverts(err("PanelAlreadyDrawn", job_id, worker)):
        staked.drawPanel(job_id, worker, {"from": stranger})
    with brownie.reverts(err("NotOnPanel", job_id, worker, stranger)):
        staked.commitVote(job_id, worker, sealed, {"from": stranger})
    first, second = (Vote(job_id, worker, m, True) for m in members[:2])
    tx = first.commit(staked)
    assert bytes(tx.events["VoteCommitted"]["commitment"]) == first.commitment()
    second.commit(staked)
    assert staked.dispute(job_id, worker)["committedMask"] == 0b011
    with brownie.reverts(err("AlreadyVoted", job_id, worker, members[0])):
        staked.commitVote(job_id, worker, sealed, {"from": members[0]})
    with brownie.reverts(err("VoteNotCommitted", job_id, worker, stranger)):
        staked.revealVote(job_id, worker, True, first.salt, "x", {"from": stranger})
    with brownie.reverts(err("VoteNotCommitted", job_id, worker, members[2])):
        Vote(job_id, worker, members[2], True).reveal(staked)
    deadline = staked.dispute(job_id, worker)["deadline"]
    with brownie.reverts(err("RevealsNotOpen", job_id, worker, deadline)):
        first.reveal(staked)
    advance(VERIFY_WINDOW + 1)  # the commit window, one window from the draw, closed
    with brownie.reverts(err("VotingClosed", job_id, worker, deadline)):
        Vote(job_id, worker, members[2], True).commit(staked)
    first.reveal(staked)
    with brownie.reverts(err("AlreadyVoted", job_id, worker, members[0])):
        first.reveal(staked)
    advance(VERIFY_WINDOW)
    with brownie.reverts(err("RevealsClosed", job_id, worker, deadline + VERIFY_WINDOW)):
        second.reveal(staked)
