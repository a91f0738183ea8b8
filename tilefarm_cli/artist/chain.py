"""The chain an artist signs on, and the artist's key.

The market is the one the server follows (`/api/config`: chain id, RPC URL, market address); the
artist may reach that chain through another node (`--rpc-url`), which must serve the same chain
and hold the market's code there. The key comes only from an encrypted keystore (the format the
deploy command and every wallet read); the server never sees it.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from eth_account.signers.local import LocalAccount

from tilefarm.adapters import keystore
from tilefarm.adapters.chain.artifacts import ArtifactMissing
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import check_market, connect_web3
from tilefarm.adapters.chain.errors import WrongChain
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.chain.records import Receipt
from tilefarm_cli.artist.errors import ArtistError
from tilefarm_cli.artist.job_params import eth_text

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


def connect_market(
    config: dict[str, Any], server_url: str, rpc_url: str | None = None
) -> JobMarketClient:
    """The market the server's `config` names, reached at `rpc_url` (default: the server's),
    after checking that node serves the server's chain and holds the market there."""
    address = config.get("market_address")
    if not address:
        raise ArtistError(
            f"the server at {server_url} follows no market (it runs without a deployments file), "
            "so no job can be posted through it; ask its operator, or use another server"
        )
    rpc = urljoin(server_url + "/", rpc_url or str(config["rpc_url"]))
    w3 = connect_web3(rpc, timeout=30, retries=3)
    chain_id = config.get("chain_id")
    try:
        check_market(w3, address, rpc, chain_id, f"the server {server_url}")
    except WrongChain as exc:
        raise ArtistError(f"{exc}; pass --rpc-url with a node of chain {chain_id}") from None
    except (requests.RequestException, OSError) as exc:
        raise ArtistError(
            f"the chain's RPC at {rpc} does not answer ({type(exc).__name__}); "
            "pass --rpc-url with a node of the same chain that does"
        ) from None
    try:  # the ABI of this checkout's build, which every program uses; else the server's
        return JobMarketClient.from_build(w3, address)
    except ArtifactMissing:
        abi = config.get("market_abi")
        if not abi:
            raise ArtistError(
                f"neither this checkout (no contract build) nor the server at {server_url} has "
                "the market's ABI; run `make setup`"
            ) from None
        return JobMarketClient(w3, address, abi)


def chain_now(market: JobMarketClient) -> int:
    """The chain's clock (the latest block's timestamp): the contract's windows count from it."""
    return int(market.w3.eth.get_block("latest")["timestamp"])


def check_funds(market: JobMarketClient, artist: str, params: JobParams) -> int:
    """The deposit the job locks (the contract's quote); refused when `artist` holds less."""
    deposit = market.quote(params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile)
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
