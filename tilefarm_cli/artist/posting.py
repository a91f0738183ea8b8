"""Sending `postJob` so that its outcome is never lost: the transaction's hash is said the
moment the node takes it, before the wait for its receipt, and every way the wait can end
badly (no receipt in time, the node gone, a revert, an interrupt) ends in a message that names
that hash and how to look it up. None invites a blind re-run: a second `submit` posts, and
pays for, a second job.

Before the node takes it, whether a transaction left is not always known (a node that stops
answering mid-send may have taken it): the artist's nonce then says, and the message names it.
"""

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.exceptions import TimeExhausted

from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.chain.records import Receipt
from tilefarm_cli.artist.chain import Market, node_failures
from tilefarm_cli.artist.errors import ArtistError, PostNotConfirmed
from tilefarm_cli.artist.job_params import DEFAULT_RECEIPT_TIMEOUT, eth_text, seconds_text


def _cause(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeExhausted):
        return (
            f"no receipt came within {seconds_text(timeout)} (it may still be waiting to be mined)"
        )
    if isinstance(exc, KeyboardInterrupt):
        return "you interrupted the wait"
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name


def post_job(
    market: Market,
    artist: LocalAccount,
    params: JobParams,
    manifest_cid: str,
    deposit: int,
    *,
    announce: Callable[[str], None],
    timeout: float = DEFAULT_RECEIPT_TIMEOUT,
) -> tuple[int, Receipt]:
    """Sign `postJob` paying `deposit` (already checked), send it, and wait up to `timeout`
    seconds for its receipt; the job id and the receipt. `announce` hears the hash at once."""
    details: dict[str, Any] = {
        "chain_id": market.chain_id, "market": market.client.address,
        "artist": artist.address, "deposit_wei": deposit,
    }  # fmt: skip
    sent: list[str] = []

    def on_sent(tx_hash: str) -> None:
        sent.append(tx_hash)
        announce(
            f"postJob sent: transaction {tx_hash} on chain {market.chain_id}; waiting up to "
            f"{seconds_text(timeout)} for it to be mined"
        )

    with node_failures(market.rpc_url):
        nonce = market.client.w3.eth.get_transaction_count(artist.address, "pending")
    try:
        return market.client.post_job(
            artist, params, manifest_cid, deposit=deposit, on_sent=on_sent, timeout=timeout
        )
    except (Exception, KeyboardInterrupt) as exc:
        cause = _cause(exc, timeout)
        if sent:
            raise PostNotConfirmed(
                _after_sent(market, sent[0], cause), tx_hash=sent[0], details=details
            ) from None
        if isinstance(exc, ContractReverted):  # refused when the node estimated it
            raise ArtistError(
                f"the market refused postJob ({exc}); nothing was sent and nothing paid"
            ) from None
        raise PostNotConfirmed(
            f"sending postJob ({eth_text(deposit)} from {artist.address}) through "
            f"{market.rpc_url} failed ({cause}), and the node may have taken it before it "
            f"failed. Before submitting again, look at the artist's account on chain "
            f"{market.chain_id}: if its nonce is still {nonce} (`cast nonce {artist.address} "
            f"--rpc-url {market.rpc_url}`), nothing was sent; if it moved, the job may be "
            "posted: find the transaction in the account's history",
            tx_hash=None,
            details={**details, "nonce": nonce},
        ) from None


def _after_sent(market: Market, tx_hash: str, cause: str) -> str:
    """What to do once `tx_hash` left and its outcome is not known here."""
    return (
        f"postJob was sent in transaction {tx_hash} (chain {market.chain_id}, market "
        f"{market.client.address}), but its outcome is not known: {cause}. Do not submit again "
        "(it would post, and pay for, a second job): look the transaction up first, with "
        f"`cast receipt {tx_hash} --rpc-url {market.rpc_url}` or a block explorer of chain "
        f"{market.chain_id}. Once it is mined, its JobPosted event names the job id (then "
        "`tilefarm watch <job id>`); if it reverted, no job was posted and only gas was "
        "spent; if no node knows it any more, it was dropped and nothing was posted"
    )
