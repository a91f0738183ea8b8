"""Once `tilefarm submit` has signed postJob, its transaction's hash is never lost: it is
computed from the signed bytes and said before the transaction is sent, it is the hash that is
mined, and every way the send or the wait can end badly ends in words that name it, how to
look it up and that submitting again would post a second job (no traceback). A node answering
another hash for it, or taking it without answering, is met with the hash computed here. On a
real anvil (its mining paused where a test says); the server is a fake one that stores the
scene and the manifest as the real one answers them, its node a relay to the anvil that lies
where a test says. Cost: one keystore unlock a test and a two-second wait."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_typing import HexStr
from typer.testing import Result

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobPosted
from tilefarm_cli.artist.job_params import eth_text
from tilefarm_cli.artist.submit import Submitted

from .artist_cli import cli, flat
from .conftest import Chain
from .fake_server import Reply, fake_server, relay
from .job_server import job_routes

pytestmark = pytest.mark.chain
ARTIST = 7  # a devnet account no other test of this folder signs with
OTHER_HASH = "0x" + "ab" * 32


@pytest.fixture
def paused(chain: Chain) -> Iterator[Chain]:
    """The chain takes transactions but mines none until the test mines one."""
    chain.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield chain
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def submit(server_url: str, blend: Path, keystore: Path, *more: object) -> Result:
    return cli(
        "submit", blend, "--server", server_url, "--keystore", keystore, "--no-pack",
        "--grid", "1x1", "--json", *more,
    )  # fmt: skip


def posted_by(chain: Chain, tx_hash: str) -> JobPosted:
    """The JobPosted event the mined transaction `tx_hash` emitted."""
    receipt = chain.w3.eth.get_transaction_receipt(HexStr(tx_hash))
    assert "0x" + bytes(receipt["transactionHash"]).hex() == tx_hash
    market = JobMarketClient.from_build(chain.w3, chain.address("JobMarket"))
    (posted,) = [e for e in market.decode_receipt(receipt) if isinstance(e, JobPosted)]
    return posted


def test_the_hash_said_before_sending_is_the_mined_transactions_and_its_gas_is_bounded(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    with fake_server(job_routes(chain)) as server:
        result = submit(server.url, blend, keystore)
    assert result.exit_code == 0, result.output
    job = Submitted.model_validate_json(result.stdout)
    said = flat(result.stderr)
    assert said.index("signing postJob") < said.index(f"postJob signed: transaction {job.tx_hash}")
    assert said.index("postJob signed") < said.index(f"the node took transaction {job.tx_hash}")
    posted = posted_by(chain, job.tx_hash)
    assert posted.job_id == job.job_id and posted.artist == dev_account(ARTIST).address
    # The gas bound said before signing, and kept in the JSON.
    assert job.max_gas_cost_wei == job.gas_limit * job.max_fee_per_gas_wei
    assert job.gas_used <= job.gas_limit and job.max_gas_cost_wei <= job.max_gas_fee_wei
    assert job.max_gas_fee_wei == 10**16  # the default, 0.01 ETH
    assert f"and gas of at most {eth_text(job.max_gas_cost_wei)} ({job.gas_limit} gas" in said
    assert "--max-gas-fee 0.01 ETH" in said


def test_a_post_without_a_receipt_in_time_names_its_transaction_and_never_asks_for_a_rerun(
    paused: Chain, blend: Path, keystore: Path
) -> None:
    with fake_server(job_routes(paused)) as server:
        result = submit(server.url, blend, keystore, "--receipt-timeout", "2")
    assert result.exit_code == 1 and "Traceback" not in result.output
    # What a pipeline keeps: the transaction to look up, the chain, market, deposit and gas.
    failed = json.loads(result.stdout)
    tx_hash = failed["tx_hash"]
    assert failed["chain_id"] == 31337 and failed["market"] == paused.address("JobMarket")
    assert failed["artist"] == dev_account(ARTIST).address and failed["deposit_wei"] > 0
    assert failed["max_gas_cost_wei"] <= failed["max_gas_fee_wei"]
    said = flat(result.stderr)
    # Said before signing, then before it was sent, then once the node took it.
    assert f"signing postJob on chain 31337 for the market {paused.address('JobMarket')}" in said
    assert f"({failed['deposit_wei']} wei) from the artist" in said
    assert said.index("signing postJob") < said.index(f"postJob signed: transaction {tx_hash}")
    assert said.index("postJob signed") < said.index("postJob sent") < said.index("error:")
    assert f"cast receipt {tx_hash} --rpc-url {paused.rpc_url}" in said
    assert "Do not submit again" in said
    # The transaction is real: once mined, it posted the job, paying what was said.
    paused.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    posted = posted_by(paused, tx_hash)
    assert posted.artist == dev_account(ARTIST).address
    assert posted.deposit == failed["deposit_wei"]


def lie_about_the_hash(request: dict[str, Any], _answer: bytes) -> Reply | None:
    """A node that takes the transaction (the relay passed it on) but names another one."""
    if request.get("method") != "eth_sendRawTransaction":
        return None
    body = {"jsonrpc": "2.0", "id": request["id"], "result": OTHER_HASH}
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


def fail_after_taking_it(request: dict[str, Any], _answer: bytes) -> Reply | None:
    """A node that takes the transaction (the relay passed it on) and then fails to say so."""
    if request.get("method") != "eth_sendRawTransaction":
        return None
    return 502, {"content-type": "text/plain"}, b"bad gateway"


@pytest.mark.parametrize("node", [lie_about_the_hash, fail_after_taking_it])
def test_a_node_that_took_postjob_but_answered_wrong_leaves_the_artist_the_signed_hash(
    chain: Chain, blend: Path, keystore: Path, node: Any
) -> None:
    with fake_server({}) as rpc:
        rpc.routes[("POST", "/")] = relay(chain.rpc_url, node)
        with fake_server(job_routes(chain, rpc_url=rpc.url + "/")) as server:
            result = submit(server.url, blend, keystore)
    assert result.exit_code == 1 and "Traceback" not in result.output
    failed = json.loads(result.stdout)
    tx_hash = failed["tx_hash"]
    said = flat(result.stderr)
    assert said.index(f"postJob signed: transaction {tx_hash}") < said.index("error:")
    assert "postJob sent" not in said  # the node never said it took it
    assert f"postJob was signed as transaction {tx_hash}" in said and "it may have" in said
    assert "Do not submit again" in said and f"cast receipt {tx_hash}" in said
    if node is lie_about_the_hash:
        named = f"the node answered transaction {OTHER_HASH} for the postJob signed here as"
        assert f"{named} transaction {tx_hash}: not the same" in said
    # What the artist was told to look up is the transaction that posted the job.
    assert posted_by(chain, tx_hash).artist == dev_account(ARTIST).address
