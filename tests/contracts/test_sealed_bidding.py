"""Sealed bids: staked bidders commit in the bid window (declaring their tile count and locking its
collateral at the job's maximum price), reveal after it (the lock becomes the collateral at their
price), and settlement assigns tiles lowest price first. Finding 9's attacks on unrevealed bids are
in test_verification_game_bidding.py."""

import brownie
from helpers import (
    ACTIVE,
    ASSIGNED,
    BID_WINDOW,
    BIDDING,
    BOND,
    EXPIRED,
    LATE,
    LATE_BPS,
    MAX_PRICE,
    MIN_STAKE,
    OUTBID,
    RENDER_WINDOW,
    REVEAL_WINDOW,
    REVEALED,
    TILES,
    VERIFY_FEE,
    Bid,
    advance,
    collateral,
    commit,
    commit_lock,
    commit_results,
    err,
    post,
    ranking,
    reveal,
    run_auction,
    stake_all,
)

from tilefarm.adapters.chain.bids import rank_key


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


def test_escrow_above_the_winning_prices_returns_to_the_artist_when_the_job_ends(
    market, artist, worker
):
    """Until the job ends, what no seat is owed stays in its reserve (it may pay for a later
    round of the tiles a seat fails); the end refunds it."""
    stake_all(market, worker)
    deposit = market.quote(16, MAX_PRICE, VERIFY_FEE)
    job_id = run_auction(market, artist, [Bid(worker, 400, 10)], tiles=16)
    kept = 10 * (400 + 400 // 100 + VERIFY_FEE)
    assert market.job(job_id)["escrow"] == deposit
    assert market.reofferOf(job_id)["reserve"] == deposit - kept
    assert market.balanceOf(artist) == 0
    commit_results(market, job_id, worker)
    tx = market.acceptResults(job_id, worker, {"from": artist})
    # Six unassigned tiles (this job never re-offers) and the price margin.
    assert tx.events["JobCompleted"]["artistRefund"] == deposit - kept + 10 * VERIFY_FEE
    assert market.balanceOf(artist) == deposit - kept + 10 * VERIFY_FEE


def test_a_commit_the_free_stake_cannot_lock_at_the_maximum_price_is_refused(
    market, artist, worker
):
    stake_all(market, worker)
    price = 10**17  # 16 tiles would lock 1.6 ETH of collateral; the stake is 1 ETH
    job_id = post(market, artist, tiles=16, max_price=price)
    with brownie.reverts(err("StakeTooLowForBid", worker, commit_lock(16, price), MIN_STAKE)):
        commit(market, job_id, Bid(worker, price, 16))
    commit(market, job_id, Bid(worker, price, 10))  # ten tiles lock exactly the stake
    assert market.account(worker)["locked"] == commit_lock(10, price) == MIN_STAKE


def late_slash_between_commit_and_reveal(market, artist, worker, bid, **job):
    """`worker` commits `bid` to a fresh job (`job`: its parameters), then misses the render
    deadline of a one-tile seat it won before, and is slashed `lateSlashBps` of its stake (locked
    stake included) before it reveals: the one way a reveal finds less free stake than its commit
    locked. Returns (job id, the slash)."""
    late = run_auction(market, artist, [Bid(worker, 400, 1)], tiles=1)
    advance(RENDER_WINDOW - 200)
    job_id = post(market, artist, **job)
    commit(market, job_id, bid)
    advance(201)  # the one-tile seat's render deadline passed; the bid window is still open
    tx = market.claimLate(late, worker, {"from": artist})
    slashed = tx.events["Slashed"]["amount"]
    assert tx.events["Slashed"]["reason"] == LATE
    advance(BID_WINDOW)
    return job_id, slashed


def test_a_reveal_is_cut_to_the_tiles_the_stake_left_by_a_slash_can_back(market, artist, worker):
    stake = 2 * MIN_STAKE
    stake_all(market, worker, amount=stake)
    price = 19 * 10**16  # ten tiles lock 1.9 ETH of the 2 ETH stake
    bid = Bid(worker, price, 10)
    job_id, slashed = late_slash_between_commit_and_reveal(
        market, artist, worker, bid, tiles=10, max_price=price
    )
    assert slashed == stake * LATE_BPS // 10_000
    left = stake - slashed  # 1.8 ETH: below the commit's lock, which the slash capped
    assert market.account(worker)["stake"] == market.account(worker)["locked"] == left
    tx = reveal(market, job_id, bid)
    backed = left // collateral(1, price)
    assert backed == 9
    assert tx.events["BidRevealed"]["tileCount"] == backed
    assert market.seat(job_id, worker)["tileCount"] == backed
    assert market.account(worker)["locked"] == collateral(backed, price)
    assert market.balanceOf(worker) == 2 * BOND  # each of its two reveals returned its bond


def test_a_bid_the_free_stake_cannot_back_at_all_is_outbid_at_once(market, artist, worker):
    stake = 16 * MIN_STAKE // 10
    stake_all(market, worker, amount=stake)
    price = 15 * 10**17  # one tile locks 1.5 ETH of the 1.6 ETH stake
    bid = Bid(worker, price, 1)
    job_id, slashed = late_slash_between_commit_and_reveal(
        market, artist, worker, bid, tiles=1, max_price=price
    )
    assert stake - slashed < collateral(1, price)  # still eligible, but short of one tile
    tx = reveal(market, job_id, bid)
    assert tx.events["BidRevealed"]["tileCount"] == 0
    assert "BidOutbid" in tx.events
    assert market.seat(job_id, worker)["state"] == OUTBID
    assert len(market.keptBids(job_id)) == 0
    assert market.account(worker)["locked"] == 0


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
    assert tx.events["BidsSettled"]["artistRefund"] == BOND
    assert market.balanceOf(artist) == BOND
    assert market.balance() == deposit + BOND + market.balanceOf(worker) + 2 * MIN_STAKE
    # The silent bid's commit lock stays locked until someone forfeits it.
    assert market.account(rival)["locked"] == commit_lock(16)


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
        market.commitBid(job_id, b"\x00" * 32, 4, {"from": worker, "value": BOND})
    for declared in (0, TILES + 1):
        with brownie.reverts(err("BidTilesOutOfRange", job_id, declared, TILES)):
            commit(market, job_id, bid, tiles=declared)
    with brownie.reverts(err("NotStaked", worker, 0, MIN_STAKE)):
        commit(market, job_id, bid)
    stake_all(market, worker)
    tx = commit(market, job_id, bid)
    event = tx.events["BidCommitted"]
    assert (event["bidder"], bytes(event["commitment"]), event["tileCount"]) == (
        worker,
        bid.commitment(job_id),
        4,
    )
    assert bytes(market.seat(job_id, worker)["hash"]) == bid.sealed(job_id)
    assert market.account(worker)["locked"] == commit_lock(4)
    with brownie.reverts(err("BidAlreadyCommitted", job_id, worker)):
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    end = market.job(job_id)["bidEnd"]
    with brownie.reverts(err("BiddingClosed", job_id, end)):
        commit(market, job_id, Bid(stranger, 1, 1))
    with brownie.reverts(err("JobNotFound", 99)):
        market.commitBid(99, b"\x01" * 32, 1, {"from": worker, "value": BOND})


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
        err("CommitmentMismatch", job_id, worker, bid.sealed(job_id), wrong.sealed(job_id))
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


def test_a_bidder_that_unstaked_after_committing_still_reveals_the_bid_its_lock_backs(
    market, artist, worker, stranger
):
    """Eligibility is checked at the commit, whose lock then backs the bid: a bidder that takes
    every free wei out of its stake meanwhile (and so leaves the pool) still reveals, and wins."""
    stake_all(market, worker)
    job_id = post(market, artist)
    bid = Bid(worker, 100, 4)
    commit(market, job_id, bid)
    lock = commit_lock(4)
    market.requestUnstake(MIN_STAKE - lock, {"from": worker})  # all it may take out
    account = market.account(worker)
    assert (account["stake"], account["locked"], account["poolIndex"]) == (lock, lock, 0)
    assert lock < MIN_STAKE  # no longer eligible: it could not commit another bid
    with brownie.reverts(err("NotStaked", worker, lock, MIN_STAKE)):
        commit(market, post(market, artist), Bid(worker, 100, 4))
    advance(BID_WINDOW + 1)
    tx = reveal(market, job_id, bid)
    assert tx.events["BidRevealed"]["tileCount"] == 4  # the lock backs every tile
    assert market.seat(job_id, worker)["state"] == REVEALED
    assert market.account(worker)["locked"] == collateral(4, 100)
    assert market.balanceOf(worker) == BOND
    tx = market.settle(job_id, [worker], {"from": stranger})  # every sealed bid is open
    assert tx.events["TilesAssigned"]["tileCount"] == 4
    assert market.seat(job_id, worker)["state"] == ASSIGNED


def test_a_bidder_slashed_below_the_minimum_stake_after_committing_reveals_a_bid_cut_to_its_stake(
    market, artist, worker, stranger
):
    """A slash elsewhere between commit and reveal takes the bidder below the minimum stake and
    into its commit's lock: it still reveals (and is not forfeited for a reveal it could not
    make), its bid cut to the tiles its remaining stake backs."""
    stake_all(market, worker)  # exactly the minimum
    price = 95 * 10**15  # ten tiles lock 0.95 ETH of the 1 ETH stake
    bid = Bid(worker, price, 10)
    job_id, slashed = late_slash_between_commit_and_reveal(
        market, artist, worker, bid, tiles=10, max_price=price
    )
    assert slashed == MIN_STAKE * LATE_BPS // 10_000
    left = MIN_STAKE - slashed  # 0.9 ETH: below the minimum stake and below the commit's lock
    account = market.account(worker)
    assert (account["stake"], account["locked"], account["poolIndex"]) == (left, left, 0)
    assert left < MIN_STAKE and left < commit_lock(10, price)
    tx = reveal(market, job_id, bid)
    backed = left // collateral(1, price)
    assert backed == 9
    revealed = tx.events["BidRevealed"]
    assert (revealed["bidder"], revealed["pricePerTile"], revealed["tileCount"]) == (
        worker,
        price,
        backed,
    )
    assert market.seat(job_id, worker)["state"] == REVEALED
    assert market.account(worker)["locked"] == collateral(backed, price)
    assert market.balanceOf(worker) == 2 * BOND  # the bond of each of its two reveals
    assert market.keptBids(job_id) == [worker]
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("BidNotForfeitable", job_id, worker)):
        market.forfeitBid(job_id, worker, {"from": stranger})  # revealed: nothing to forfeit
    tx = market.settle(job_id, [worker], {"from": stranger})
    assigned = tx.events["TilesAssigned"]
    assert (assigned["worker"], assigned["tileCount"], assigned["pricePerTile"]) == (
        worker,
        backed,
        price,
    )
    assert market.seat(job_id, worker)["state"] == ASSIGNED
    assert market.account(worker)["stake"] == left  # slashed once only


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
