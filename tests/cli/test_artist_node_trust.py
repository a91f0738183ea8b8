"""`tilefarm submit` signs through the server's node only where that node cannot choose where
the money goes: on this machine (the devnet, the demo), or with the chain and the market
pinned (`--chain-id` and `--market`, which the server's must then be), or where the artist
named a node of its own (`--rpc-url`). A server off this machine whose node is its own is a
real anvil reached through a relay on this machine's outward address, a name no loopback rule
lets through. Cost: one keystore unlock a test, one posted job."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_typing import HexStr

from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm_cli.artist.node_trust import on_loopback
from tilefarm_cli.artist.submit import Submitted

from .artist_cli import cli, flat
from .conftest import Chain
from .fake_server import FakeServer, fake_server, outward_address, relay
from .job_server import job_routes

ARTIST = 4  # a devnet account no other test of this folder signs with


def test_loopback_is_read_from_the_url_as_written() -> None:
    for url in ("http://127.0.0.1:8545", "http://localhost:8545/", "http://[::1]:8545",
                "http://127.8.0.3/rpc", "https://LOCALHOST"):  # fmt: skip
        assert on_loopback(url), url
    for url in ("http://192.0.2.2:8545", "https://rpc.example", "http://localhost.example",
                "http://[::ffff:7f00:1]:8545", "http://0.0.0.0:8545", "/rpc"):  # fmt: skip
        assert not on_loopback(url), url


@pytest.fixture
def remote(chain: Chain) -> Iterator[FakeServer]:
    """A server off this machine (as the command sees it) naming its own node, `/rpc`."""
    try:
        host = outward_address()
    except OSError:
        pytest.skip("this machine has no address but loopback to serve a remote node from")
    with fake_server(job_routes(chain, rpc_url="/rpc"), host=host) as server:
        server.routes[("POST", "/rpc")] = relay(chain.rpc_url)
        yield server


def submit(server: FakeServer, blend: Path, keystore: Path, *more: object) -> tuple[int, str]:
    result = cli("submit", blend, "--server", server.url, "--keystore", keystore, "--no-pack",
                 "--grid", "1x1", *more)  # fmt: skip
    assert "Traceback" not in result.output
    return result.exit_code, flat(result.output)


def nonce(chain: Chain) -> int:
    return chain.w3.eth.get_transaction_count(dev_account(ARTIST).address, "pending")


@pytest.mark.chain
def test_the_servers_node_off_this_machine_is_refused_without_both_pins(
    chain: Chain, remote: FakeServer, blend: Path, keystore: Path
) -> None:
    market = chain.address("JobMarket")
    before = nonce(chain)
    for pins, missing in (
        ((), "--chain-id and --market"),
        (("--chain-id", "31337"), "--market"),
        (("--market", market), "--chain-id"),
    ):
        code, said = submit(remote, blend, keystore, *pins)
        assert code == 1
        assert f"names the chain's node {remote.url}/rpc, which is not on this machine" in said
        assert "Pass --rpc-url with a node you run or trust, or pin the chain" in said
        assert f"(missing: {missing})" in said and "nothing was signed" in said
    # Refused on the URL alone: nothing was read through that node, nothing uploaded.
    assert set(remote.asked) == {("GET", "/api/config")}
    assert nonce(chain) == before


@pytest.mark.chain
def test_pins_the_server_does_not_match_are_refused_before_its_node_is_asked(
    chain: Chain, remote: FakeServer, blend: Path, keystore: Path
) -> None:
    market, other = chain.address("JobMarket"), chain.address("HealthCheck")
    code, said = submit(remote, blend, keystore, "--chain-id", "1", "--market", market)
    assert code == 1 and "--chain-id 1, but the server at" in said and "follows chain 31337" in said
    code, said = submit(remote, blend, keystore, "--chain-id", "31337", "--market", other)
    assert code == 1 and f"--market {other}, but the server at {remote.url}" in said
    assert set(remote.asked) == {("GET", "/api/config")}


@pytest.mark.chain
def test_with_both_pins_matching_a_job_is_posted_through_the_servers_remote_node(
    chain: Chain, remote: FakeServer, blend: Path, keystore: Path
) -> None:
    market = chain.address("JobMarket")
    result = cli("submit", blend, "--server", remote.url, "--keystore", keystore, "--no-pack",
                 "--grid", "1x1", "--chain-id", "31337", "--market", market, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    job = Submitted.model_validate_json(result.stdout)
    assert (job.chain_id, job.market) == (31337, market)
    assert ("POST", "/rpc") in remote.asked  # everything went through the server's node
    # Still said: the code check rested on the server's node.
    said = flat(result.stderr)
    assert f"read through the server's own node ({remote.url}/rpc), which could answer" in said
    assert job.warnings and "which could answer anything" in job.warnings[0]
    receipt = chain.w3.eth.get_transaction_receipt(HexStr(job.tx_hash))
    assert receipt["from"] == dev_account(ARTIST).address


@pytest.mark.chain
def test_an_rpc_url_of_the_artists_own_is_used_instead_of_the_servers_remote_node(
    chain: Chain, remote: FakeServer, blend: Path, keystore: Path
) -> None:
    # Stopped at the fee check, after the market was checked through the artist's node.
    code, said = submit(remote, blend, keystore, "--rpc-url", chain.rpc_url,
                        "--max-protocol-fee", "0.5")  # fmt: skip
    assert code == 1 and "protocol fee of 1 %" in said, said
    assert f"the market {chain.address('JobMarket')} on chain 31337" in said
    assert ("POST", "/rpc") not in remote.asked
