"""Hostile behaviour: reentrant payees, forged and copied reveals, double commits,
self-verification, and griefing by never revealing (which forfeits the bond and the collateral
the commit locked)."""

import brownie
from brownie import ReentrantPayee
from eth_utils.crypto import keccak
from helpers import (
    BID_WINDOW,
    BOND,
    MIN_STAKE,
    REVEAL_WINDOW,
    Bid,
    advance,
    commit,
    commit_lock,
    commit_results,
    draw,
    eligible,
    err,
    job_params,
    post,
    ready_for_draw,
    reveal,
    reveal_results,
    run_auction,
    seal_evidence,
    stake_all,
)


def test_a_reentrant_payee_cannot_withdraw_twice(market, deployer, artist):
    payee = ReentrantPayee.deploy(market, {"from": deployer})
    params = job_params()
    deposit = market.quote(params[0], params[2], params[3])
    tx = payee.postJob(params, "bafy", {"from": artist, "value": deposit})
    job_id = tx.return_value
    payee.cancelJob(job_id, {"from": artist})
    assert market.balanceOf(payee) == deposit
    payee.withdraw({"from": artist})
    assert payee.balance() == deposit  # paid once
    assert payee.reentryAttempts() == 1 and not payee.reentrySucceeded()
    selector = keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert bytes(payee.reentryError()) == selector
    assert market.balance() == 0 and market.balanceOf(payee) == 0


def test_a_payee_that_refuses_payment_keeps_its_credit(market, deployer, artist):
    payee = ReentrantPayee.deploy(market, {"from": deployer})
    params = job_params()
    deposit = market.quote(params[0], params[2], params[3])
    job_id = payee.postJob(params, "bafy", {"from": artist, "value": deposit}).return_value
    payee.cancelJob(job_id, {"from": artist})
    payee.setRefusePayments(True, {"from": artist})
    with brownie.reverts(err("PaymentFailed", payee, deposit)):
        payee.withdraw({"from": artist})
    assert market.balanceOf(payee) == deposit  # nothing lost; it can withdraw once it accepts ETH


def test_revealing_a_bid_that_was_never_committed_fails(market, artist, stranger):
    market.stake({"from": stranger, "value": MIN_STAKE})
    job_id = post(market, artist)
    advance(BID_WINDOW + 1)
    with brownie.reverts(err("NoBidCommitted", job_id, stranger)):
        reveal(market, job_id, Bid(stranger, 1, 16))


def test_front_running_a_reveal_with_copied_values_fails(market, artist, worker, rival, stranger):
    for w in (worker, rival, stranger):
        market.stake({"from": w, "value": MIN_STAKE})
    job_id = post(market, artist)
    victim = Bid(worker, 500, 16)
    commit(market, job_id, victim)
    # the copycat even commits the victim's very commitment hash and tile count
    copycat = {"from": rival, "value": BOND}
    market.commitBid(job_id, victim.commitment(job_id), victim.tiles, copycat)
    advance(BID_WINDOW + 1)
    copied = Bid(rival, victim.price, victim.tiles, victim.salt)
    with brownie.reverts(
        err("CommitmentMismatch", job_id, rival, victim.sealed(job_id), copied.sealed(job_id))
    ):
        reveal(market, job_id, copied)
    with brownie.reverts(err("NoBidCommitted", job_id, stranger)):
        reveal(market, job_id, Bid(stranger, victim.price, victim.tiles, victim.salt))
    reveal(market, job_id, victim)
    assert market.seat(job_id, worker)["pricePerTile"] == 500


def test_committing_results_twice_fails(staked, artist, worker):
    job_id = run_auction(staked, artist, [Bid(worker, 100, 16)])
    commit_results(staked, job_id, worker)
    with brownie.reverts(err("ResultsAlreadyCommitted", job_id, worker)):
        staked.commitResults(job_id, b"\x02" * 32, {"from": worker})


def test_a_verifier_cannot_attest_its_own_work(staked, artist, worker, stranger):
    job_id = run_auction(staked, artist, [Bid(worker, 100, 16)])
    commit_results(staked, job_id, worker)
    ready_for_draw()
    verifier = draw(staked, job_id, worker, stranger)
    with brownie.reverts(err("CannotVerifyOwnWork", job_id, worker)):
        seal_evidence(staked, job_id, worker, worker, "self")
    seal_evidence(staked, job_id, worker, verifier)
    reveal_results(staked, job_id, worker)
    with brownie.reverts(err("CannotVerifyOwnWork", job_id, worker)):
        staked.attest(job_id, worker, True, "self", {"from": worker})


def test_the_draw_never_picks_the_worker_or_the_artist(market, accounts, artist):
    crew = [accounts[i] for i in (2, 3, 6, 7, 8)]
    for w in [*crew, artist]:
        market.stake({"from": w, "value": MIN_STAKE})
    bids = [Bid(w, 100 + i, 4) for i, w in enumerate(crew[:4])]
    for _ in range(3):
        job_id = run_auction(market, artist, bids)
        for b in bids:
            commit_results(market, job_id, b.bidder)
        ready_for_draw()
        for b in bids:
            drawn = market.drawVerifier(job_id, b.bidder, {"from": artist}).return_value
            assert drawn not in (b.bidder, artist)
            assert eligible(market, drawn)


def test_never_revealing_costs_the_griefer_its_bond_and_its_locked_collateral(
    market, artist, worker, stranger
):
    stake_all(market, worker, stranger)
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    griefer = Bid(stranger, 1, 16)  # would undercut everyone, then stays silent
    honest = Bid(worker, 900, 16)
    commit(market, job_id, griefer)
    commit(market, job_id, honest)
    advance(BID_WINDOW + 1)
    reveal(market, job_id, honest)
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, [worker], {"from": artist})
    assert tx.events["TilesAssigned"]["worker"] == worker
    kept = market.job(job_id)["escrow"]
    # the griefer's bond went to the artist
    assert market.balanceOf(artist) == deposit + BOND - kept
    assert market.balanceOf(stranger) == 0
    # and so does the collateral its commit locked at the maximum price, forfeited by anyone
    lock = commit_lock(16)
    assert market.account(stranger)["locked"] == lock
    tx = market.forfeitBid(job_id, stranger, {"from": worker})
    assert tx.events["BidForfeited"]["slashed"] == lock
    assert market.balanceOf(artist) == deposit + BOND - kept + lock
    assert market.account(stranger)["stake"] == MIN_STAKE - lock
