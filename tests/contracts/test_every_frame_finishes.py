"""Every frame finishes: tiles a round did not sell, and the tiles of a worker that missed its
deadline or whose results were rejected, go back on the market in a new round (its own job id),
funded from the job's reserve, until they are sold, the artist's rounds or deadline run out, or a
round sells nothing at an unchanged price; only then is the rest refunded. A worker that failed
the job may not bid in it again, and no tile is paid twice."""

import brownie
from brownie import chain
from helpers import (
    ACTIVE,
    BID_WINDOW,
    BIDDING,
    COMPLETED,
    EXPIRED,
    MAX_PRICE,
    MIN_STAKE,
    NONE,
    OUTBID,
    REJECTED,
    RENDER_WINDOW,
    REVEAL_WINDOW,
    TIMED_OUT,
    VERIFY_FEE,
    VERIFY_WINDOW,
    Bid,
    advance,
    attest,
    commit,
    commit_results,
    draw_bounty,
    err,
    job_params,
    post,
    protocol_fee,
    ranking,
    reveal,
    stake_all,
)

from tilefarm.adapters.chain.events import unpack_ranges

ROUNDS_OPEN = 100_000  # seconds from posting to the final deadline


def post_with_rounds(market, artist, rounds=2, **kw):
    return post(market, artist, rounds=rounds, final_deadline=chain.time() + ROUNDS_OPEN, **kw)


def quote_per_tile(max_price, verify_fee=VERIFY_FEE):
    """What one tile holds in escrow at `max_price`: price, protocol fee and verifier fee."""
    return max_price + protocol_fee(1, max_price) + verify_fee


def auction(market, job_id, bids, sender):
    """Commits and reveals `bids` in job (or round) `job_id` and settles it; returns the tx."""
    for b in bids:
        commit(market, job_id, b, bond=market.job(job_id)["bidBond"])
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    return market.settle(job_id, ranking(market, job_id), {"from": sender})


def accept(market, job_id, worker, artist):
    """The worker commits its results and the artist accepts them: paid at once."""
    commit_results(market, job_id, worker)
    return market.acceptResults(job_id, worker, {"from": artist})


def test_tiles_nobody_bought_go_back_on_the_market_and_the_job_ends_when_they_are_paid(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post_with_rounds(market, artist)
    deposit = market.job(job_id)["escrow"]
    tx = auction(market, job_id, [Bid(worker, 400, 10)], artist)
    returned = tx.events["TilesReturned"]
    assert (returned["jobId"], returned["roundId"], returned["firstTile"]) == (job_id, job_id, 10)
    assert (returned["tileCount"], returned["cause"]) == (6, NONE)
    assert unpack_ranges(market.unsoldTiles(job_id)) == [(10, 6)]

    opened = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]
    round_id = opened["roundId"]
    assert (opened["jobId"], opened["round"], opened["tiles"]) == (job_id, 1, 6)
    assert unpack_ranges(opened["ranges"]) == [(10, 6)]
    assert (opened["opener"], opened["bounty"]) == (stranger, draw_bounty(6))
    assert market.balanceOf(stranger) == draw_bounty(6)
    assert market.unsoldTiles(job_id) == []
    r = market.job(round_id)
    assert (r["root"], r["round"], r["status"], r["tileCount"]) == (job_id, 1, BIDDING, 6)
    assert r["escrow"] == 0  # the posted job holds every round's money

    tx = auction(market, round_id, [Bid(rival, 700, 6)], stranger)
    assigned = tx.events["TilesAssigned"]
    assert (assigned["worker"], assigned["firstTile"], assigned["tileCount"]) == (rival, 10, 6)
    accept(market, job_id, worker, artist)
    assert market.job(job_id)["status"] == ACTIVE  # its round is still open
    tx = accept(market, round_id, rival, artist)
    assert market.job(round_id)["status"] == COMPLETED
    assert market.job(job_id)["status"] == COMPLETED
    fees = protocol_fee(10, 400) + protocol_fee(6, 700)
    refund = deposit - draw_bounty(6) - 10 * 400 - 6 * 700 - fees
    assert tx.events["JobCompleted"]["jobId"] == job_id
    assert tx.events["JobCompleted"]["artistRefund"] == refund
    assert market.balanceOf(artist) == refund
    assert market.balanceOf(rival) == 6 * 700 + market.job(round_id)["bidBond"]


def test_a_late_workers_tiles_are_sold_again_and_it_may_not_bid_for_them(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post_with_rounds(market, artist)
    auction(market, job_id, [Bid(worker, 400, 16)], artist)
    reserve = market.reofferOf(job_id)["reserve"]
    advance(RENDER_WINDOW + 1)
    tx = market.claimLate(job_id, worker, {"from": stranger})
    slashed = tx.events["WorkerTimedOut"]["slashed"]
    assert tx.events["TilesReturned"]["cause"] == TIMED_OUT
    assert market.barred(job_id, worker)
    # The slash pays for the tiles' next round first; the seat's escrow is free again.
    returned = 16 * (400 + protocol_fee(1, 400)) + 16 * VERIFY_FEE - draw_bounty(16)
    assert market.reofferOf(job_id)["reserve"] == reserve + slashed + returned
    assert market.balanceOf(artist) == 0

    round_id = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]["roundId"]
    comeback = Bid(worker, 300, 16)
    with brownie.reverts(err("BarredFromJob", job_id, worker)):
        commit(market, round_id, comeback, bond=market.job(round_id)["bidBond"])
    auction(market, round_id, [Bid(rival, 500, 16)], stranger)
    assert market.seat(round_id, rival)["tileCount"] == 16
    accept(market, round_id, rival, artist)
    assert market.job(job_id)["status"] == COMPLETED


def test_rejected_tiles_are_sold_again_and_the_cheater_may_not_bid_for_them(
    market, artist, worker, verifier, rival, stranger
):
    stake_all(market, worker, verifier)
    job_id = post_with_rounds(market, artist, tiles=4)
    auction(market, job_id, [Bid(worker, 400, 4)], artist)
    commit_results(market, job_id, worker)
    attest(market, job_id, worker, False, stranger)
    advance(VERIFY_WINDOW + 1)  # no appeal
    tx = market.finalizeRejection(job_id, worker, {"from": stranger})
    assert tx.events["TilesReturned"]["cause"] == REJECTED
    assert market.barred(job_id, worker)
    assert unpack_ranges(market.unsoldTiles(job_id)) == [(0, 4)]
    stake_all(market, rival)
    round_id = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]["roundId"]
    with brownie.reverts(err("BarredFromJob", job_id, worker)):
        commit(market, round_id, Bid(worker, 1, 4), bond=market.job(round_id)["bidBond"])
    auction(market, round_id, [Bid(rival, 450, 4)], stranger)
    accept(market, round_id, rival, artist)
    assert market.job(job_id)["status"] == COMPLETED


def test_a_round_that_sells_nothing_at_an_unchanged_price_ends_reoffering_and_refunds(
    market, artist, stranger
):
    job_id = post_with_rounds(market, artist)
    deposit = market.job(job_id)["escrow"]
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    tx = market.settle(job_id, [], {"from": stranger})  # anyone ends a round without bids
    assert tx.events["ReofferingEnded"]["tilesLeft"] == 16
    assert tx.events["JobCompleted"]["artistRefund"] == deposit
    assert market.job(job_id)["status"] == EXPIRED
    assert market.balanceOf(artist) == deposit


def test_an_artist_who_raises_the_price_keeps_its_unsold_tiles_on_the_market(
    market, artist, rival, stranger
):
    """The only worker's price is above the maximum: nobody bids in the first round. The artist
    raises the maximum while it runs; the tiles then go round again at the new price."""
    stake_all(market, rival)
    job_id = post_with_rounds(market, artist, tiles=4)
    raised = 2 * MAX_PRICE
    market.topUp(job_id, raised, {"from": artist, "value": 0})
    advance(BID_WINDOW + REVEAL_WINDOW + 2)
    tx = market.settle(job_id, [], {"from": stranger})
    assert "ReofferingEnded" not in tx.events
    assert market.job(job_id)["status"] == ACTIVE
    reserve = market.reofferOf(job_id)["reserve"]
    needed = 4 * quote_per_tile(raised) + draw_bounty(4)
    with brownie.reverts(err("ReserveTooLow", job_id, needed, reserve)):
        market.reoffer(job_id, {"from": stranger})
    market.topUp(job_id, raised, {"from": artist, "value": needed - reserve})
    opened = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]
    assert opened["maxPricePerTile"] == raised
    auction(market, opened["roundId"], [Bid(rival, MAX_PRICE * 3 // 2, 4)], stranger)
    accept(market, opened["roundId"], rival, artist)
    assert market.job(job_id)["status"] == COMPLETED
    bond = market.job(opened["roundId"])["bidBond"]
    assert market.balanceOf(rival) == 4 * MAX_PRICE * 3 // 2 + bond


def test_a_round_opens_only_once_the_last_one_settled_and_only_for_a_posted_job(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post_with_rounds(market, artist, rounds=1)
    with brownie.reverts(err("JobNotInStatus", job_id, BIDDING, ACTIVE)):
        market.reoffer(job_id, {"from": stranger})
    auction(market, job_id, [Bid(worker, 400, 12)], artist)
    round_id = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]["roundId"]
    with brownie.reverts(err("NotAPostedJob", round_id, job_id)):
        market.reoffer(round_id, {"from": stranger})
    with brownie.reverts(err("NotAPostedJob", round_id, job_id)):
        market.cancelJob(round_id, {"from": artist})
    with brownie.reverts(err("NotAPostedJob", round_id, job_id)):
        market.topUp(round_id, MAX_PRICE, {"from": artist})
    with brownie.reverts(err("RoundStillBidding", job_id, round_id)):
        market.reoffer(job_id, {"from": stranger})
    auction(market, round_id, [Bid(rival, 400, 4)], stranger)
    with brownie.reverts(err("NothingToReoffer", job_id)):
        market.reoffer(job_id, {"from": stranger})
    accept(market, round_id, rival, artist)
    advance(RENDER_WINDOW + 1)
    market.claimLate(job_id, worker, {"from": stranger})  # 12 tiles back, no round left
    # Nothing is open and nothing may be re-offered: the job ended, 12 tiles never delivered.
    assert market.job(job_id)["status"] == COMPLETED
    assert unpack_ranges(market.unsoldTiles(job_id)) == [(0, 12)]
    with brownie.reverts(err("JobNotInStatus", job_id, COMPLETED, ACTIVE)):
        market.reoffer(job_id, {"from": stranger})


def test_reoffering_ends_at_the_artists_word_or_at_its_deadline(market, artist, worker, stranger):
    stake_all(market, worker)
    job_id = post_with_rounds(market, artist)
    auction(market, job_id, [Bid(worker, 400, 10)], artist)
    accept(market, job_id, worker, artist)
    assert market.job(job_id)["status"] == ACTIVE  # six unsold tiles wait for a round
    deadline = market.reofferOf(job_id)["finalDeadline"]
    with brownie.reverts(err("ReofferingNotOver", job_id, deadline)):
        market.endReoffering(job_id, {"from": stranger})
    with brownie.reverts(err("MaxPriceLowered", job_id, MAX_PRICE, MAX_PRICE - 1)):
        market.topUp(job_id, MAX_PRICE - 1, {"from": artist})
    with brownie.reverts(err("NotArtist", job_id, stranger, artist)):
        market.topUp(job_id, MAX_PRICE, {"from": stranger})
    advance(ROUNDS_OPEN)
    with brownie.reverts(err("ReofferingOver", job_id)):
        market.reoffer(job_id, {"from": stranger})
    tx = market.endReoffering(job_id, {"from": stranger})
    assert tx.events["ReofferingEnded"]["tilesLeft"] == 6
    assert market.job(job_id)["status"] == COMPLETED
    # The artist may end it at any time.
    other = post_with_rounds(market, artist)
    auction(market, other, [Bid(worker, 400, 10)], artist)
    accept(market, other, worker, artist)
    market.endReoffering(other, {"from": artist})
    assert market.job(other)["status"] == COMPLETED


def test_impossible_rounds_are_refused_at_posting(market, artist):
    now = chain.time()
    for rounds, deadline in ((9, now + ROUNDS_OPEN), (1, 0), (0, now + ROUNDS_OPEN), (1, now + 60)):
        params = job_params(rounds=rounds, final_deadline=deadline)
        deposit = market.quote(params[0], params[2], params[3])
        with brownie.reverts(err("InvalidRounds", rounds, deadline)):
            market.postJob(params, "bafy-manifest", {"from": artist, "value": deposit})


def test_a_round_stakes_its_bidders_like_the_first(market, artist, worker, rival, stranger):
    """A round's bids lock collateral at the round's maximum and its bond is the job's."""
    stake_all(market, worker, rival)
    job_id = post_with_rounds(market, artist)
    auction(market, job_id, [Bid(worker, 400, 10)], artist)
    round_id = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]["roundId"]
    r = market.job(round_id)
    assert r["bidBond"] == market.job(job_id)["bidBond"]
    assert r["maxPricePerTile"] == MAX_PRICE
    commit(market, round_id, Bid(rival, 400, 6), bond=r["bidBond"])
    assert market.account(rival)["locked"] == 6 * MAX_PRICE
    assert market.account(rival)["stake"] == MIN_STAKE


def test_a_bid_committed_before_its_bidder_failed_the_job_wins_nothing(
    market, artist, worker, rival, stranger
):
    """A worker that bid in a round just before its seat in the job was claimed late is not
    given new tiles of the job it just failed: its bid is outbid at settlement."""
    stake_all(market, worker, rival)
    job_id = post_with_rounds(market, artist)
    auction(market, job_id, [Bid(worker, 400, 10)], artist)
    advance(RENDER_WINDOW - BID_WINDOW + 50)  # the round's bid window spans the render deadline
    round_id = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]["roundId"]
    early, fair = Bid(worker, 100, 6), Bid(rival, 500, 6)
    for b in (early, fair):
        commit(market, round_id, b, bond=market.job(round_id)["bidBond"])
    advance(BID_WINDOW + 1)
    market.claimLate(job_id, worker, {"from": stranger})
    assert market.barred(job_id, worker)
    for b in (early, fair):
        reveal(market, round_id, b)
    tx = market.settle(round_id, ranking(market, round_id), {"from": stranger})
    assert tx.events["BidOutbid"]["bidder"] == worker
    assert tx.events["TilesAssigned"]["worker"] == rival
    assert market.seat(round_id, worker)["state"] == OUTBID
    assert market.account(worker)["locked"] == 0
