"""The verification game, draws and verdicts (docs/protocol.md, steps 5 to 9): each test replays one
finding of the security review against the new rules and shows the attack now fails.

Finding 1, verification was optional: a seat is never paid without a verdict, anyone may draw for a
bounty, and an undrawn seat cannot be re-rolled. Finding 7, randomness: anyone can predict the draw
and nobody can re-roll it. Finding 8, front-running acceptance. Finding 10, silent verifiers.
"""

import brownie
import pytest
from brownie import chain, web3
from direct_rpc import mine_blocks
from helpers import (
    BOND,
    COMPLETED,
    LATE_BPS,
    MIN_STAKE,
    OPENED,
    PAID,
    SILENCE,
    SILENCE_BPS,
    SUBMITTED,
    TIMED_OUT,
    UNVERIFIED,
    VERIFY_FEE,
    VERIFY_WINDOW,
    ZERO_ADDRESS,
    Bid,
    advance,
    attest,
    commit_results,
    crowd,
    draw,
    draw_bounty,
    draw_seed,
    err,
    expire_anchors,
    pool_order,
    predict_pick,
    protocol_fee,
    ready_for_draw,
    release,
    run_auction,
    seal_evidence,
    stake_all,
    verifier_fee,
)

PRICE = 10**14
TILES = 16
BOUNTY = draw_bounty(TILES)


@pytest.fixture
def crew(staked, rival, spare):
    """Three possible verifiers of the worker's seat: `verifier`, `rival` and `spare`."""
    stake_all(staked, rival, spare)
    return staked


@pytest.fixture
def submitted(crew, artist, worker):
    """A job whose 16 tiles all went to `worker`, its results committed, nobody drawn yet."""
    job_id = run_auction(crew, artist, [Bid(worker, PRICE, TILES)])
    commit_results(crew, job_id, worker)
    return job_id


def test_finding_1_a_worker_that_never_draws_is_never_paid(crew, submitted, artist, worker):
    escrow = crew.job(submitted)["escrow"]
    artist_before = crew.balanceOf(artist)
    advance(VERIFY_WINDOW + 1)
    ready_for_draw()
    # The old market replaced an undrawn verifier for free and paid after three rounds.
    with brownie.reverts(err("VerifierNotDrawn", submitted, worker)):
        crew.replaceVerifier(submitted, worker, {"from": worker})
    expire_anchors()
    tx = crew.replaceVerifier(submitted, worker, {"from": worker})
    slashed = MIN_STAKE * LATE_BPS // 10_000
    assert tx.events["VerifierDrawMissed"]["slashed"] == slashed
    assert "VerifierReplaced" not in tx.events and "PaymentReleased" not in tx.events
    assert crew.seat(submitted, worker)["state"] == TIMED_OUT
    assert crew.balanceOf(worker) == BOND  # only its own bid bond, never a price
    assert crew.account(worker)["tilesAccepted"] == 0
    assert crew.balanceOf(artist) == artist_before + escrow + slashed
    assert crew.job(submitted)["status"] == COMPLETED


def test_finding_1_three_silent_verifiers_close_the_seat_unverified_and_unpaid(
    crew, submitted, artist, worker, treasury, stranger
):
    escrow = crew.job(submitted)["escrow"]
    artist_before = crew.balanceOf(artist)
    silence_slashes = 0
    for _ in range(3):
        ready_for_draw()
        draw(crew, submitted, worker, stranger)
        advance(VERIFY_WINDOW + 1)
        tx = crew.replaceVerifier(submitted, worker, {"from": stranger})
        silence_slashes += tx.events["Slashed"]["amount"]
    assert "ResultsUnverified" in tx.events and "PaymentReleased" not in tx.events
    assert crew.seat(submitted, worker)["state"] == UNVERIFIED
    # The worker gets the silent verifiers' slashes for its wait, but never its price.
    assert crew.balanceOf(worker) == BOND + silence_slashes
    account = crew.account(worker)
    assert account["tilesAccepted"] == 0 and account["locked"] == 0
    assert account["stake"] == MIN_STAKE  # silence is not the worker's fault
    # The tiles' escrow, less the three bounties, goes back to the artist; no fee accrues.
    completed = tx.events["JobCompleted"]
    assert completed["artistRefund"] == escrow - 3 * BOUNTY and completed["protocolFee"] == 0
    assert crew.balanceOf(artist) == artist_before + escrow - 3 * BOUNTY
    assert crew.balanceOf(treasury) == 0
    assert crew.balanceOf(stranger) == 3 * BOUNTY


def test_finding_1_anyone_can_draw_and_earns_the_bounty(crew, submitted, worker, stranger):
    assert crew.account(stranger)["stake"] == 0  # not staked, not a party
    escrow = crew.job(submitted)["escrow"]
    ready_for_draw()
    tx = crew.drawVerifier(submitted, worker, {"from": stranger})
    drawn = tx.events["VerifierDrawn"]
    assert drawn["verifier"] not in (worker, stranger)
    assert drawn["caller"] == stranger and drawn["bounty"] == BOUNTY
    assert crew.balanceOf(stranger) == BOUNTY
    assert crew.job(submitted)["escrow"] == escrow - BOUNTY


def test_finding_1_an_expired_anchor_lapses_the_seat_instead_of_rerolling(
    crew, submitted, artist, worker, stranger
):
    anchor = crew.seat(submitted, worker)["anchorBlock"]
    escrow = crew.job(submitted)["escrow"]
    artist_before = crew.balanceOf(artist)
    expire_anchors()
    assert crew.drawVerifier.call(submitted, worker, {"from": stranger}) == ZERO_ADDRESS
    tx = crew.drawVerifier(submitted, worker, {"from": stranger})
    slashed = MIN_STAKE * LATE_BPS // 10_000
    missed = tx.events["VerifierDrawMissed"]
    assert (missed["anchorBlock"], missed["slashed"]) == (anchor, slashed)
    assert "VerifierDrawn" not in tx.events
    seat = crew.seat(submitted, worker)
    assert seat["state"] == TIMED_OUT and seat["anchorBlock"] == anchor  # no new anchor
    assert crew.balanceOf(stranger) == 0  # nothing was drawn, so no bounty
    assert crew.account(worker)["timeouts"] == 1 and crew.account(worker)["locked"] == 0
    assert crew.balanceOf(artist) == artist_before + escrow + slashed  # the slash and the tiles
    with brownie.reverts(err("SeatNotInState", submitted, worker, TIMED_OUT, SUBMITTED)):
        crew.drawVerifier(submitted, worker, {"from": stranger})


def test_finding_1_replacing_an_undrawn_verifier_reverts_while_a_draw_is_possible(
    crew, submitted, worker, stranger
):
    anchor = crew.seat(submitted, worker)["anchorBlock"]
    advance(VERIFY_WINDOW + 1)  # the window is over, but the anchor block is not mined yet
    with brownie.reverts(err("RandomnessNotReady", submitted, worker, anchor)):
        crew.replaceVerifier(submitted, worker, {"from": stranger})
    ready_for_draw()
    with brownie.reverts(err("VerifierNotDrawn", submitted, worker)):
        crew.replaceVerifier(submitted, worker, {"from": stranger})
    draw(crew, submitted, worker, stranger)
    assert crew.seat(submitted, worker)["round"] == 0


def test_finding_1_an_undrawn_seat_moves_on_only_when_nobody_can_be_drawn(
    market, artist, worker, stranger
):
    stake_all(market, worker, artist)  # the pool holds nobody but the parties
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    advance(VERIFY_WINDOW + 1)
    ready_for_draw()
    with brownie.reverts(err("NoEligibleVerifier", job_id, worker)):
        market.drawVerifier(job_id, worker, {"from": stranger})
    tx = market.replaceVerifier(job_id, worker, {"from": stranger})
    replaced = tx.events["VerifierReplaced"]
    assert replaced["silentVerifier"] == ZERO_ADDRESS and replaced["round"] == 1
    assert market.balanceOf(worker) == BOND


def test_finding_7_the_draw_is_the_one_anyone_computes_from_the_anchor_hash(
    market, artist, worker, stranger
):
    others = crowd(6, "draw")
    stake_all(market, worker, artist, *others)  # the artist is in the pool, and excluded
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    ready_for_draw()
    anchor = market.seat(job_id, worker)["anchorBlock"]
    seed = draw_seed(web3.eth.get_block(anchor)["hash"], job_id, worker.address, 0)
    pool = pool_order(market, [worker, artist, *others])
    expected = predict_pick(seed, pool, [worker, artist])
    # A preview is free and useless: waiting changes nothing, the anchor's hash is fixed.
    first_preview = market.drawVerifier.call(job_id, worker, {"from": worker})
    mine_blocks(50)
    assert first_preview == market.drawVerifier.call(job_id, worker, {"from": worker}) == expected
    tx = market.drawVerifier(job_id, worker, {"from": stranger})
    drawn = tx.events["VerifierDrawn"]
    assert drawn["verifier"] == expected and drawn["seed"] == "0x" + seed.hex()
    # The next round's anchor expires unused: no second roll, the seat lapses.
    advance(VERIFY_WINDOW + 1)
    market.replaceVerifier(job_id, worker, {"from": stranger})
    expire_anchors()
    assert market.drawVerifier.call(job_id, worker, {"from": worker}) == ZERO_ADDRESS
    tx = market.drawVerifier(job_id, worker, {"from": worker})
    assert "VerifierDrawMissed" in tx.events and "VerifierDrawn" not in tx.events


def test_finding_8_accepting_after_the_draw_still_pays_the_verifier_its_fee(
    crew, submitted, artist, worker, stranger
):
    ready_for_draw()
    verifier = draw(crew, submitted, worker, stranger)
    # The artist sees the draw and accepts before the verifier's pass lands.
    tx = crew.acceptResults(submitted, worker, {"from": artist})  # pays at once
    assert tx.events["ResultsAccepted"]["verifierFee"] == verifier_fee(TILES)
    assert tx.events["PaymentReleased"]["verifierFee"] == verifier_fee(TILES)
    with brownie.reverts(err("SeatNotInState", submitted, worker, PAID, SUBMITTED)):
        seal_evidence(crew, submitted, worker, verifier)
    with brownie.reverts(err("SeatNotInState", submitted, worker, PAID, OPENED)):
        crew.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})
    assert crew.balanceOf(verifier) == verifier_fee(TILES)
    assert crew.account(verifier)["duties"] == 0


def test_finding_10_a_silent_verifier_is_slashed_to_the_waiting_worker(
    crew, submitted, worker, stranger
):
    ready_for_draw()
    silent = draw(crew, submitted, worker, stranger)
    advance(VERIFY_WINDOW + 1)
    before = crew.balanceOf(worker)
    tx = crew.replaceVerifier(submitted, worker, {"from": stranger})
    slashed = MIN_STAKE * SILENCE_BPS // 10_000
    event = tx.events["Slashed"]
    assert (event["worker"], event["reason"], event["amount"]) == (silent, SILENCE, slashed)
    assert crew.balanceOf(worker) == before + slashed
    replaced = tx.events["VerifierReplaced"]
    assert replaced["silentVerifier"] == silent and replaced["round"] == 1
    account = crew.account(silent)
    assert account["timeouts"] == 1 and account["slashes"] == 1 and account["duties"] == 0
    assert account["stake"] == MIN_STAKE - slashed
    assert account["poolIndex"] == 0  # below the minimum: out of the pool


def test_release_before_the_contest_window_closes_reverts(crew, submitted, worker, stranger):
    attest(crew, submitted, worker, True, stranger)
    deadline = crew.seat(submitted, worker)["deadline"]
    assert deadline == chain[-1].timestamp + VERIFY_WINDOW
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        crew.release(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    crew.release(submitted, worker, {"from": stranger})
    assert crew.seat(submitted, worker)["state"] == PAID


def test_the_artist_may_release_an_accepted_seat_at_once(
    crew, submitted, artist, worker, treasury, stranger
):
    verifier = attest(crew, submitted, worker, True, stranger)
    with brownie.reverts(err("NotArtist", submitted, stranger, artist)):
        crew.acceptResults(submitted, worker, {"from": stranger})
    tx = crew.acceptResults(submitted, worker, {"from": artist})
    assert tx.events["PaymentReleased"]["payment"] == TILES * PRICE
    assert crew.balanceOf(worker) == BOND + TILES * PRICE
    assert crew.balanceOf(verifier) == verifier_fee(TILES)
    assert crew.balanceOf(treasury) == protocol_fee(TILES, PRICE)
    assert crew.job(submitted)["status"] == COMPLETED


def test_the_verifier_fee_is_the_tile_fee_less_one_bounty_per_round(
    crew, submitted, worker, stranger
):
    ready_for_draw()
    draw(crew, submitted, worker, stranger)
    advance(VERIFY_WINDOW + 1)
    crew.replaceVerifier(submitted, worker, {"from": stranger})
    verifier = attest(crew, submitted, worker, True, stranger)  # round 1
    tx = release(crew, submitted, worker, stranger)
    fee = TILES * VERIFY_FEE - 2 * BOUNTY
    assert verifier_fee(TILES, round_=1) == fee
    assert tx.events["PaymentReleased"]["verifierFee"] == fee
    assert crew.balanceOf(verifier) == fee
    assert crew.balanceOf(stranger) == 2 * BOUNTY
