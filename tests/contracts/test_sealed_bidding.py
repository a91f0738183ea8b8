"""Sealed bids: commit in the bid window, reveal after it, settle lowest price first."""

import brownie
from brownie import accounts
from helpers import (
    ACTIVE,
    ASSIGNED,
    BID_WINDOW,
    BIDDING,
    EXPIRED,
    MIN_STAKE,
    OUTBID,
    REVEAL_WINDOW,
    REVEALED,
    Bid,
    advance,
    commit,
    err,
    post,
    ranked,
    reveal,
    run_auction,
)

from tilefarm.chain.bids import rank_key

BOND = 10**16
MAX = 10**15


def stake_all(market, *who):
    for w in who:
        market.stake({"from": w, "value": MIN_STAKE})


def test_tiles_go_to_the_lowest_prices_first_each_at_its_own_price(
    market, artist, worker, rival, spare
):
    stake_all(market, worker, rival, spare)
    bids = [Bid(worker, 300, 8), Bid(rival, 100, 6), Bid(spare, 200, 6)]
    job_id = post(market, artist, tiles=16, max_price=MAX)
    for b in bids:
        commit(market, job_id, b)
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, ranked(job_id, bids), {"from": artist})
    seats = {b.bidder: market.seat(job_id, b.bidder) for b in bids}
    assert [int(x) for x in seats[rival][1:5]] == [100, 0, 6, ASSIGNED]
    assert [int(x) for x in seats[spare][1:5]] == [200, 6, 6, ASSIGNED]
    assert [int(x) for x in seats[worker][1:5]] == [
        300,
        12,
        4,
        ASSIGNED,
    ]  # partly filled: only 4 tiles were left
    assert [e["worker"] for e in tx.events["TilesAssigned"]] == [rival, spare, worker]
    job = market.job(job_id)
    assert job["status"] == ACTIVE and job["openSeats"] == 3


def test_escrow_above_the_winning_prices_returns_to_the_artist(market, artist, worker):
    stake_all(market, worker)
    deposit = market.quote(16, MAX, 10**13)
    job_id = run_auction(market, artist, [Bid(worker, 400, 10)], tiles=16, max_price=MAX)
    kept = 10 * (400 + 400 // 100 + 10**13)
    assert market.job(job_id)["escrow"] == kept
    assert market.balanceOf(artist) == deposit - kept  # six unassigned tiles and the price margin


def test_equal_prices_are_ranked_by_the_per_job_bidder_hash(market, artist, worker, rival):
    stake_all(market, worker, rival)
    bids = [Bid(worker, 100, 16), Bid(rival, 100, 16)]
    job_id = run_auction(market, artist, bids)
    first = min((worker, rival), key=lambda w: rank_key(job_id, w.address, 100))
    second = rival if first == worker else worker
    assert market.seat(job_id, first)[4] == ASSIGNED
    assert market.seat(job_id, second)[4] == OUTBID
    assert market.rankKey(job_id, worker, 100) == rank_key(job_id, worker.address, 100)


def test_an_outbid_bidder_keeps_its_bond(market, artist, worker, rival):
    stake_all(market, worker, rival)
    job_id = run_auction(market, artist, [Bid(worker, 100, 16), Bid(rival, 200, 16)])
    assert market.balanceOf(rival) == BOND
    assert market.seat(job_id, rival)[4] == OUTBID


def test_unrevealed_bonds_are_forfeited_to_the_artist(market, artist, worker, rival):
    stake_all(market, worker, rival)
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    honest, silent = Bid(worker, 100, 16), Bid(rival, 50, 16)
    commit(market, job_id, honest)
    commit(market, job_id, silent)
    advance(BID_WINDOW + 1)
    reveal(market, job_id, honest)
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, [worker], {"from": artist})
    kept = 16 * (100 + 1 + 10**13)
    assert tx.events["BidsSettled"]["artistRefund"] == deposit + BOND - kept
    assert (
        market.balance()
        == kept + market.balanceOf(artist) + market.balanceOf(worker) + 2 * MIN_STAKE
    )


def test_settling_with_no_reveal_expires_the_job_and_refunds_all(market, artist, stranger):
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    market.settle(job_id, [], {"from": stranger})
    assert market.job(job_id)["status"] == EXPIRED
    assert market.balanceOf(artist) == deposit


def test_settlement_waits_for_the_reveal_window_only_while_a_sealed_bid_is_unopened(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post(market, artist)
    reveal_end = market.job(job_id)["revealEnd"]
    bids = [Bid(worker, 100, 8), Bid(rival, 200, 8)]
    for b in bids:
        commit(market, job_id, b)
    with brownie.reverts(err("RevealNotOver", job_id, reveal_end)):  # bids still come in
        market.settle(job_id, [], {"from": stranger})
    advance(BID_WINDOW + 1)
    reveal(market, job_id, bids[0])
    with brownie.reverts(err("RevealNotOver", job_id, reveal_end)):  # the rival's is sealed
        market.settle(job_id, [worker], {"from": stranger})
    reveal(market, job_id, bids[1])
    # Every bid is open before the reveal window ends: nothing is left to wait for.
    assert brownie.chain.time() <= reveal_end
    market.settle(job_id, [worker, rival], {"from": stranger})
    assert market.job(job_id)["status"] == ACTIVE
    assert market.seat(job_id, worker)[4] == ASSIGNED
    assert market.seat(job_id, rival)[4] == ASSIGNED


def test_a_job_nobody_bid_on_settles_when_its_bid_window_ends(market, artist, stranger):
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    with brownie.reverts(err("RevealNotOver", job_id, market.job(job_id)["revealEnd"])):
        market.settle(job_id, [], {"from": stranger})
    advance(BID_WINDOW + 1)
    market.settle(job_id, [], {"from": stranger})
    assert market.job(job_id)["status"] == EXPIRED
    assert market.balanceOf(artist) == deposit


def test_commit_bid_reverts(market, artist, worker):
    job_id = post(market, artist)
    bid = Bid(worker, 100, 4)
    with brownie.reverts(err("WrongBidBond", job_id, BOND - 1, BOND)):
        commit(market, job_id, bid, bond=BOND - 1)
    with brownie.reverts(err("EmptyCommitment")):
        market.commitBid(job_id, b"\x00" * 32, {"from": worker, "value": BOND})
    commit(market, job_id, bid)
    with brownie.reverts(err("BidAlreadyCommitted", job_id, worker)):
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    end = market.job(job_id)["bidEnd"]
    with brownie.reverts(err("BiddingClosed", job_id, end)):
        commit(market, job_id, Bid(artist, 1, 1))
    with brownie.reverts(err("JobNotFound", 99)):
        market.commitBid(99, b"\x01" * 32, {"from": worker, "value": BOND})


def test_a_job_takes_at_most_64_sealed_bids(market, artist, deployer):
    job_id = post(market, artist)
    bidders = [accounts.add() for _ in range(65)]
    for b in bidders:
        deployer.transfer(b, BOND + 10**17)
    for b in bidders[:64]:
        commit(market, job_id, Bid(b, 1, 1))
    with brownie.reverts(err("TooManyBids", job_id, 64)):
        commit(market, job_id, Bid(bidders[64], 1, 1))


def test_reveal_bid_reverts(market, artist, worker, rival, stranger):
    stake_all(market, worker)
    job_id = post(market, artist, max_price=MAX)
    bid = Bid(worker, 100, 4)
    commit(market, job_id, bid)
    too_high = Bid(rival, MAX + 1, 4)
    commit(market, job_id, too_high)
    empty = Bid(stranger, 0, 4)
    commit(market, job_id, empty)
    job = market.job(job_id)
    with brownie.reverts(err("RevealNotOpen", job_id, job["bidEnd"])):
        reveal(market, job_id, bid)
    advance(BID_WINDOW + 1)
    with brownie.reverts(err("NoBidCommitted", job_id, artist)):
        reveal(market, job_id, Bid(artist, 100, 4))
    wrong = Bid(worker, 99, 4, bid.salt)
    with brownie.reverts(
        err("CommitmentMismatch", job_id, worker, bid.commitment(job_id), wrong.commitment(job_id))
    ):
        reveal(market, job_id, wrong)
    with brownie.reverts(err("BidAboveMaximum", job_id, MAX + 1, MAX)):
        reveal(market, job_id, too_high)
    with brownie.reverts(err("EmptyBid", job_id, 0, 4)):
        reveal(market, job_id, empty)
    reveal(market, job_id, bid)
    assert market.seat(job_id, worker)[4] == REVEALED
    with brownie.reverts(err("BidAlreadyRevealed", job_id, worker)):
        reveal(market, job_id, bid)
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("RevealClosed", job_id, job["revealEnd"])):
        reveal(market, job_id, too_high)


def test_an_unstaked_bidder_cannot_reveal(market, artist, stranger):
    job_id = post(market, artist)
    bid = Bid(stranger, 100, 4)
    commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    with brownie.reverts(err("NotStaked", stranger, 0, MIN_STAKE)):
        reveal(market, job_id, bid)


def test_settle_reverts(market, artist, worker, rival, stranger):
    stake_all(market, worker, rival)
    job_id = post(market, artist)
    bids = [Bid(worker, 100, 8), Bid(rival, 200, 8)]
    for b in bids:
        commit(market, job_id, b)
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("RankingIncomplete", job_id, 1, 2)):
        market.settle(job_id, [worker], {"from": stranger})
    with brownie.reverts(err("RankingOutOfOrder", job_id, 1)):
        market.settle(job_id, [rival, worker], {"from": stranger})
    with brownie.reverts(err("NotRankable", job_id, worker)):
        market.settle(job_id, [worker, worker], {"from": stranger})
    with brownie.reverts(err("NotRankable", job_id, stranger)):
        market.settle(job_id, [stranger, rival], {"from": stranger})
    market.settle(job_id, [worker, rival], {"from": stranger})
    with brownie.reverts(err("JobNotInStatus", job_id, ACTIVE, BIDDING)):
        market.settle(job_id, [worker, rival], {"from": stranger})
