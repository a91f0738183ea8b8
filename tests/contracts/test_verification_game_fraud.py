"""The verification game, fraud and panels (docs/protocol.md, "Money on fraud" and "Disputes"): each
test replays one finding of the security review against the new rules.

Finding 3, a caught cheater kept its pay: pay now waits for the contest window, so a proven fraud
never created it, and every fraudulent seat costs its own collateral. Finding 6, panels: drawn from
eligible accounts only, never the parties, and never re-rolled (here); sealed votes, pay for every
voter and a bond lost by the silent and the outvoted (test_verification_game_panels.py). Finding 13,
a proven fraud left a protocol fee and reputation behind.
"""

import brownie
from helpers import (
    ACCEPTED,
    BOND,
    DISPUTE_BOND,
    FALSE_ACCUSATION_BPS,
    FRAUD,
    MIN_STAKE,
    PAID,
    REJECTED,
    VERIFY_WINDOW,
    Bid,
    Vote,
    advance,
    attest,
    cast_votes,
    collateral,
    commit_results,
    crowd,
    draw_panel,
    eligible,
    err,
    expire_anchors,
    fraud_slash,
    protocol_fee,
    ready_for_draw,
    run_auction,
    stake_all,
    verifier_fee,
)

PRICE = 10**15  # a seat of 16 tiles locks 0.016 ETH of collateral
TILES = 16


def contest_and_convict(market, job_id, worker, artist):
    """The artist contests the accepted seat and a freshly staked panel votes fraud (sealed)."""
    market.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": DISPUTE_BOND})
    stake_all(market, *crowd(3, "jury"))
    members = draw_panel(market, job_id, worker, artist)
    cast_votes(market, job_id, worker, dict.fromkeys(members, True))
    return market.resolveDispute(job_id, worker, {"from": artist})


def test_finding_3_a_cheater_caught_by_a_contest_keeps_nothing(
    staked, artist, worker, verifier, treasury, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    assert attest(staked, job_id, worker, True, stranger) == verifier  # a lazy or bribed pass
    tx = contest_and_convict(staked, job_id, worker, artist)
    assert tx.events["DisputeResolved"]["fraud"] is True
    assert "PaymentReleased" not in tx.events
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    assert tx.events["ResultsRejected"]["slashed"] == slashed > collateral(TILES, PRICE)
    worker_account = staked.account(worker)
    assert staked.balanceOf(worker) == BOND  # its own bid bond, and not a wei of pay
    assert worker_account["stake"] == MIN_STAKE - slashed and worker_account["locked"] == 0
    assert worker_account["tilesAccepted"] == 0 and worker_account["tilesRejected"] == TILES
    # The passing verifier is slashed and unpaid; the treasury gets no fee on a fraud.
    false_pass = MIN_STAKE * FALSE_ACCUSATION_BPS // 10_000
    assert staked.account(verifier)["stake"] == MIN_STAKE - false_pass
    assert staked.balanceOf(verifier) == 0
    assert staked.balanceOf(treasury) == 0
    assert tx.events["JobCompleted"]["protocolFee"] == 0
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("SeatNotInState", job_id, worker, REJECTED, ACCEPTED)):
        staked.release(job_id, worker, {"from": worker})


def test_finding_3_a_worker_with_two_fraudulent_seats_loses_each_seats_collateral(
    staked, artist, worker, stranger
):
    price = 10**16  # each seat locks 0.16 ETH
    jobs = [run_auction(staked, artist, [Bid(worker, price, TILES)], max_price=price)
            for _ in range(2)]  # fmt: skip
    seat_collateral = collateral(TILES, price)
    assert staked.account(worker)["locked"] == 2 * seat_collateral
    for job_id in jobs:
        commit_results(staked, job_id, worker)
        attest(staked, job_id, worker, False, stranger)
    advance(VERIFY_WINDOW + 1)
    slashes = []
    for job_id in jobs:
        tx = staked.finalizeRejection(job_id, worker, {"from": stranger})
        assert tx.events["Slashed"]["reason"] == FRAUD
        slashes.append(tx.events["ResultsRejected"]["slashed"])
    first = fraud_slash(MIN_STAKE, seat_collateral)
    assert slashes == [first, fraud_slash(MIN_STAKE - first, seat_collateral)]
    assert all(s >= seat_collateral for s in slashes)  # the second fraud costs a whole seat too
    assert staked.account(worker)["stake"] == MIN_STAKE - sum(slashes)
    assert staked.account(worker)["locked"] == 0


def test_finding_6_a_panel_is_drawn_only_from_eligible_accounts_other_than_the_parties(
    staked, artist, worker, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)
    jurors, leavers = crowd(3, "jury"), crowd(3, "leaver")
    stake_all(staked, artist, *jurors, *leavers)
    for who in leavers:
        staked.requestUnstake(1, {"from": who})
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    ready_for_draw()
    members = staked.drawPanel(job_id, worker, {"from": worker}).events["PanelDrawn"]["members"]
    # The pool holds the worker, the verifier, the artist and the three jurors; only the
    # jurors are neither a party nor the seat's verifier.
    assert sorted(members) == sorted(j.address for j in jurors)
    assert all(eligible(staked, m) for m in members)
    dispute = staked.dispute(job_id, worker)
    ids = [dispute["member0"], dispute["member1"], dispute["member2"]]
    assert [staked.accountById(i) for i in ids] == list(members)


def test_finding_6_an_expired_panel_anchor_is_never_redrawn_and_the_verdict_stands(
    staked, artist, worker, verifier, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)
    jurors = crowd(3, "jury")
    stake_all(staked, *jurors)
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": DISPUTE_BOND})
    anchor = staked.dispute(job_id, worker)["anchorBlock"]
    expire_anchors()
    for _ in range(2):  # no second try re-anchors it
        with brownie.reverts(err("RandomnessExpired", job_id, worker, anchor)):
            staked.drawPanel(job_id, worker, {"from": worker})
    assert staked.dispute(job_id, worker)["anchorBlock"] == anchor
    sealed = Vote(job_id, worker, jurors[0], False).commitment()
    with brownie.reverts(err("NotOnPanel", job_id, worker, jurors[0])):
        staked.commitVote(job_id, worker, sealed, {"from": jurors[0]})
    reveal_end = staked.dispute(job_id, worker)["deadline"] + VERIFY_WINDOW
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(3 * VERIFY_WINDOW + 1)
    artist_before, escrow = staked.balanceOf(artist), staked.job(job_id)["escrow"]
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is True  # the verifier's fail stands
    assert staked.seat(job_id, worker)["state"] == REJECTED
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    assert tx.events["ResultsRejected"]["slashed"] == slashed
    # Nobody voted: the failing verifier alone shares the slash with the artist, and the lost
    # appeal's bond, the panel's fee, has no member to pay and goes to the artist.
    assert staked.balanceOf(verifier) == verifier_fee(TILES) + slashed // 2
    paid = tx.events["PanelPaid"]
    assert (paid["beneficiary"], paid["feeEach"], paid["bondsEach"], paid["remainder"]) == (
        artist,
        0,
        0,
        DISPUTE_BOND,
    )
    assert staked.balanceOf(artist) == (
        artist_before + escrow - verifier_fee(TILES) + slashed - slashed // 2 + DISPUTE_BOND
    )
    assert not staked.dispute(job_id, worker)["drawn"]


def test_finding_13_a_proven_fraud_accrues_no_protocol_fee_and_no_tiles_accepted(
    staked, artist, worker, rival, treasury, stranger
):
    stake_all(staked, rival)
    half = TILES // 2
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, half), Bid(rival, PRICE - 1, half)])
    for w in (worker, rival):
        commit_results(staked, job_id, w)
        attest(staked, job_id, w, True, stranger)
    tx = contest_and_convict(staked, job_id, rival, artist)
    assert "ResultsRejected" in tx.events and staked.job(job_id)["feesDue"] == 0
    advance(VERIFY_WINDOW + 1)
    tx = staked.release(job_id, worker, {"from": stranger})
    honest_fee = protocol_fee(half, PRICE)
    assert tx.events["JobCompleted"]["protocolFee"] == honest_fee
    assert staked.balanceOf(treasury) == honest_fee  # the honest seat's fee, none on the fraud
    assert staked.account(worker)["tilesAccepted"] == half
    cheater = staked.account(rival)
    assert cheater["tilesAccepted"] == 0 and cheater["tilesRejected"] == half


# Found while writing these tests: a contest of the artist's own acceptance slashed the seat's
# drawn verifier as a false passer, whether or not it had passed. The artist's acceptance is now
# final and pays at once, so there is nothing left to contest and no verifier to slash.


def test_the_artists_own_acceptance_pays_at_once_and_cannot_be_contested_against_the_verifier(
    staked, artist, worker, verifier, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    ready_for_draw()
    staked.drawVerifier(job_id, worker, {"from": stranger})
    tx = staked.acceptResults(job_id, worker, {"from": artist})  # before the verifier attests
    assert "PaymentReleased" in tx.events and staked.seat(job_id, worker)["state"] == PAID
    bond = staked.config()["disputeBond"]
    with brownie.reverts(err("NotDisputable", job_id, worker, artist, PAID)):
        staked.openDispute(job_id, worker, "bafy-reason", {"from": artist, "value": bond})
    assert staked.account(verifier)["stake"] == MIN_STAKE  # it passed nothing and lost nothing


def test_an_artist_overruling_a_fail_pays_at_once_and_cannot_then_slash_the_verifier_that_failed(
    staked, artist, worker, verifier, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)  # the verifier was right
    tx = staked.acceptResults(job_id, worker, {"from": artist})  # the artist overrules the fail
    assert tx.events["PaymentReleased"]["verifierFee"] > 0  # the verifier is paid its fee
    bond = staked.config()["disputeBond"]
    with brownie.reverts(err("NotDisputable", job_id, worker, artist, PAID)):
        staked.openDispute(job_id, worker, "bafy-reason", {"from": artist, "value": bond})
    assert staked.account(verifier)["stake"] == MIN_STAKE
