"""Posting pays the full maximum into escrow; cancelling in the bid window refunds it; withdraw."""

import brownie
from helpers import (
    ACTIVE,
    BID_WINDOW,
    BIDDING,
    BOND,
    CANCELLED,
    FEE_BPS,
    MIN_STAKE,
    REVEAL_WINDOW,
    Bid,
    advance,
    commit,
    commit_lock,
    err,
    job_params,
    post,
    reveal,
)


def test_post_job_escrows_the_full_maximum_with_fee_and_verification_budget(market, artist):
    params = job_params(tiles=16, max_price=10**15, verify_fee=10**13)
    required = 16 * (10**15 + 10**15 * FEE_BPS // 10_000 + 10**13)
    assert market.quote(16, 10**15, 10**13) == required
    tx = market.postJob(params, "bafy-manifest", {"from": artist, "value": required})
    ev = tx.events["JobPosted"]
    assert ev["jobId"] == 1 and ev["artist"] == artist and ev["manifestCid"] == "bafy-manifest"
    assert ev["deposit"] == required
    job = market.job(1)
    assert job["escrow"] == required and job["status"] == BIDDING and job["artist"] == artist
    assert market.balance() == required
    assert market.jobCount() == 1


def test_post_job_with_the_wrong_deposit_is_refused(market, artist):
    required = market.quote(16, 10**15, 10**13)
    with brownie.reverts(err("WrongDeposit", required - 1, required)):
        market.postJob(job_params(), "bafy", {"from": artist, "value": required - 1})


def test_post_job_rejects_bad_parameters(market, artist):
    with brownie.reverts(err("InvalidTileCount", 0, 1)):
        market.postJob(job_params(tiles=0), "bafy", {"from": artist})
    with brownie.reverts(err("InvalidTileCount", 2, 3)):
        market.postJob(job_params(tiles=2, frames=3), "bafy", {"from": artist})
    with brownie.reverts(err("ZeroMaxPrice")):
        market.postJob(job_params(max_price=0), "bafy", {"from": artist})
    zero_window = (*job_params()[:5], 0, *job_params()[6:])
    with brownie.reverts(err("ZeroWindow")):
        market.postJob(zero_window, "bafy", {"from": artist})
    with brownie.reverts(err("EmptyManifestCid")):
        market.postJob(job_params(), "", {"from": artist})


def test_cancel_before_assignment_refunds_everything(market, artist, worker):
    market.stake({"from": worker, "value": MIN_STAKE})
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    bid = Bid(worker, 10**14, 4)
    commit(market, job_id, bid)
    assert market.account(worker)["locked"] == commit_lock(4)
    tx = market.cancelJob(job_id, {"from": artist})
    assert tx.events["JobCancelled"]["refund"] == deposit
    assert market.balanceOf(artist) == deposit
    assert market.job(job_id)["status"] == CANCELLED
    before = artist.balance()
    market.withdraw({"from": artist})
    assert artist.balance() == before + deposit
    # the bidder's bond is its own to take back
    tx = market.reclaimBond(job_id, {"from": worker})
    assert tx.events["BondReclaimed"]["amount"] == BOND
    assert market.balanceOf(worker) == BOND
    assert market.account(worker)["locked"] == 0  # and its commit's lock is free again
    with brownie.reverts(err("NoBondToReclaim", job_id, worker)):
        market.reclaimBond(job_id, {"from": worker})


def test_only_the_artist_cancels_and_only_during_the_bid_window(market, artist, stranger, worker):
    market.stake({"from": worker, "value": MIN_STAKE})
    job_id = post(market, artist)
    bid_end = market.job(job_id)["bidEnd"]
    with brownie.reverts(err("NotArtist", job_id, stranger, artist)):
        market.cancelJob(job_id, {"from": stranger})
    with brownie.reverts(err("JobNotInStatus", job_id, BIDDING, CANCELLED)):
        market.reclaimBond(job_id, {"from": worker})
    bid = Bid(worker, 10**14, 16)
    commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    # The bid window closed: bids may now be revealed (and unrevealed ones owe their collateral),
    # so the job runs to its settlement, whether or not a bid was revealed yet.
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})
    reveal(market, job_id, bid)
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})  # nor before the settlement
    market.settle(job_id, [worker], {"from": stranger})
    with brownie.reverts(err("JobNotInStatus", job_id, ACTIVE, BIDDING)):
        market.cancelJob(job_id, {"from": artist})


def test_unknown_job_is_reported(market, artist):
    with brownie.reverts(err("JobNotFound", 7)):
        market.cancelJob(7, {"from": artist})


def test_withdraw_with_nothing_credited_is_refused(market, stranger):
    with brownie.reverts(err("NothingCredited", stranger)):
        market.withdraw({"from": stranger})
