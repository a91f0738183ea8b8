"""The chain an artist signs on, and the artist's key.

The market is the one the server follows (`/api/config`: chain id, RPC URL, market address),
never taken on its word: the artist may pin the market (`--market`) and the chain
(`--chain-id`), which the server's must then be, and reach the chain through a node of its own
(`--rpc-url`), which must serve that chain; the server's own node is used only on this
machine or with both pinned (`tilefarm_cli.artist.node_trust`); the contract there must run
this checkout's JobMarket (`tilefarm_cli.artist.market_code`). The key comes only from an
encrypted keystore (the format the deploy command and every wallet read); the server never
sees it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel
from web3 import Web3
from web3.exceptions import Web3Exception

from tilefarm.adapters import keystore
from tilefarm.adapters.chain.artifacts import ArtifactMissing
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import connect_web3
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.chain.records import Receipt
from tilefarm_cli.artist.answers import ServerConfig
from tilefarm_cli.artist.errors import ArtistError, BadAnswer, MarketRefused
from tilefarm_cli.artist.job_params import eth_text
from tilefarm_cli.artist.market_code import check_market_code
from tilefarm_cli.artist.node_trust import check_node_trusted

KEYSTORE_HINT = (
    "make one with `cast wallet import artist --interactive` (~/.foundry/keystores/artist) or "
    "`brownie accounts new artist` (~/.brownie/accounts/artist.json), or export your wallet's "
    "key as an Ethereum keystore JSON"
)


def unlock_artist_key(path: Path, password: str) -> LocalAccount:
    """The artist's key in the keystore at `path`, decrypted with `password`."""
    try:
        return keystore.unlock_keystore(path, password, missing_hint=KEYSTORE_HINT)
    except keystore.KeystoreError as exc:
        raise ArtistError(str(exc)) from None


class Pins(BaseModel):
    """What the artist fixed on the command line rather than take from the server."""

    market: str | None = None  # --market: the market's address
    chain_id: int | None = None  # --chain-id
    rpc_url: str | None = None  # --rpc-url: a node of the artist's own


@dataclass(frozen=True)
class Market:
    """The market a job is posted to, once checked: its client, chain and node."""

    client: JobMarketClient
    chain_id: int
    rpc_url: str
    checked: str  # what the code check found, in words
    rpc_from_server: bool  # the node is the one the server named (not --rpc-url)


def _pinned(config: ServerConfig, server_url: str, pins: Pins) -> tuple[str, int]:
    """The market's address and chain id: the server's, which must be the pinned ones."""
    address = config.market_address
    if not address:
        raise ArtistError(
            f"the server at {server_url} follows no market (it runs without a deployments file), "
            "so no job can be posted through it; ask its operator, or use another server"
        )
    if not Web3.is_address(address):
        raise BadAnswer(
            server_url, "reading the server's config", f"market_address {address!r} is no address"
        )
    if pins.market is not None and Web3.to_checksum_address(pins.market) != (
        Web3.to_checksum_address(address)
    ):
        raise MarketRefused(
            f"--market {pins.market}, but the server at {server_url} follows the market "
            f"{address}: it would not see your job (its page, watch and fetch read that "
            "market); nothing was signed; use a server that follows the market you pinned"
        )
    chain_id = config.chain_id
    if pins.chain_id is not None and chain_id is not None and pins.chain_id != chain_id:
        raise MarketRefused(
            f"--chain-id {pins.chain_id}, but the server at {server_url} follows chain "
            f"{chain_id}; nothing was signed; use a server of the chain you pinned"
        )
    chain_id = pins.chain_id if pins.chain_id is not None else chain_id
    if chain_id is None:
        raise ArtistError(
            f"the server at {server_url} does not say which chain it follows (its node does "
            "not answer); pass --chain-id (and --rpc-url) to say which, or try again later"
        )
    return Web3.to_checksum_address(address), chain_id


def connect_market(config: ServerConfig, server_url: str, pins: Pins | None = None) -> Market:
    """The market the server's `config` names, reached at `pins.rpc_url` (default: the
    server's node, if it is on this machine or the chain and market are pinned: `node_trust`),
    after checking it is the pinned one, that node serves the server's chain, and the contract
    there runs this checkout's JobMarket (`market_code`); else a refusal before anything is
    signed."""
    pins = pins or Pins()
    address, chain_id = _pinned(config, server_url, pins)
    rpc = urljoin(server_url + "/", pins.rpc_url or config.rpc_url)
    check_node_trusted(
        rpc, server_url, own_node=pins.rpc_url is not None,
        chain_pinned=pins.chain_id is not None, market_pinned=pins.market is not None,
    )  # fmt: skip
    w3 = connect_web3(rpc, timeout=30, retries=3)
    try:
        served = int(w3.eth.chain_id)
        if served != chain_id:
            raise ArtistError(
                f"the server {server_url} follows chain {chain_id}, but {rpc} serves chain "
                f"{served}: nothing was signed; pass --rpc-url with a node of chain {chain_id}"
            )
        market = JobMarketClient.from_build(w3, address)
        checked = check_market_code(market, f"chain {chain_id} (read through {rpc})")
    except ArtifactMissing:
        raise ArtistError(
            "this checkout has no contract build: run `make setup` (without it the market's "
            "code cannot be checked, and nothing is signed for a market that is not checked)"
        ) from None
    except (requests.RequestException, OSError, Web3Exception) as exc:
        raise ArtistError(
            f"the chain's RPC at {rpc} does not answer ({type(exc).__name__}); "
            "pass --rpc-url with a node of the same chain that does"
        ) from None
    return Market(
        client=market, chain_id=chain_id, rpc_url=rpc, checked=checked,
        rpc_from_server=pins.rpc_url is None,
    )  # fmt: skip


@contextmanager
def node_failures(rpc_url: str) -> Iterator[None]:
    """A node that fails a read (gone, timed out, an error answer) as an `ArtistError` naming
    it: these reads come before anything is signed."""
    try:
        yield
    except (requests.RequestException, OSError, Web3Exception) as exc:
        cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ArtistError(
            f"the chain's node at {rpc_url} failed ({cause}); nothing was signed: try again, "
            "or pass --rpc-url with another node of the same chain"
        ) from None


def chain_now(market: JobMarketClient) -> int:
    """The chain's clock (the latest block's timestamp): the contract's windows count from it."""
    return int(market.w3.eth.get_block("latest")["timestamp"])


def check_funds(
    market: JobMarketClient, artist: str, params: JobParams, deposit: int | None = None
) -> int:
    """The deposit the job locks (`deposit`, else the contract's quote); refused when `artist`
    holds less."""
    if deposit is None:
        deposit = market.quote(
            params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile
        )
    balance = int(market.w3.eth.get_balance(artist))  # type: ignore[arg-type]
    if balance < deposit:
        raise ArtistError(
            f"not enough ETH: this job locks {eth_text(deposit)} plus gas, and the artist "
            f"{artist} holds {eth_text(balance)} on chain {market.w3.eth.chain_id}; lower "
            "--max-price or fund the account"
        )
    return deposit


def post_job(
    market: JobMarketClient, artist: LocalAccount, params: JobParams, manifest_cid: str
) -> tuple[int, Receipt]:
    """Sign and send `postJob`, paying exactly the job's quote; the job id and the receipt."""
    check_funds(market, artist.address, params)
    return market.post_job(artist, params, manifest_cid)
