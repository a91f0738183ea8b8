"""Result commitments, verifier draws from a later block hash, blind attestations (the verifier
seals its evidence, the worker reveals its results, the verifier attests), the contest window and
release, timeouts and silent verifiers."""

import brownie
import pytest
from eth_utils.crypto import keccak
from helpers import (
    ACCEPTED,
    ASSIGNED,
    BOND,
    COMPLETED,
    DRAW_DELAY,
    FAILED,
    FRAUD,
    LATE_BPS,
    MIN_STAKE,
    OPENED,
    PAID,
    REJECTED,
    RENDER_WINDOW,
    SUBMITTED,
    TIMED_OUT,
    UNVERIFIED,
    VERIFY_WINDOW,
    Bid,
    advance,
    attest,
    collateral,
    commit_results,
    draw,
    draw_bounty,
    err,
    fraud_slash,
    protocol_fee,
    ready_for_draw,
    run_auction,
    seal_and_reveal,
    seal_evidence,
    stake_all,
    tile_leaves,
    verifier_fee,
)

from tilefarm.merkle import merkle_proof, merkle_root

PRICE = 400
TILES = 16


@pytest.fixture
def job_id(staked, artist, worker):
    """A job whose 16 tiles all went to `worker`; `verifier` is the only other staked account."""
    return run_auction(staked, artist, [Bid(worker, PRICE, TILES)], tiles=TILES)


@pytest.fixture
def submitted(staked, job_id, worker):
    commit_results(staked, job_id, worker)
    return job_id


def test_results_are_one_commitment_per_worker_with_a_later_anchor_block(staked, job_id, worker):
    tx = commit_results(staked, job_id, worker)
    ev = tx.events["ResultsCommitted"]
    assert ev["anchorBlock"] == tx.block_number + DRAW_DELAY
    # only the root: the results list (every tile's CID) stays hidden until the evidence is sealed
    assert set(ev.keys()) == {"jobId", "worker", "merkleRoot", "anchorBlock"}
    seat = staked.seat(job_id, worker)
    assert (
        seat["state"] == SUBMITTED
        and seat["hash"] == "0x" + merkle_root(tile_leaves(0, TILES)).hex()
    )


def test_any_tile_can_be_proven_against_the_committed_root(staked, submitted, worker):
    leaves = tile_leaves(0, TILES)
    for t in (0, 5, TILES - 1):
        proof = merkle_proof(leaves, t)
        assert staked.verifyTile(
            submitted, worker, t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}"), proof
        )
    assert not staked.verifyTile(submitted, worker, 5, keccak(text="cid-5"), keccak(text="forged"),
                                 merkle_proof(leaves, 5))  # fmt: skip
    with brownie.reverts(err("TileOutOfRange", submitted, worker, TILES)):
        staked.verifyTile(submitted, worker, TILES, b"\x00" * 32, b"\x00" * 32, [])


def test_odd_sized_trees_prove_every_tile(staked, artist, worker, rival):
    staked.stake({"from": rival, "value": MIN_STAKE})
    job_id = run_auction(
        staked, artist, [Bid(worker, PRICE, 5), Bid(rival, PRICE + 1, 11)], tiles=16
    )
    commit_results(staked, job_id, rival)
    leaves = tile_leaves(5, 11)
    for t in range(11):
        assert staked.verifyTile(job_id, rival, 5 + t, keccak(text=f"cid-{5 + t}"),
                                 keccak(text=f"px-{5 + t}"), merkle_proof(leaves, t))  # fmt: skip


def test_the_verifier_is_drawn_after_the_anchor_block_and_never_the_worker(
    staked, submitted, worker, verifier, stranger
):
    anchor = staked.seat(submitted, worker)["anchorBlock"]
    with brownie.reverts(err("RandomnessNotReady", submitted, worker, anchor)):
        staked.drawVerifier(submitted, worker, {"from": stranger})
    ready_for_draw()
    tx = staked.drawVerifier(submitted, worker, {"from": stranger})
    ev = tx.events["VerifierDrawn"]
    assert ev["verifier"] == verifier and ev["round"] == 0
    assert int(ev["seed"].hex(), 16) != 0
    seat = staked.seat(submitted, worker)
    assert staked.accountById(seat["verifierId"]) == verifier
    # the verifier's window starts when it is drawn, and the draw is a duty it must finish
    assert seat["deadline"] == tx.timestamp + VERIFY_WINDOW
    assert staked.account(verifier)["duties"] == 1
    with brownie.reverts(err("VerifierAlreadyDrawn", submitted, worker, verifier)):
        staked.drawVerifier(submitted, worker, {"from": stranger})


def test_attesting_before_anyone_drew_is_refused(staked, submitted, worker, verifier):
    ready_for_draw()
    with brownie.reverts(err("VerifierNotDrawn", submitted, worker)):
        seal_evidence(staked, submitted, worker, verifier)
    with brownie.reverts(err("SeatNotInState", submitted, worker, SUBMITTED, OPENED)):
        staked.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})


def test_a_pass_pays_the_worker_and_the_verifier_once_the_contest_window_closes(
    staked, submitted, artist, worker, verifier, treasury, stranger
):
    ready_for_draw()
    draw(staked, submitted, worker, stranger)
    seal_and_reveal(staked, submitted, worker, verifier)
    tx = staked.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})
    assert tx.events["ResultsAttested"]["passed"]
    accepted = tx.events["ResultsAccepted"]
    assert accepted["payment"] == TILES * PRICE and accepted["verifierFee"] == verifier_fee(TILES)
    # accepted, but nothing is paid while the artist may still contest
    assert staked.seat(submitted, worker)["state"] == ACCEPTED
    assert staked.balanceOf(worker) == BOND and staked.balanceOf(verifier) == 0
    assert staked.account(worker)["tilesAccepted"] == 0
    escrow_before = staked.job(submitted)["escrow"]
    artist_before = staked.balanceOf(artist)
    deadline = staked.seat(submitted, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        staked.release(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    tx = staked.release(submitted, worker, {"from": stranger})
    assert tx.events["PaymentReleased"]["payment"] == TILES * PRICE
    assert staked.balanceOf(worker) == TILES * PRICE + BOND  # price and the returned bid bond
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    assert staked.balanceOf(stranger) == draw_bounty(TILES)
    fee = protocol_fee(TILES, PRICE)
    assert staked.balanceOf(treasury) == fee
    assert staked.job(submitted)["status"] == COMPLETED
    assert staked.seat(submitted, worker)["state"] == PAID
    assert staked.balanceOf(artist) == (
        artist_before + escrow_before - TILES * PRICE - verifier_fee(TILES) - fee
    )
    worker_account = staked.account(worker)
    assert worker_account["tilesAccepted"] == TILES and worker_account["locked"] == 0
    assert staked.account(verifier)["duties"] == 0


def test_the_artist_may_accept_directly_without_paying_a_verifier(
    staked, submitted, artist, worker, verifier, stranger
):
    with brownie.reverts(err("NotArtist", submitted, stranger, artist)):
        staked.acceptResults(submitted, worker, {"from": stranger})
    tx = staked.acceptResults(submitted, worker, {"from": artist})
    assert tx.events["ResultsAccepted"]["verifierFee"] == 0  # nobody was drawn
    # the artist's consent is final: it pays at once, with no contest window
    assert tx.events["PaymentReleased"]["verifierFee"] == 0
    assert staked.seat(submitted, worker)["state"] == PAID
    assert staked.balanceOf(verifier) == 0
    assert staked.balanceOf(worker) == TILES * PRICE + BOND
    assert staked.job(submitted)["status"] == COMPLETED


def test_the_artist_may_overrule_a_fail_and_still_pays_the_verifier(
    staked, submitted, artist, worker, verifier, stranger
):
    attest(staked, submitted, worker, False, stranger)
    staked.acceptResults(submitted, worker, {"from": artist})
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    assert staked.seat(submitted, worker)["state"] == PAID


def test_an_unappealed_fail_rejects_the_tiles_and_slashes_the_worker(
    staked, submitted, artist, worker, verifier, stranger
):
    attest(staked, submitted, worker, False, stranger)
    assert staked.seat(submitted, worker)["state"] == FAILED
    deadline = staked.seat(submitted, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        staked.finalizeRejection(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    escrow = staked.job(submitted)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.finalizeRejection(submitted, worker, {"from": stranger})
    slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
    assert tx.events["ResultsRejected"]["slashed"] == slashed
    assert tx.events["Slashed"]["reason"] == FRAUD
    assert staked.seat(submitted, worker)["state"] == REJECTED
    account = staked.account(worker)
    assert account["stake"] == MIN_STAKE - slashed and account["locked"] == 0
    assert account["tilesRejected"] == TILES and account["tilesAccepted"] == 0
    # fraud pays the artist and the honest verifier half each; the tiles' escrow returns
    fee = verifier_fee(TILES)
    assert staked.balanceOf(verifier) == fee + slashed // 2
    assert staked.balanceOf(artist) == artist_before + escrow - fee + slashed - slashed // 2
    assert staked.account(verifier)["duties"] == 0


def test_late_worker_loses_tiles_and_stake(staked, job_id, artist, worker, stranger):
    deadline = staked.job(job_id)["renderDeadline"]
    with brownie.reverts(err("RenderDeadlineNotReached", job_id, deadline)):
        staked.claimLate(job_id, worker, {"from": stranger})
    advance(RENDER_WINDOW + 1)
    with brownie.reverts(err("RenderDeadlinePassed", job_id, deadline)):
        commit_results(staked, job_id, worker)
    escrow = staked.job(job_id)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.claimLate(job_id, worker, {"from": stranger})
    slashed = MIN_STAKE * LATE_BPS // 10_000
    assert tx.events["WorkerTimedOut"]["slashed"] == slashed
    assert staked.seat(job_id, worker)["state"] == TIMED_OUT
    assert staked.account(worker)["timeouts"] == 1
    assert staked.account(worker)["locked"] == 0
    assert staked.balanceOf(artist) == artist_before + escrow + slashed
    assert staked.job(job_id)["status"] == COMPLETED
    with brownie.reverts(err("NotAssigned", job_id, worker)):
        commit_results(staked, job_id, worker)


def test_a_silent_verifier_is_replaced_and_after_three_rounds_the_seat_closes_unverified(
    staked, submitted, worker, verifier, rival, spare, stranger
):
    stake_all(staked, rival, spare)  # three possible verifiers, each silent once
    deadline = staked.seat(submitted, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        staked.replaceVerifier(submitted, worker, {"from": stranger})
    silent = []
    for round_ in range(3):
        ready_for_draw()
        silent.append(draw(staked, submitted, worker, stranger))
        deadline = staked.seat(submitted, worker)["deadline"]
        advance(VERIFY_WINDOW + 1)
        with brownie.reverts(err("VerificationWindowClosed", submitted, worker, deadline)):
            seal_evidence(staked, submitted, worker, silent[-1], "late")
        tx = staked.replaceVerifier(submitted, worker, {"from": stranger})
        replaced = tx.events["VerifierReplaced"]
        assert replaced["silentVerifier"] == silent[-1] and replaced["round"] == round_ + 1
        if round_ < 2:
            seat = staked.seat(submitted, worker)
            assert seat["round"] == round_ + 1 and seat["verifierId"] == 0
            assert seat["anchorBlock"] == tx.block_number + DRAW_DELAY
    # a slashed verifier leaves the pool, so each round drew someone new
    assert {a.address for a in silent} == {verifier.address, rival.address, spare.address}
    assert "ResultsUnverified" in tx.events and "PaymentReleased" not in tx.events
    assert staked.seat(submitted, worker)["state"] == UNVERIFIED
    assert staked.job(submitted)["status"] == COMPLETED


def test_no_eligible_verifier_is_reported(market, artist, worker, stranger):
    market.stake({"from": worker, "value": MIN_STAKE})
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    ready_for_draw()
    with brownie.reverts(err("NoEligibleVerifier", job_id, worker)):
        market.drawVerifier(job_id, worker, {"from": stranger})


def test_commit_results_reverts(staked, job_id, worker, verifier):
    with brownie.reverts(err("NotAssigned", job_id, verifier)):
        staked.commitResults(job_id, b"\x01" * 32, {"from": verifier})
    with brownie.reverts(err("EmptyMerkleRoot")):
        staked.commitResults(job_id, b"\x00" * 32, {"from": worker})
    commit_results(staked, job_id, worker)
    with brownie.reverts(err("ResultsAlreadyCommitted", job_id, worker)):
        commit_results(staked, job_id, worker)


def test_attest_and_release_reverts(staked, job_id, worker, verifier, stranger):
    with brownie.reverts(err("SeatNotInState", job_id, worker, ASSIGNED, SUBMITTED)):
        seal_evidence(staked, job_id, worker, verifier, "e")
    with brownie.reverts(err("SeatNotInState", job_id, worker, ASSIGNED, OPENED)):
        staked.attest(job_id, worker, True, "e", {"from": verifier})
    with brownie.reverts(err("SeatNotInState", job_id, worker, ASSIGNED, ACCEPTED)):
        staked.release(job_id, worker, {"from": stranger})
    commit_results(staked, job_id, worker)
    ready_for_draw()
    draw(staked, job_id, worker, stranger)
    with brownie.reverts(err("NotDrawnVerifier", job_id, worker, stranger, verifier)):
        seal_evidence(staked, job_id, worker, stranger, "e")
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, ACCEPTED)):
        staked.release(job_id, worker, {"from": stranger})
    seal_and_reveal(staked, job_id, worker, verifier, "e")
    with brownie.reverts(err("NotDrawnVerifier", job_id, worker, stranger, verifier)):
        staked.attest(job_id, worker, True, "e", {"from": stranger})
    with brownie.reverts(err("SeatNotInState", job_id, worker, OPENED, ACCEPTED)):
        staked.release(job_id, worker, {"from": stranger})
