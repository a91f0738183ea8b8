"""`tilefarm submit` signs for no market on the server's word: a server naming a contract that
is not this checkout's JobMarket (another contract, an account), a market or chain other than
the artist pinned, or a fee above what the artist accepts, is refused before anything is
uploaded or signed (the artist's nonce does not move). On a real anvil with the protocol
deployed from this checkout's build; the server is a fake one (`fake_server`) that answers
only `/api/config`. Cost: one anvil and four contracts for the folder, a keystore unlock a test.
"""

from pathlib import Path

import pytest
from web3 import Web3

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm_cli.artist.deposit import deposit_bound
from tilefarm_cli.artist.market_code import built_code, check_market_code, same_code

from .artist_cli import cli, flat
from .conftest import Chain
from .fake_server import FakeServer, Route, fake_server, json_reply

pytestmark = pytest.mark.chain
ARTIST = 6  # a devnet account no other test of this folder signs with
MILLI, MICRO = 10**15, 10**12


def config(chain: Chain, market: str, chain_id: int = 31337) -> dict[tuple[str, str], Route]:
    body = {"chain_id": chain_id, "rpc_url": chain.rpc_url, "market_address": market,
            "market_abi": None, "devnet": True}  # fmt: skip
    return {("GET", "/api/config"): json_reply(body)}


def submit(server: FakeServer, blend: Path, keystore: Path, *more: object) -> str:
    result = cli("submit", blend, "--server", server.url, "--keystore", keystore, "--no-pack",
                 *more)  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return flat(result.output)


def nonce(chain: Chain) -> int:
    return chain.w3.eth.get_transaction_count(dev_account(ARTIST).address, "pending")


@pytest.mark.parametrize("named", ["HealthCheck", "an account"])
def test_a_server_naming_something_other_than_the_market_is_refused_before_anything_is_signed(
    chain: Chain, blend: Path, keystore: Path, named: str
) -> None:
    address = chain.address("HealthCheck") if named == "HealthCheck" else dev_account(9).address
    before = nonce(chain)
    with fake_server(config(chain, address)) as server:
        said = submit(server, blend, keystore)
    assert f"the market {address} on chain 31337" in said
    assert "is not this checkout's JobMarket" in said and "Nothing was signed" in said
    if named == "an account":
        assert "no code at all" in said
    assert server.asked == [("GET", "/api/config")]  # no upload, no manifest
    assert nonce(chain) == before


def test_a_pinned_market_or_chain_the_server_does_not_follow_is_refused(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    market = chain.address("JobMarket")
    other = chain.address("HealthCheck")
    before = nonce(chain)
    with fake_server(config(chain, market)) as server:
        said = submit(server, blend, keystore, "--market", other)
        assert f"--market {other}, but the server at {server.url} follows the market" in said
        said = submit(server, blend, keystore, "--chain-id", "1")
        assert f"--chain-id 1, but the server at {server.url} follows chain 31337" in said
        said = submit(server, blend, keystore, "--market", "0x1234")
        assert "--market '0x1234': give the market's address" in said
    assert ("POST", "/api/scenes") not in server.asked
    assert nonce(chain) == before


def test_a_node_of_another_chain_is_refused_for_the_servers_chain(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    with fake_server(config(chain, chain.address("JobMarket"), chain_id=11_155_111)) as server:
        said = submit(server, blend, keystore)
    assert f"follows chain 11155111, but {chain.rpc_url} serves chain 31337" in said
    assert ("POST", "/api/scenes") not in server.asked


def test_a_market_taking_more_fee_than_the_artist_accepts_is_refused_before_the_upload(
    chain: Chain, blend: Path, keystore: Path
) -> None:
    with fake_server(config(chain, chain.address("JobMarket"))) as server:
        said = submit(server, blend, keystore, "--max-protocol-fee", "0.5")
    assert "protocol fee of 1 % on top of each tile's price, more than the 0.5 % you accept" in said
    assert ("POST", "/api/scenes") not in server.asked


def test_this_checkouts_market_passes_the_code_check_with_its_own_immutables(
    chain: Chain,
) -> None:
    market = JobMarketClient.from_build(chain.w3, chain.address("JobMarket"))
    checked = check_market_code(market, "chain 31337")
    assert f"RoundKeeper {chain.address('RoundKeeper')}" in checked
    assert f"PanelCourt {chain.address('PanelCourt')}" in checked
    # Its immutables differ from the build's zeros, yet only they: one other byte and it is not.
    deployed = bytes(chain.w3.eth.get_code(Web3.to_checksum_address(market.address)))
    built = built_code("JobMarket")
    assert deployed != built.code and same_code(deployed, built)
    start, _length = built.immutables[0]
    tampered = bytearray(deployed)
    tampered[start - 2] ^= 0xFF  # the instruction before the first immutable's PUSH32
    assert not same_code(bytes(tampered), built)
    # And its quote is the protocol's arithmetic as computed here (1 % fee on the devnet).
    assert market.quote(6, MILLI, MICRO) == deposit_bound(6, MILLI, MICRO, 100)
