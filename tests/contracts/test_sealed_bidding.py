"""Sealed bids: staked bidders commit in the bid window, reveal after it (locking collateral), and
settlement assigns tiles lowest price first."""

import brownie
from helpers import (
    ACTIVE,
    ASSIGNED,
    BID_WINDOW,
    BIDDING,
    BOND,
    EXPIRED,
    MAX_PRICE,
    MIN_STAKE,
    OUTBID,
    REVEAL_WINDOW,
    REVEALED,
    VERIFY_FEE,
    Bid,
    advance,
    collateral,
    commit,
    err,
    post,
    ranking,
    reveal,
    run_auction,
    stake_all,
)

from tilefarm.chain.bids import rank_key


def test_tiles_go_to_the_lowest_prices_first_each_at_its_own_price(
    market, artist, worker, rival, spare
):
    stake_all(market, worker, rival, spare)
    bids = [Bid(worker, 300, 8), Bid(rival, 100, 6), Bid(spare, 200, 6)]
    job_id = post(market, artist, tiles=16)
    for b in bids:
        commit(market, job_id, b)
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, ranking(market, job_id), {"from": artist})
    seats = {b.bidder: market.seat(job_id, b.bidder) for b in bids}
    assert [int(x) for x in seats[rival][1:5]] == [100, 0, 6, ASSIGNED]
    assert [int(x) for x in seats[spare][1:5]] == [200, 6, 6, ASSIGNED]
    # partly filled: only 4 tiles were left
    assert [int(x) for x in seats[worker][1:5]] == [300, 12, 4, ASSIGNED]
    assert [e["worker"] for e in tx.events["TilesAssigned"]] == [rival, spare, worker]
    job = market.job(job_id)
    assert job["status"] == ACTIVE and job["openSeats"] == 3
    # the collateral of the tiles the worker did not get is unlocked
    assert market.account(worker)["locked"] == collateral(4, 300)


def test_escrow_above_the_winning_prices_returns_to_the_artist(market, artist, worker):
    stake_all(market, worker)
    deposit = market.quote(16, MAX_PRICE, VERIFY_FEE)
    job_id = run_auction(market, artist, [Bid(worker, 400, 10)], tiles=16)
    kept = 10 * (400 + 400 // 100 + VERIFY_FEE)
    assert market.job(job_id)["escrow"] == kept
    assert market.balanceOf(artist) == deposit - kept  # six unassigned tiles and the price margin


def test_a_reveal_locks_collateral_and_is_cut_to_the_tiles_the_stake_can_back(
    market, artist, worker
):
    stake_all(market, worker)
    price = 10**17  # 16 tiles would lock 1.6 ETH of collateral; the stake is 1 ETH
    job_id = post(market, artist, tiles=16, max_price=price)
    bid = Bid(worker, price, 16)
    commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    tx = reveal(market, job_id, bid)
    assert tx.events["BidRevealed"]["tileCount"] == 10
    assert market.seat(job_id, worker)["tileCount"] == 10
    assert market.account(worker)["locked"] == collateral(10, price)
    assert market.balanceOf(worker) == BOND  # the reveal returns the bond


def test_a_bid_the_free_stake_cannot_back_at_all_is_outbid_at_once(market, artist, worker):
    stake_all(market, worker)
    price = 10**17
    first, second = (post(market, artist, tiles=10, max_price=price) for _ in range(2))
    bids = {first: Bid(worker, price, 10), second: Bid(worker, price, 10)}
    for job_id, bid in bids.items():
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    reveal(market, first, bids[first])  # locks the whole stake
    tx = reveal(market, second, bids[second])
    assert tx.events["BidRevealed"]["tileCount"] == 0
    assert "BidOutbid" in tx.events
    assert market.seat(second, worker)["state"] == OUTBID
    assert len(market.keptBids(second)) == 0
    assert market.account(worker)["locked"] == MIN_STAKE


def test_equal_prices_are_ranked_by_the_tie_seed_hash(market, artist, worker, rival):
    stake_all(market, worker, rival)
    bids = [Bid(worker, 100, 16), Bid(rival, 100, 16)]
    job_id = run_auction(market, artist, bids)
    seed = market.job(job_id)["tieSeed"]
    assert seed != 0
    first = min((worker, rival), key=lambda w: rank_key(seed, w.address, 100))
    second = rival if first == worker else worker
    assert market.seat(job_id, first)["state"] == ASSIGNED
    assert market.seat(job_id, second)["state"] == OUTBID


def test_an_outbid_bidder_keeps_its_bond_and_its_collateral_is_unlocked(
    market, artist, worker, rival
):
    stake_all(market, worker, rival)
    job_id = run_auction(market, artist, [Bid(worker, 100, 16), Bid(rival, 200, 16)])
    assert market.balanceOf(rival) == BOND
    assert market.seat(job_id, rival)["state"] == OUTBID
    assert market.account(rival)["locked"] == 0


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
    kept = 16 * (100 + 1 + VERIFY_FEE)
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
    assert market.seat(job_id, worker)["state"] == ASSIGNED
    assert market.seat(job_id, rival)["state"] == ASSIGNED


def test_a_job_nobody_bid_on_settles_when_its_bid_window_ends(market, artist, stranger):
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    with brownie.reverts(err("RevealNotOver", job_id, market.job(job_id)["revealEnd"])):
        market.settle(job_id, [], {"from": stranger})
    advance(BID_WINDOW + 1)
    market.settle(job_id, [], {"from": stranger})
    assert market.job(job_id)["status"] == EXPIRED
    assert market.balanceOf(artist) == deposit


def test_commit_bid_reverts(market, artist, worker, stranger):
    job_id = post(market, artist)
    bid = Bid(worker, 100, 4)
    with brownie.reverts(err("WrongBidBond", job_id, BOND - 1, BOND)):
        commit(market, job_id, bid, bond=BOND - 1)
    with brownie.reverts(err("EmptyCommitment")):
        market.commitBid(job_id, b"\x00" * 32, {"from": worker, "value": BOND})
    with brownie.reverts(err("NotStaked", worker, 0, MIN_STAKE)):
        commit(market, job_id, bid)
    stake_all(market, worker)
    commit(market, job_id, bid)
    with brownie.reverts(err("BidAlreadyCommitted", job_id, worker)):
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    end = market.job(job_id)["bidEnd"]
    with brownie.reverts(err("BiddingClosed", job_id, end)):
        commit(market, job_id, Bid(stranger, 1, 1))
    with brownie.reverts(err("JobNotFound", 99)):
        market.commitBid(99, b"\x01" * 32, {"from": worker, "value": BOND})


def test_reveal_bid_reverts(market, artist, worker, rival, stranger):
    stake_all(market, worker, rival, stranger)
    job_id = post(market, artist)
    bid = Bid(worker, 100, 4)
    commit(market, job_id, bid)
    too_high = Bid(rival, MAX_PRICE + 1, 4)
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
    with brownie.reverts(err("BidAboveMaximum", job_id, MAX_PRICE + 1, MAX_PRICE)):
        reveal(market, job_id, too_high)
    with brownie.reverts(err("EmptyBid", job_id, 0, 4)):
        reveal(market, job_id, empty)
    reveal(market, job_id, bid)
    assert market.seat(job_id, worker)["state"] == REVEALED
    with brownie.reverts(err("BidAlreadyRevealed", job_id, worker)):
        reveal(market, job_id, bid)
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("RevealClosed", job_id, job["revealEnd"])):
        reveal(market, job_id, too_high)


def test_a_bidder_that_unstaked_after_committing_cannot_reveal(market, artist, stranger):
    stake_all(market, stranger)
    job_id = post(market, artist)
    bid = Bid(stranger, 100, 4)
    commit(market, job_id, bid)
    market.requestUnstake(1, {"from": stranger})
    advance(BID_WINDOW + 1)
    with brownie.reverts(err("NotStaked", stranger, MIN_STAKE - 1, MIN_STAKE)):
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
