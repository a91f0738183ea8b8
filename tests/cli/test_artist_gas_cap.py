"""What postJob's gas may cost is bounded before it is signed: the node suggests the gas limit
and the fees, and a transaction whose gas limit times max fee per gas is above `--max-gas-fee`
(0.01 ETH unless the artist says) is refused, the artist's nonce untouched. The bound itself is
plain arithmetic on the built transaction; the refusals run on a real anvil, with a fake server
that stores the scene and manifest, and (for a node asking a huge priority fee) a relay to the
anvil that lies about `eth_maxPriorityFeePerGas`. Cost: one keystore unlock a chain test."""

import json
from pathlib import Path
from typing import Any

import pytest

from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm_cli.artist.errors import TransactionRefused
from tilefarm_cli.artist.gas import GWEI, gas_bound

from .artist_cli import cli, flat
from .conftest import Chain
from .fake_server import Reply, fake_server, relay
from .job_server import job_routes

ARTIST = 8  # a devnet account no other test of this folder signs with
CAP = 10**16


def test_the_worst_case_is_the_gas_limit_times_the_max_fee_per_gas() -> None:
    bound = gas_bound({"gas": 160_000, "maxFeePerGas": 60 * GWEI,
                       "maxPriorityFeePerGas": 2 * GWEI}, CAP)  # fmt: skip
    assert bound.max_gas_cost_wei == 160_000 * 60 * GWEI
    assert bound.max_priority_fee_per_gas_wei == 2 * GWEI
    assert "gas of at most 0.0096 ETH (160000 gas at up to 60 gwei a gas, 2 gwei of it" in (
        bound.text()
    )
    legacy = gas_bound({"gas": "0x5208", "gasPrice": hex(30 * GWEI)}, CAP)
    assert legacy.max_gas_cost_wei == 21_000 * 30 * GWEI
    assert legacy.max_priority_fee_per_gas_wei is None


def test_a_transaction_naming_no_fee_cannot_be_bounded_and_is_refused() -> None:
    with pytest.raises(TransactionRefused, match="cannot be bounded: nothing was signed"):
        gas_bound({"gas": 160_000}, CAP)


def refused(server_url: str, blend: Path, keystore: Path, *more: object) -> str:
    result = cli("submit", blend, "--server", server_url, "--keystore", keystore, "--no-pack",
                 "--grid", "1x1", *more)  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return flat(result.output)


def nonce(chain: Chain) -> int:
    return chain.w3.eth.get_transaction_count(dev_account(ARTIST).address, "pending")


@pytest.mark.chain
def test_a_gas_cap_below_postjobs_worst_case_refuses_it_before_signing(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    before = nonce(chain)
    with fake_server(job_routes(chain)) as server:
        said = refused(server.url, blend, keystore, "--max-gas-fee", "0.00001")
    assert "postJob's gas could cost up to" in said
    assert "more than your --max-gas-fee of 0.00001 ETH: nothing was signed" in said
    assert "postJob signed" not in said
    assert nonce(chain) == before
    with fake_server(job_routes(chain)) as server:
        said = refused(server.url, blend, keystore, "--max-gas-fee", "lots")
    assert "--max-gas-fee 'lots' is not an amount of ETH: write a decimal like 0.001" in said
    assert server.asked == []  # refused before the server was asked anything


def overcharge(request: dict[str, Any], _answer: bytes) -> Reply | None:
    """A node suggesting a priority fee of 1,000 gwei a gas."""
    if request.get("method") != "eth_maxPriorityFeePerGas":
        return None
    body = {"jsonrpc": "2.0", "id": request["id"], "result": hex(1_000 * GWEI)}
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


@pytest.mark.chain
def test_a_node_suggesting_a_huge_priority_fee_is_refused_under_the_default_cap(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    before = nonce(chain)
    with fake_server({}) as rpc:
        rpc.routes[("POST", "/")] = relay(chain.rpc_url, overcharge)
        with fake_server(job_routes(chain, rpc_url=rpc.url + "/")) as server:
            said = refused(server.url, blend, keystore)
    assert "gwei of it the priority fee, as the node at" in said
    assert "1000 gwei of it the priority fee" in said
    assert "more than your --max-gas-fee of 0.01 ETH: nothing was signed" in said
    assert "a node overcharging you: pass --rpc-url with another node" in said
    assert nonce(chain) == before
