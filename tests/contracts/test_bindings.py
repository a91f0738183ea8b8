"""The web3 bindings the worker, server and auditor use, against a Brownie-deployed market: typed
records, transactions, decoded events named as the contract's, decoded custom errors, and the
pure helpers agreeing with the contract's own hashing."""

import json

import pytest
from brownie import chain, web3
from eth_utils.crypto import keccak
from helpers import (
    BID_WINDOW,
    BOND,
    MIN_STAKE,
    REVEAL_WINDOW,
    VERIFY_WINDOW,
    evidence_seal,
    tile_leaves,
)

from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import DeployedContract, Deployments
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause
from tilefarm.merkle import merkle_proof, merkle_root


@pytest.fixture
def client(market):
    return JobMarketClient.from_build(web3, market.address, BUILD_DIR)


def params(**kw):
    base = dict(tile_count=8, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**13,
                bid_bond=10**16, bid_window=BID_WINDOW, reveal_window=REVEAL_WINDOW,
                render_window=3_600, verify_window=1_800)  # fmt: skip
    base.update(kw)
    return ev.JobParams(**base)


def test_every_contract_event_has_a_model_of_the_same_name(market):
    names = {item["name"] for item in market.abi if item["type"] == "event"}
    assert names == set(ev.EVENT_MODELS)


def test_a_whole_job_through_the_bindings(client, artist, worker, verifier, stranger):
    a, w, v, s = artist.address, worker.address, verifier.address, stranger.address
    client.stake(w, MIN_STAKE)
    client.stake(v, MIN_STAKE)
    job_id, receipt = client.post_job(a, params(), "bafy-manifest")
    posted = receipt.event(ev.JobPosted)
    assert (
        posted.params == params() and posted.manifest_cid == "bafy-manifest" and posted.artist == a
    )
    salt = b"\x07" * 32
    client.commit_bid(w, job_id, bid_commitment(job_id, w, 500, 8, salt), 8)
    assert client.account(w).locked == client.config().collateral(8, 10**15)  # the commit's lock
    chain.sleep(BID_WINDOW + 1)
    chain.mine()
    client.reveal_bid(w, job_id, 500, 8, salt)  # the contract agrees with bid_commitment
    assert client.account(w).locked == client.config().collateral(8, 500)
    chain.sleep(REVEAL_WINDOW + 1)
    chain.mine()
    assert client.ranking(job_id) == [w]
    settled = client.settle(a, job_id)
    assert settled.event(ev.TilesAssigned).tile_count == 8
    assert client.job(job_id).status_name == "Active"
    leaves = tile_leaves(0, 8)
    committed = client.commit_results(w, job_id, merkle_root(leaves)).event(ev.ResultsCommitted)
    assert committed.merkle_root == "0x" + merkle_root(leaves).hex()
    assert client.seat(job_id, w).state_name == "Submitted"
    assert client.verify_tile(
        job_id, w, 3, keccak(text="cid-3"), keccak(text="px-3"), merkle_proof(leaves, 3)
    )
    chain.mine(3)
    assert client.preview_verifier(job_id, w) == v
    drawn = client.draw_verifier(s, job_id, w).event(ev.VerifierDrawn)
    assert drawn.verifier == v and drawn.seed.startswith("0x")
    assert client.verifier_of(job_id, w) == v
    assert client.account_by_id(client.seat(job_id, w).verifier_id) == v
    sealed = client.seal_evidence(v, job_id, w, "bafy-evidence").event(ev.EvidenceSealed)
    assert (sealed.verifier, sealed.seal) == (v, "0x" + evidence_seal(job_id, w, v).hex())
    assert client.seat(job_id, w).state_name == "Sealed"
    revealed = client.reveal_results(w, job_id, "bafy-results").event(ev.ResultsRevealed)
    assert revealed.results_cid == "bafy-results"
    assert client.seat(job_id, w).state_name == "Opened"
    # the evidence the bindings sealed is the one the contract accepts
    attested = client.attest(v, job_id, w, True, "bafy-evidence")
    assert attested.event(ev.ResultsAccepted).payment == 8 * 500
    assert client.seat(job_id, w).state_name == "Accepted"
    chain.sleep(VERIFY_WINDOW + 1)
    chain.mine()
    released = client.release(s, job_id, w)
    assert released.event(ev.PaymentReleased).payment == 8 * 500
    assert client.seat(job_id, w).state_name == "Paid"
    assert client.job(job_id).terminal
    assert client.balance_of(w) == 8 * 500 + BOND
    withdrawn = client.withdraw(w)
    assert withdrawn.event(ev.Withdrawn).amount == 8 * 500 + BOND
    history = client.events(job_id=job_id)
    assert [type(e).__name__ for e in history][:2] == ["JobPosted", "BidCommitted"]
    assert history[1].tile_count == 8
    assert history[-1].block_number >= history[0].block_number
    assert json.loads(history[0].model_dump_json(by_alias=True))["jobId"] == job_id


def test_an_unrevealed_bid_is_forfeited_through_the_bindings(client, artist, worker, stranger):
    a, w, s = artist.address, worker.address, stranger.address
    client.stake(w, MIN_STAKE)
    job_id, _ = client.post_job(a, params(), "bafy-manifest")
    client.commit_bid(w, job_id, bid_commitment(job_id, w, 500, 8, b"\x03" * 32), 8)
    lock = client.config().collateral(8, params().max_price_per_tile)
    with pytest.raises(ContractReverted) as info:  # the bidder may still reveal
        client.forfeit_bid(s, job_id, w)
    assert info.value.error == "RevealNotOver"
    chain.sleep(BID_WINDOW + REVEAL_WINDOW + 2)
    chain.mine()
    receipt = client.forfeit_bid(s, job_id, w)
    forfeited = receipt.event(ev.BidForfeited)
    assert (forfeited.job_id, forfeited.bidder, forfeited.slashed) == (job_id, w, lock)
    slashed = receipt.event(ev.Slashed)
    assert ev.SLASH_REASONS[slashed.reason] == "Unrevealed" and slashed.amount == lock
    assert client.seat(job_id, w).state_name == "Forfeited"
    assert client.account(w).locked == 0 and client.account(w).stake == MIN_STAKE - lock
    assert client.balance_of(a) == lock


def test_hardware_and_a_seat_given_back_through_the_bindings(client, artist, worker, verifier):
    a, w = artist.address, worker.address
    declared = client.declare_hardware(w, BACKEND_CODES["OPTIX"], 24_576).event(ev.HardwareDeclared)
    assert (declared.account, declared.backend, declared.vram_mib) == (w, 3, 24_576)
    assert json.loads(declared.model_dump_json(by_alias=True))["vramMiB"] == 24_576
    record = client.account(w)
    assert (record.backend, record.vram_mib, record.stake) == (3, 24_576, 0)
    with pytest.raises(ContractReverted) as info:
        client.declare_hardware(w, 0, 0)
    assert info.value.error == "UnknownBackend" and info.value.error_args == {"backend": 0}

    client.stake(w, MIN_STAKE)
    client.stake(verifier.address, MIN_STAKE)
    job_id, _ = client.post_job(a, params(), "bafy-manifest")
    salt = b"\x05" * 32
    client.commit_bid(w, job_id, bid_commitment(job_id, w, 500, 8, salt), 8)
    chain.sleep(BID_WINDOW + 1)
    chain.mine()
    client.reveal_bid(w, job_id, 500, 8, salt)
    chain.sleep(REVEAL_WINDOW + 1)
    chain.mine()
    client.settle(a, job_id)
    receipt = client.abandon_seat(w, job_id, AbandonCause.GPU_OUT_OF_MEMORY)
    abandoned = receipt.event(ev.SeatAbandoned)
    assert (abandoned.job_id, abandoned.worker) == (job_id, w)
    assert AbandonCause(abandoned.cause).describe() == "a worker's GPU ran out of memory"
    assert abandoned.slashed == receipt.event(ev.Slashed).amount > 0
    assert receipt.event(ev.TilesReturned).tile_count == 8
    assert client.seat(job_id, w).state_name == "TimedOut"
    assert client.account(w).backend == 3  # giving a seat back leaves the declaration alone


def test_reverts_come_back_as_the_contracts_custom_error(client, artist):
    with pytest.raises(ContractReverted) as info:
        client.cancel_job(artist.address, 42)
    assert info.value.error == "JobNotFound" and info.value.error_args == {"jobId": 42}
    assert "JobNotFound(jobId=42)" in str(info.value)


def test_the_client_is_found_from_the_deployments_file(market, deployer):
    deployments = Deployments(
        chain_id=web3.eth.chain_id, deployer=deployer.address,
        contracts={
            "JobMarket": DeployedContract(address=market.address, block_number=1, tx_hash="0x")
        },
    )  # fmt: skip
    client = JobMarketClient.from_deployments(web3, deployments, BUILD_DIR)
    assert client.config().min_stake == MIN_STAKE
    assert client.address == market.address


def test_the_clients_ranking_of_equal_prices_is_the_order_settle_accepts(client, accounts, artist):
    bidders = [accounts[i].address for i in (2, 3, 6, 7)]
    for b in bidders:
        client.stake(b, MIN_STAKE)
    job_id, _ = client.post_job(artist.address, params(), "bafy-manifest")
    salt = b"\x01" * 32
    for b in bidders:
        client.commit_bid(b, job_id, bid_commitment(job_id, b, 500, 2, salt), 2)
    chain.sleep(BID_WINDOW + 1)
    chain.mine()
    for b in bidders:
        client.reveal_bid(b, job_id, 500, 2, salt)
    order = client.ranking(job_id)
    assert sorted(order) == sorted(bidders) and client.job(job_id).tie_seed != 0
    with pytest.raises(ContractReverted) as info:  # the contract checks the order, hash and all
        client.settle(artist.address, job_id, order[::-1])
    assert info.value.error == "RankingOutOfOrder"
    settled = client.settle(artist.address, job_id)
    assigned = [e for e in settled.events if isinstance(e, ev.TilesAssigned)]
    assert [e.worker for e in assigned] == order
