"""The verification game, sealed bidding (docs/protocol.md, "A job's life", steps 1 to 3): each
test replays one finding of the security review against the new rules.

Finding 4, flooding the bid slots: commits need a stake and a least bond, and are not capped; the
best revealed bids are kept, so a cheap honest bid beats any flood. Finding 9, selective reveal:
one bid per account, sybils need a stake each, and a commit declares its tile count and locks their
collateral at the job's maximum price out of its free stake; a bid left unrevealed loses its bond
at settlement and, through `forfeitBid` (anyone, after the reveal window), that collateral to the
artist: more than choosing the better of two sealed prices can gain. Finding 12, the tie-break:
equal prices are ordered by a seed nobody knew when committing, not by address.
"""

import brownie
from brownie import web3
from helpers import (
    ASSIGNED,
    BID_WINDOW,
    BIDDING,
    BOND,
    CANCELLED,
    EXPIRED,
    FORFEITED,
    MAX_PRICE,
    MIN_STAKE,
    NONE,
    OUTBID,
    RECLAIMED,
    REVEAL_WINDOW,
    REVEALED,
    TILES,
    UNREVEALED,
    VERIFY_FEE,
    Bid,
    advance,
    collateral,
    commit,
    commit_lock,
    crowd,
    err,
    job_params,
    min_bid_bond,
    post,
    ranking,
    reveal,
    settle,
    stake_all,
)

from tilefarm.adapters.chain.bids import rank_key


def test_finding_4_an_unstaked_account_cannot_commit(market, artist, stranger, worker):
    job_id = post(market, artist)
    with brownie.reverts(err("NotStaked", stranger, 0, MIN_STAKE)):
        commit(market, job_id, Bid(stranger, 100, 16))
    stake_all(market, worker)
    market.requestUnstake(1, {"from": worker})  # just below the minimum is not enough
    with brownie.reverts(err("NotStaked", worker, MIN_STAKE - 1, MIN_STAKE)):
        commit(market, job_id, Bid(worker, 100, 16))


def test_finding_4_a_bid_bond_of_zero_or_under_the_minimum_is_refused(market, artist):
    minimum = min_bid_bond()
    deposit = market.quote(TILES, MAX_PRICE, VERIFY_FEE)
    for bond in (0, minimum - 1):
        with brownie.reverts(err("BidBondTooLow", bond, minimum)):
            market.postJob(job_params(bond=bond), "bafy", {"from": artist, "value": deposit})
    market.postJob(job_params(bond=minimum), "bafy", {"from": artist, "value": deposit})
    # Where the share rounds down to nothing, the bond is still at least one wei.
    small = job_params(tiles=1, max_price=999, bond=0)
    with brownie.reverts(err("BidBondTooLow", 0, 1)):
        market.postJob(small, "bafy", {"from": artist, "value": market.quote(1, 999, VERIFY_FEE)})


def test_finding_4_a_cheaper_bid_revealed_after_64_flood_bids_is_kept_and_wins(
    market, artist, worker
):
    flood = [Bid(who, MAX_PRICE - i, TILES) for i, who in enumerate(crowd(64, "flood"))]
    stake_all(market, worker, *(b.bidder for b in flood))
    job_id = post(market, artist)
    honest = Bid(worker, MAX_PRICE // 2, TILES)
    for b in [*flood, honest]:  # no cap on commits: the 65th is taken like the first
        commit(market, job_id, b)
    assert market.job(job_id)["commits"] == 65
    advance(BID_WINDOW + 1)
    for b in flood:
        reveal(market, job_id, b)
    assert market.job(job_id)["kept"] == 64
    tx = reveal(market, job_id, honest)
    worst = flood[0].bidder  # the highest price
    assert tx.events["BidOutbid"]["bidder"] == worst
    assert market.seat(job_id, worst)["state"] == OUTBID
    assert market.account(worst)["locked"] == 0
    kept = market.keptBids(job_id)
    assert len(kept) == 64 and worker in kept and worst not in kept
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, ranking(market, job_id), {"from": artist})
    assert tx.events["TilesAssigned"]["worker"] == worker
    assert tx.events["TilesAssigned"]["tileCount"] == TILES
    assert market.seat(job_id, worker)["state"] == ASSIGNED
    assert all(market.seat(job_id, b.bidder)["state"] == OUTBID for b in flood)


def test_finding_9_one_account_cannot_commit_twice_and_an_unrevealed_bond_goes_to_the_artist(
    market, artist, worker, rival
):
    stake_all(market, worker, rival)
    job_id = post(market, artist)
    deposit = market.job(job_id)["escrow"]
    dear, cheap = Bid(worker, 300, 16), Bid(worker, 100, 16)
    commit(market, job_id, dear)
    # A second, cheaper bid from the same account, to reveal only if the field is cheap: refused.
    with brownie.reverts(err("BidAlreadyCommitted", job_id, worker)):
        commit(market, job_id, cheap)
    # The fallback bid needs an account with a stake of its own; left sealed, its bond is lost.
    fallback = Bid(rival, 100, 16)
    commit(market, job_id, fallback)
    advance(BID_WINDOW + 1)
    reveal(market, job_id, dear)
    advance(REVEAL_WINDOW + 1)
    tx = market.settle(job_id, [worker], {"from": artist})
    assert tx.events["BidsSettled"]["artistRefund"] == BOND
    assert market.job(job_id)["escrow"] == deposit  # the rest is refunded when the job ends
    assert market.balanceOf(rival) == 0  # the sealed bid's bond went to the artist
    assert market.balanceOf(worker) == BOND


def test_finding_9_a_selective_reveal_forfeits_more_collateral_than_the_better_price_gains(
    market, artist, worker, rival, spare, stranger
):
    """One operator, two staked accounts, two sealed prices for every tile; after the bid window it
    sees a competitor's price and reveals only the dearer bid that still wins. The cheaper bid,
    left sealed, forfeits the collateral its commit locked: more than the dearer price earned."""
    stake_all(market, worker, rival, spare)
    job_id = post(market, artist)
    low, high = Bid(worker, MAX_PRICE // 4, TILES), Bid(rival, MAX_PRICE // 2, TILES)
    competitor = Bid(spare, 3 * MAX_PRICE // 4, TILES)
    for b in (low, high, competitor):
        commit(market, job_id, b)
    lock = commit_lock(TILES)  # the tiles at the job's maximum price
    assert [market.account(b.bidder)["locked"] for b in (low, high)] == [lock, lock]
    advance(BID_WINDOW + 1)
    reveal(market, job_id, competitor)
    reveal(market, job_id, high)  # the low bid stays sealed: the dearer one still wins
    reveal_end = market.job(job_id)["revealEnd"]
    with brownie.reverts(err("RevealNotOver", job_id, reveal_end)):
        market.forfeitBid(job_id, worker, {"from": stranger})  # it might still be revealed
    advance(REVEAL_WINDOW + 1)
    artist_before = market.balanceOf(artist)
    tx = settle(market, job_id, artist)
    assigned = tx.events["TilesAssigned"]
    assert (assigned["worker"], assigned["tileCount"], assigned["pricePerTile"]) == (
        rival,
        TILES,
        high.price,
    )
    refund = tx.events["BidsSettled"]["artistRefund"]
    assert market.balanceOf(artist) == artist_before + refund  # the sealed bid's bond included
    # Anyone forfeits the sealed bid's collateral to the artist.
    tx = market.forfeitBid(job_id, worker, {"from": stranger})
    slashed = tx.events["Slashed"]
    assert (slashed["worker"], slashed["jobId"], slashed["reason"], slashed["amount"]) == (
        worker,
        job_id,
        UNREVEALED,
        lock,
    )
    assert UNREVEALED == 5
    forfeited = tx.events["BidForfeited"]
    assert (forfeited["jobId"], forfeited["bidder"], forfeited["slashed"]) == (job_id, worker, lock)
    assert market.seat(job_id, worker)["state"] == FORFEITED == 14
    account = market.account(worker)
    assert (account["stake"], account["locked"]) == (MIN_STAKE - lock, 0)
    assert market.balanceOf(artist) == artist_before + refund + lock
    assert market.balanceOf(stranger) == 0  # forfeiting earns the caller nothing
    # What choosing the better price gained the operator, against what the choice cost it.
    gain = TILES * (high.price - low.price)
    assert gain < lock < lock + BOND
    assert market.account(rival)["locked"] == collateral(TILES, high.price)


def test_finding_9_a_commit_the_free_stake_cannot_lock_is_refused_and_a_lock_cannot_be_unstaked(
    market, artist, worker
):
    stake_all(market, worker)
    price = 10**17  # a tile locks 0.1 ETH at the maximum price; the stake is 1 ETH
    first, second = (post(market, artist, tiles=6, max_price=price) for _ in range(2))
    commit(market, first, Bid(worker, price, 6))
    locked = commit_lock(6, price)
    free = MIN_STAKE - locked
    assert market.account(worker)["locked"] == locked
    # The second bid's five tiles need more than what the first commit left free.
    with brownie.reverts(err("StakeTooLowForBid", worker, commit_lock(5, price), free)):
        commit(market, second, Bid(worker, price, 5))
    with brownie.reverts(err("UnstakeExceedsFreeStake", worker, free + 1, MIN_STAKE, locked)):
        market.requestUnstake(free + 1, {"from": worker})
    commit(market, second, Bid(worker, price // 2, 4))  # four tiles lock what is left
    assert market.account(worker)["locked"] == MIN_STAKE
    # Everything is locked now: not a wei can be unstaked while the bids are sealed.
    with brownie.reverts(err("UnstakeExceedsFreeStake", worker, 1, MIN_STAKE, MIN_STAKE)):
        market.requestUnstake(1, {"from": worker})
    assert market.job(second)["commits"] == 1


def test_finding_9_a_reveal_of_another_tile_count_than_declared_fails(
    market, artist, worker, stranger
):
    stake_all(market, worker)
    job_id = post(market, artist)
    bid = Bid(worker, 500, 8)  # hashes eight tiles, declares four: locks only four
    commit(market, job_id, bid, tiles=4)
    assert market.account(worker)["locked"] == commit_lock(4)
    assert bytes(market.seat(job_id, worker)["hash"]) == bid.sealed(job_id, tiles=4)
    advance(BID_WINDOW + 1)
    with brownie.reverts(
        err("CommitmentMismatch", job_id, worker, bid.sealed(job_id, 4), bid.sealed(job_id, 8))
    ):
        reveal(market, job_id, bid)
    four = Bid(worker, 500, 4, bid.salt)  # the declared count does not match the hash either
    with brownie.reverts(
        err("CommitmentMismatch", job_id, worker, bid.sealed(job_id, 4), four.sealed(job_id))
    ):
        reveal(market, job_id, four)
    advance(REVEAL_WINDOW + 1)
    tx = market.forfeitBid(job_id, worker, {"from": stranger})  # unrevealable, so forfeited
    assert tx.events["BidForfeited"]["slashed"] == commit_lock(4)


def test_finding_9_forfeit_bid_is_refused_early_twice_on_a_revealed_bid_and_on_a_cancelled_job(
    market, artist, worker, rival, spare, stranger
):
    stake_all(market, worker, rival, spare)
    job_id = post(market, artist)
    reveal_end = market.job(job_id)["revealEnd"]
    sealed, opened = Bid(worker, 100, 8), Bid(rival, 200, 8)
    for b in (sealed, opened):
        commit(market, job_id, b)
    with brownie.reverts(err("RevealNotOver", job_id, reveal_end)):
        market.forfeitBid(job_id, worker, {"from": stranger})  # bids still come in
    advance(BID_WINDOW + 1)
    reveal(market, job_id, opened)
    with brownie.reverts(err("RevealNotOver", job_id, reveal_end)):
        market.forfeitBid(job_id, worker, {"from": stranger})  # it may still be revealed
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("BidNotForfeitable", job_id, rival)):
        market.forfeitBid(job_id, rival, {"from": stranger})  # revealed
    with brownie.reverts(err("BidNotForfeitable", job_id, spare)):
        market.forfeitBid(job_id, spare, {"from": stranger})  # never committed
    with brownie.reverts(err("JobNotFound", job_id + 1)):
        market.forfeitBid(job_id + 1, worker, {"from": stranger})
    market.forfeitBid(job_id, worker, {"from": stranger})
    with brownie.reverts(err("BidNotForfeitable", job_id, worker)):
        market.forfeitBid(job_id, worker, {"from": stranger})  # twice
    assert market.account(worker)["stake"] == MIN_STAKE - commit_lock(8)
    settle(market, job_id, stranger)  # a forfeited bid is no kept bid: settlement goes on
    with brownie.reverts(err("BidNotForfeitable", job_id, rival)):
        market.forfeitBid(job_id, rival, {"from": stranger})  # assigned
    # A cancelled job's sealed bids are the bidders' to take back, not to forfeit.
    cancelled = post(market, artist)
    commit(market, cancelled, Bid(spare, 100, 8))
    market.cancelJob(cancelled, {"from": artist})
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    with brownie.reverts(err("BidNotForfeitable", cancelled, spare)):
        market.forfeitBid(cancelled, spare, {"from": stranger})
    assert market.seat(cancelled, spare)["state"] == NONE
    assert market.account(spare)["locked"] == commit_lock(8)


def test_finding_9_reclaiming_the_bond_of_a_cancelled_job_unlocks_the_commits_lock(
    market, artist, worker, stranger
):
    stake_all(market, worker)
    job_id = post(market, artist)
    commit(market, job_id, Bid(worker, 100, TILES))
    assert market.account(worker)["locked"] == commit_lock(TILES)
    market.cancelJob(job_id, {"from": artist})
    assert market.job(job_id)["status"] == CANCELLED
    assert market.account(worker)["locked"] == commit_lock(TILES)  # until it reclaims
    tx = market.reclaimBond(job_id, {"from": worker})
    assert tx.events["BondReclaimed"]["amount"] == BOND
    assert market.seat(job_id, worker)["state"] == RECLAIMED
    account = market.account(worker)
    assert (account["stake"], account["locked"]) == (MIN_STAKE, 0)
    assert market.balanceOf(worker) == BOND
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    with brownie.reverts(err("BidNotForfeitable", job_id, worker)):
        market.forfeitBid(job_id, worker, {"from": stranger})
    market.requestUnstake(MIN_STAKE, {"from": worker})  # the whole stake is free again


def test_finding_9_the_commit_lock_becomes_the_collateral_at_the_revealed_price_at_reveal(
    market, artist, worker
):
    stake_all(market, worker)
    first, second = post(market, artist), post(market, artist)
    bids = {first: Bid(worker, 3 * MAX_PRICE // 10, 10), second: Bid(worker, MAX_PRICE // 5, 5)}
    for job_id, bid in bids.items():
        commit(market, job_id, bid)
    locks = {job_id: commit_lock(bid.tiles) for job_id, bid in bids.items()}
    assert market.account(worker)["locked"] == locks[first] + locks[second]
    advance(BID_WINDOW + 1)
    locked = market.account(worker)["locked"]
    for job_id, bid in bids.items():
        reveal(market, job_id, bid)
        at_price = collateral(bid.tiles, bid.price)
        assert at_price < locks[job_id]
        assert market.account(worker)["locked"] == locked - locks[job_id] + at_price
        assert market.seat(job_id, worker)["state"] == REVEALED
        locked = market.account(worker)["locked"]
    assert locked == collateral(10, bids[first].price) + collateral(5, bids[second].price)


def test_finding_9_a_forfeited_bid_and_a_cancellation_never_meet_so_no_bond_is_stranded(
    market, artist, worker, stranger
):
    """A bid can be forfeited only after the reveal window and a job cancelled only during its
    bid window: a bid forfeited on a job nobody settled yet leaves the job to its settlement,
    which pays the forfeited bid's bond to the artist. Nothing the market holds is owed to
    nobody."""
    stake_all(market, worker)
    job_id = post(market, artist)
    deposit, bid_end = market.job(job_id)["escrow"], market.job(job_id)["bidEnd"]
    commit(market, job_id, Bid(worker, 100, 8))
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    tx = market.forfeitBid(job_id, worker, {"from": stranger})  # nobody settled the job yet
    lock = commit_lock(8)
    assert tx.events["BidForfeited"]["slashed"] == lock
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})
    with brownie.reverts(err("JobNotInStatus", job_id, BIDDING, CANCELLED)):
        market.reclaimBond(job_id, {"from": worker})  # no cancellation, no bond to take back
    assert market.job(job_id)["status"] == BIDDING
    tx = settle(market, job_id, stranger)  # nothing revealed: the job expires
    assert tx.events["BidsSettled"]["artistRefund"] == BOND
    assert tx.events["JobCompleted"]["artistRefund"] == deposit
    assert market.job(job_id)["status"] == EXPIRED
    assert market.balanceOf(artist) == lock + deposit + BOND
    assert market.seat(job_id, worker)["state"] == FORFEITED
    parties = (artist, worker, stranger)
    credited = sum(market.balanceOf(p) for p in parties)
    bonded = sum(market.account(p)["stake"] + market.account(p)["unstaking"] for p in parties)
    assert market.balance() == credited + bonded == deposit + BOND + MIN_STAKE
    assert market.account(worker)["locked"] == 0


def test_finding_9_an_artist_cancelling_after_the_bid_window_cannot_spare_a_sealed_bid_its_forfeit(
    market, artist, worker, rival, spare, stranger
):
    """An artist in league with a bidder that sees it lost (or would lose) cannot cancel the job
    once the bid window closed, so that the sealed bid gets its bond and lock back through
    `reclaimBond` instead of forfeiting them: not before any reveal, not after one, not after the
    reveal window. Only during the bid window, when nothing is revealed and nothing is owed, is a
    job cancelled and every sealed bid reclaimed."""
    stake_all(market, worker, rival, spare)
    job_id = post(market, artist)
    bid_end = market.job(job_id)["bidEnd"]
    sealed, opened = Bid(worker, MAX_PRICE // 4, TILES), Bid(rival, MAX_PRICE // 2, TILES)
    for b in (sealed, opened):
        commit(market, job_id, b)
    advance(BID_WINDOW + 1)
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})  # the reveals opened: none was made yet
    reveal(market, job_id, opened)
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})
    advance(REVEAL_WINDOW + 1)
    with brownie.reverts(err("CancelWindowClosed", job_id, bid_end)):
        market.cancelJob(job_id, {"from": artist})
    with brownie.reverts(err("JobNotInStatus", job_id, BIDDING, CANCELLED)):
        market.reclaimBond(job_id, {"from": worker})
    # The sealed bid is forfeited, before or after the settlement: its lock to the artist...
    lock = commit_lock(TILES)
    tx = market.forfeitBid(job_id, worker, {"from": stranger})
    assert tx.events["BidForfeited"]["slashed"] == lock
    account = market.account(worker)
    assert (account["stake"], account["locked"]) == (MIN_STAKE - lock, 0)
    # ... and its bond too, at the settlement.
    artist_before = market.balanceOf(artist)
    deposit = market.job(job_id)["escrow"]
    tx = settle(market, job_id, stranger)
    assert tx.events["BidsSettled"]["artistRefund"] == BOND
    assert market.balanceOf(artist) == artist_before + BOND
    assert market.job(job_id)["escrow"] == deposit  # the rest is refunded when the job ends
    assert market.balanceOf(worker) == 0
    # A job cancelled in the last minute of its bid window: every sealed bid is reclaimed whole.
    other = post(market, artist)
    commit(market, other, Bid(spare, 100, 8))
    advance(BID_WINDOW - 60)
    market.cancelJob(other, {"from": artist})
    market.reclaimBond(other, {"from": spare})
    account = market.account(spare)
    assert (account["stake"], account["locked"]) == (MIN_STAKE, 0)
    assert market.balanceOf(spare) == BOND
    advance(REVEAL_WINDOW + 120)
    with brownie.reverts(err("BidNotForfeitable", other, spare)):
        market.forfeitBid(other, spare, {"from": stranger})


def test_finding_9_unstaked_sybils_cannot_commit(market, artist):
    job_id = post(market, artist)
    for sybil in crowd(3, "sybil"):  # funded, but not staked
        with brownie.reverts(err("NotStaked", sybil, 0, MIN_STAKE)):
            commit(market, job_id, Bid(sybil, 1, 16))
    assert market.job(job_id)["commits"] == 0


def test_finding_12_equal_prices_are_ordered_by_the_tie_seed_fixed_at_the_first_reveal(
    market, artist, worker, verifier, rival, spare
):
    bidders = [worker, verifier, rival, spare]
    stake_all(market, *bidders)
    jobs = [post(market, artist) for _ in range(4)]
    bids = {(j, b): Bid(b, 500, 4) for j in jobs for b in bidders}
    for (job_id, _), bid in bids.items():
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    seeds = []
    for job_id in jobs:
        first = reveal(market, job_id, bids[(job_id, bidders[0])])
        parent = int.from_bytes(web3.eth.get_block(first.block_number - 1)["hash"], "big")
        seed = (parent & (2**64 - 1)) | 1  # the parent's hash: unknown when the bids were sealed
        assert market.job(job_id)["tieSeed"] == seed
        for b in bidders[1:]:
            reveal(market, job_id, bids[(job_id, b)])
        assert market.job(job_id)["tieSeed"] == seed  # later reveals do not move it
        seeds.append(seed)
    by_address = sorted((b.address for b in bidders), key=lambda a: int(a, 16))
    orders = []
    for job_id, seed in zip(jobs, seeds, strict=True):
        order = sorted((b.address for b in bidders), key=lambda a: rank_key(seed, a, 500))
        if order != by_address:
            with brownie.reverts(err("RankingOutOfOrder", job_id, _first_break(order, by_address))):
                market.settle(job_id, by_address, {"from": artist})
        tx = market.settle(job_id, order, {"from": artist})
        assigned = tx.events["TilesAssigned"]
        assert [e["worker"] for e in assigned] == order
        assert [e["firstTile"] for e in assigned] == [0, 4, 8, 12]
        orders.append(tuple(order))
    # Four seeds, four draws of the order: the same order every time would mean no seed at all.
    assert len(set(seeds)) == 4 and len(set(orders)) > 1


def _first_break(order, listed):
    """Where `settle` finds `listed` out of the true `order`: the first listed bidder ranked
    below the one before it."""
    rank = {a: i for i, a in enumerate(order)}
    return next(i for i in range(1, len(listed)) if rank[listed[i]] < rank[listed[i - 1]])
