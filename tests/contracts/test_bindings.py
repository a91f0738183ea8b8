"""The web3 bindings the worker, server and auditor use, against a Brownie-deployed market: typed
records, transactions, decoded events named as the contract's, decoded custom errors, and the
pure helpers agreeing with the contract's own hashing."""

import json

import pytest
from brownie import chain, web3
from eth_utils import keccak
from helpers import BID_WINDOW, MIN_STAKE, REVEAL_WINDOW, tile_leaves

from tilefarm.chain import events as ev
from tilefarm.chain.bids import bid_commitment, rank_key
from tilefarm.chain.bindings import JobMarketClient
from tilefarm.chain.deploy import DeployedContract, Deployments
from tilefarm.chain.errors import ContractReverted
from tilefarm.merkle import merkle_proof, merkle_root
from tilefarm.paths import BUILD_DIR


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


def test_a_whole_job_through_the_bindings(client, artist, worker, verifier):
    a, w, v = artist.address, worker.address, verifier.address
    client.stake(w, MIN_STAKE)
    client.stake(v, MIN_STAKE)
    job_id, receipt = client.post_job(a, params(), "bafy-manifest")
    posted = receipt.event(ev.JobPosted)
    assert (
        posted.params == params() and posted.manifest_cid == "bafy-manifest" and posted.artist == a
    )
    salt = b"\x07" * 32
    assert client.contract.functions.bidCommitment(
        job_id, w, 500, 8, salt
    ).call() == bid_commitment(job_id, w, 500, 8, salt)
    client.commit_bid(w, job_id, bid_commitment(job_id, w, 500, 8, salt))
    chain.sleep(BID_WINDOW + 1)
    chain.mine()
    client.reveal_bid(w, job_id, 500, 8, salt)
    chain.sleep(REVEAL_WINDOW + 1)
    chain.mine()
    assert client.ranking(job_id) == [w]
    settled = client.settle(a, job_id)
    assert settled.event(ev.TilesAssigned).tile_count == 8
    assert client.job(job_id).status_name == "Active"
    leaves = tile_leaves(0, 8)
    client.commit_results(w, job_id, merkle_root(leaves), "bafy-results")
    assert client.seat(job_id, w).state_name == "Submitted"
    assert client.verify_tile(
        job_id, w, 3, keccak(text="cid-3"), keccak(text="px-3"), merkle_proof(leaves, 3)
    )
    chain.mine(3)
    assert client.preview_verifier(job_id, w) == v
    attested = client.attest(v, job_id, w, True, "bafy-evidence")
    drawn = attested.event(ev.VerifierDrawn)
    assert drawn.verifier == v and drawn.seed.startswith("0x")
    assert attested.event(ev.ResultsAccepted).payment == 8 * 500
    assert client.job(job_id).terminal
    assert client.balance_of(w) == 8 * 500 + 10**16
    withdrawn = client.withdraw(w)
    assert withdrawn.event(ev.Withdrawn).amount == 8 * 500 + 10**16
    history = client.events(job_id=job_id)
    assert [type(e).__name__ for e in history][:2] == ["JobPosted", "BidCommitted"]
    assert history[-1].block_number >= history[0].block_number
    assert json.loads(history[0].model_dump_json(by_alias=True))["jobId"] == job_id


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


def test_rank_key_matches_the_contract(market, worker):
    assert market.rankKey(5, worker, 77) == rank_key(5, worker.address, 77)
