"""Result commitments, verifier draws from a later block hash, attestations, payouts, timeouts."""

import brownie
import pytest
from brownie import chain
from eth_utils import keccak
from helpers import (
    ACCEPTED,
    ASSIGNED,
    COMPLETED,
    DRAW_DELAY,
    FAILED,
    FRAUD_BPS,
    LATE_BPS,
    MIN_STAKE,
    REJECTED,
    RENDER_WINDOW,
    SUBMITTED,
    TIMED_OUT,
    VERIFY_WINDOW,
    Bid,
    advance,
    commit_results,
    err,
    ready_for_draw,
    run_auction,
    tile_leaves,
)

from tilefarm.merkle import merkle_proof, merkle_root

PRICE = 400
TILES = 16
VFEE = 10**13


@pytest.fixture
def job_id(staked, artist, worker):
    """A job whose 16 tiles all went to `worker`; `verifier` is the only other staked account."""
    return run_auction(staked, artist, [Bid(worker, PRICE, TILES)], tiles=TILES, verify_fee=VFEE)


@pytest.fixture
def submitted(staked, job_id, worker):
    commit_results(staked, job_id, worker)
    return job_id


def test_results_are_one_commitment_per_worker_with_a_later_anchor_block(staked, job_id, worker):
    tx = commit_results(staked, job_id, worker)
    ev = tx.events["ResultsCommitted"]
    assert ev["anchorBlock"] == tx.block_number + DRAW_DELAY
    assert ev["resultsCid"] == "bafy-results"
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
    assert staked.verifierOf(submitted, worker) == verifier
    with brownie.reverts(err("VerifierAlreadyDrawn", submitted, worker, verifier)):
        staked.drawVerifier(submitted, worker, {"from": stranger})


def test_an_expired_anchor_hash_defers_the_draw(staked, submitted, worker, verifier, stranger):
    chain.mine(260)
    anchor = staked.seat(submitted, worker)["anchorBlock"]
    with brownie.reverts(err("RandomnessExpired", submitted, worker, anchor)):
        staked.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})
    tx = staked.drawVerifier(submitted, worker, {"from": stranger})
    assert tx.events["VerifierDrawDeferred"]["anchorBlock"] == tx.block_number + DRAW_DELAY
    ready_for_draw()
    staked.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})


def test_a_pass_pays_the_worker_its_price_and_the_verifier_its_fee(
    staked, submitted, artist, worker, verifier, treasury
):
    ready_for_draw()
    escrow_before = staked.job(submitted)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.attest(submitted, worker, True, "bafy-evidence", {"from": verifier})
    assert tx.events["ResultsAttested"]["passed"]
    assert tx.events["ResultsAccepted"]["payment"] == TILES * PRICE
    assert staked.balanceOf(worker) == TILES * PRICE + 10**16  # price and the returned bid bond
    assert staked.balanceOf(verifier) == TILES * VFEE
    fee = TILES * (PRICE // 100)
    assert staked.balanceOf(treasury) == fee
    assert staked.job(submitted)["status"] == COMPLETED
    assert staked.balanceOf(artist) == artist_before + escrow_before - TILES * (PRICE + VFEE) - fee
    assert staked.account(worker)["tilesAccepted"] == TILES


def test_the_artist_may_accept_directly_without_paying_a_verifier(
    staked, submitted, artist, worker, verifier, stranger
):
    with brownie.reverts(err("NotArtist", submitted, stranger, artist)):
        staked.acceptResults(submitted, worker, {"from": stranger})
    staked.acceptResults(submitted, worker, {"from": artist})
    assert staked.seat(submitted, worker)["state"] == ACCEPTED
    assert staked.balanceOf(verifier) == 0
    assert staked.job(submitted)["status"] == COMPLETED


def test_the_artist_may_overrule_a_fail_and_still_pays_the_verifier(
    staked, submitted, artist, worker, verifier
):
    ready_for_draw()
    staked.attest(submitted, worker, False, "bafy-evidence", {"from": verifier})
    staked.acceptResults(submitted, worker, {"from": artist})
    assert staked.balanceOf(verifier) == TILES * VFEE
    assert staked.seat(submitted, worker)["state"] == ACCEPTED


def test_an_unappealed_fail_rejects_the_tiles_and_slashes_the_worker(
    staked, submitted, artist, worker, verifier, stranger
):
    ready_for_draw()
    staked.attest(submitted, worker, False, "bafy-evidence", {"from": verifier})
    assert staked.seat(submitted, worker)["state"] == FAILED
    deadline = staked.seat(submitted, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        staked.finalizeRejection(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    escrow = staked.job(submitted)["escrow"]
    artist_before = staked.balanceOf(artist)
    tx = staked.finalizeRejection(submitted, worker, {"from": stranger})
    slashed = MIN_STAKE * FRAUD_BPS // 10_000
    assert tx.events["ResultsRejected"]["slashed"] == slashed
    assert tx.events["Slashed"]["reason"] == 0
    assert staked.seat(submitted, worker)["state"] == REJECTED
    assert staked.account(worker)["stake"] == MIN_STAKE - slashed
    assert staked.account(worker)["tilesRejected"] == TILES
    # fraud pays the artist and the honest verifier half each; the tiles' escrow returns
    assert staked.balanceOf(verifier) == TILES * VFEE + slashed // 2
    assert (
        staked.balanceOf(artist) == artist_before + escrow - TILES * VFEE + slashed - slashed // 2
    )


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
    assert staked.balanceOf(artist) == artist_before + escrow + slashed
    assert staked.job(job_id)["status"] == COMPLETED
    with brownie.reverts(err("NotAssigned", job_id, worker)):
        commit_results(staked, job_id, worker)


def test_a_silent_verifier_is_replaced_and_after_three_rounds_the_work_is_paid(
    staked, submitted, worker, verifier, stranger
):
    deadline = staked.seat(submitted, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", submitted, worker, deadline)):
        staked.replaceVerifier(submitted, worker, {"from": stranger})
    ready_for_draw()
    staked.drawVerifier(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("VerificationWindowClosed", submitted, worker, deadline)):
        staked.attest(submitted, worker, True, "late", {"from": verifier})
    tx = staked.replaceVerifier(submitted, worker, {"from": stranger})
    assert tx.events["VerifierReplaced"]["silentVerifier"] == verifier
    assert staked.account(verifier)["timeouts"] == 1
    seat = staked.seat(submitted, worker)
    assert seat["round"] == 1 and seat["verifierSlot"] == 0
    advance(VERIFY_WINDOW + 1)
    staked.replaceVerifier(submitted, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    tx = staked.replaceVerifier(submitted, worker, {"from": stranger})
    assert "ResultsAccepted" in tx.events
    assert staked.seat(submitted, worker)["state"] == ACCEPTED


def test_no_eligible_verifier_is_reported(market, artist, worker, stranger):
    market.stake({"from": worker, "value": MIN_STAKE})
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    ready_for_draw()
    with brownie.reverts(err("NoEligibleVerifier", job_id, worker)):
        market.drawVerifier(job_id, worker, {"from": stranger})


def test_commit_results_reverts(staked, job_id, worker, verifier):
    with brownie.reverts(err("NotAssigned", job_id, verifier)):
        staked.commitResults(job_id, b"\x01" * 32, "bafy", {"from": verifier})
    with brownie.reverts(err("EmptyMerkleRoot")):
        staked.commitResults(job_id, b"\x00" * 32, "bafy", {"from": worker})
    commit_results(staked, job_id, worker)
    with brownie.reverts(err("ResultsAlreadyCommitted", job_id, worker)):
        commit_results(staked, job_id, worker)


def test_attest_reverts(staked, job_id, worker, verifier, stranger):
    with brownie.reverts(err("SeatNotInState", job_id, worker, ASSIGNED, SUBMITTED)):
        staked.attest(job_id, worker, True, "e", {"from": verifier})
    commit_results(staked, job_id, worker)
    ready_for_draw()
    with brownie.reverts(err("NotDrawnVerifier", job_id, worker, stranger, verifier)):
        staked.attest(job_id, worker, True, "e", {"from": stranger})
    with brownie.reverts(err("VerifierAlreadyDrawn", job_id, worker, verifier)):
        staked.drawVerifier(job_id, worker, {"from": stranger})
        staked.drawVerifier(job_id, worker, {"from": stranger})
