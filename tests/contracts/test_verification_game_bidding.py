"""The verification game, sealed bidding (docs/protocol.md, "A job's life", steps 1 to 3): each
test replays one finding of the security review against the new rules.

Finding 4, flooding the bid slots: commits need a stake and a least bond, and are not capped; the
best revealed bids are kept, so a cheap honest bid beats any flood. Finding 9, selective reveal:
one bid per account, an unrevealed bond is lost, and sybils need a stake each. Finding 12, the
tie-break: equal prices are ordered by a seed nobody knew when committing, not by address.
"""

import brownie
from brownie import web3
from helpers import (
    ASSIGNED,
    BID_WINDOW,
    BOND,
    MAX_PRICE,
    MIN_STAKE,
    OUTBID,
    REVEAL_WINDOW,
    TILES,
    VERIFY_FEE,
    Bid,
    advance,
    commit,
    crowd,
    err,
    job_params,
    min_bid_bond,
    post,
    ranking,
    reveal,
    stake_all,
)

from tilefarm.chain.bids import rank_key


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
    kept = market.job(job_id)["escrow"]
    assert tx.events["BidsSettled"]["artistRefund"] == deposit + BOND - kept
    assert market.balanceOf(rival) == 0  # the sealed bid's bond went to the artist
    assert market.balanceOf(worker) == BOND


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
