"""Escalation to a panel of three: the majority decides, the loser pays."""

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
    PAID,
    REJECTED,
    VERIFY_WINDOW,
    Bid,
    advance,
    attest,
    collateral,
    commit_results,
    err,
    fraud_slash,
    protocol_fee,
    ready_for_draw,
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
    ready_for_draw()
    tx = market.drawPanel(job_id, worker, {"from": worker})
    return list(tx.events["PanelDrawn"]["members"])


def test_the_panel_is_three_staked_accounts_other_than_the_parties(
    staked, attested, worker, jurors
):
    job_id = attested(False)
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    assert sorted(panel_of(staked, job_id, worker)) == sorted(j.address for j in jurors)


def test_a_worker_appeal_upheld_by_the_majority_slashes_the_false_accuser(
    staked, attested, artist, worker, verifier
):
    job_id = attested(False)
    tx = staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    assert tx.events["DisputeOpened"]["bond"] == DISPUTE_BOND
    assert staked.seat(job_id, worker)["state"] == DISPUTED
    members = panel_of(staked, job_id, worker)
    staked.vote(job_id, worker, False, "e0", {"from": members[0]})
    staked.vote(job_id, worker, False, "e1", {"from": members[1]})
    staked.vote(job_id, worker, True, "e2", {"from": members[2]})
    escrow = staked.job(job_id)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert tx.events["DisputeResolved"]["fraud"] is False
    slashed = MIN_STAKE * FALSE_ACCUSATION_BPS // 10_000
    assert staked.account(verifier)["stake"] == MIN_STAKE - slashed
    # a panel's verdict is final: the worker is paid at once, with the slash and its bond back
    assert tx.events["PaymentReleased"]["verifierFee"] == 0
    assert staked.balanceOf(worker) == slashed + DISPUTE_BOND + TILES * PRICE + BOND
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
    for m in members[:2]:
        staked.vote(job_id, worker, True, "fraud", {"from": m})
    advance(2 * VERIFY_WINDOW + 1)
    artist_before = staked.balanceOf(artist)
    escrow = staked.job(job_id)["escrow"]
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert tx.events["DisputeResolved"]["fraud"] is True
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    pot = slashed + DISPUTE_BOND
    share = (pot // 2) // 3  # two fraud voters and the original verifier
    assert staked.balanceOf(members[0]) == share
    assert staked.balanceOf(members[2]) == 0  # did not vote
    fee = verifier_fee(TILES)
    assert staked.balanceOf(verifier) == fee + share
    assert staked.balanceOf(artist) == artist_before + escrow - fee + pot - 3 * share
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
    for m in members:
        staked.vote(job_id, worker, True, "fraud", {"from": m})
    staked.resolveDispute(job_id, worker, {"from": artist})
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    share = (slashed // 2) // 3
    false_pass = MIN_STAKE * FALSE_ACCUSATION_BPS // 10_000
    assert staked.balanceOf(members[0]) == share
    # the pay was never released: the whole escrow, the verifier's fee included, returns
    assert staked.balanceOf(artist) == (
        artist_before + escrow + DISPUTE_BOND + slashed - 3 * share + false_pass
    )
    assert staked.balanceOf(verifier) == 0
    assert staked.account(verifier)["stake"] == MIN_STAKE - false_pass
    assert staked.seat(job_id, worker)["state"] == REJECTED
    assert staked.account(worker)["tilesRejected"] == TILES


def test_an_artist_contest_that_fails_pays_its_bond_to_the_worker(
    staked, attested, artist, worker, verifier
):
    job_id = attested(True)
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    members = panel_of(staked, job_id, worker)
    before = staked.balanceOf(worker)
    for m in members:
        staked.vote(job_id, worker, False, "fine", {"from": m})
    tx = staked.resolveDispute(job_id, worker, {"from": artist})
    assert "PaymentReleased" in tx.events  # released at once: the panel's verdict is final
    assert staked.balanceOf(worker) == before + DISPUTE_BOND + TILES * PRICE
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    assert staked.seat(job_id, worker)["state"] == PAID


def test_a_silent_panel_upholds_the_original_verdict(staked, attested, artist, worker, stranger):
    job_id = attested(True)
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    deadline = staked.dispute(job_id, worker)["deadline"]
    with brownie.reverts(err("VotingStillOpen", job_id, worker, deadline)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(2 * VERIFY_WINDOW + 1)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    assert staked.seat(job_id, worker)["state"] == PAID


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


def test_panel_and_vote_reverts(staked, attested, worker, stranger):
    job_id = attested(False)
    with brownie.reverts(err("SeatNotInState", job_id, worker, FAILED, DISPUTED)):
        staked.vote(job_id, worker, True, "x", {"from": stranger})
    staked.openDispute(job_id, worker, "x", {"from": worker, "value": DISPUTE_BOND})
    anchor = staked.dispute(job_id, worker)["anchorBlock"]
    with brownie.reverts(err("RandomnessNotReady", job_id, worker, anchor)):
        staked.drawPanel(job_id, worker, {"from": stranger})
    members = panel_of(staked, job_id, worker)
    with brownie.reverts(err("PanelAlreadyDrawn", job_id, worker)):
        staked.drawPanel(job_id, worker, {"from": stranger})
    with brownie.reverts(err("NotOnPanel", job_id, worker, stranger)):
        staked.vote(job_id, worker, True, "x", {"from": stranger})
    staked.vote(job_id, worker, True, "x", {"from": members[0]})
    with brownie.reverts(err("AlreadyVoted", job_id, worker, members[0])):
        staked.vote(job_id, worker, False, "x", {"from": members[0]})
    deadline = staked.dispute(job_id, worker)["deadline"]
    advance(2 * VERIFY_WINDOW + 1)
    with brownie.reverts(err("VotingClosed", job_id, worker, deadline)):
        staked.vote(job_id, worker, True, "x", {"from": members[1]})
