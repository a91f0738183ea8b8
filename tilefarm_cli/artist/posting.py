"""Sending `postJob` so that neither its cost nor its outcome is left to the node.

Before it is signed, the transaction the node helped build is checked: the chain id signed for
is the checked one (never the node's answer at that moment), and its gas may cost at most
`--max-gas-fee` (`tilefarm_cli.artist.gas`); the chain, market, deposit and gas bound are said.
Its hash is computed here from the signed bytes and said before it is sent, so a send that
fails after the node took it still leaves the hash; a node answering another hash is an error
naming both. Every way the send or the wait for its receipt can end badly (the node gone, no
receipt in time, a revert, an interrupt) ends in a message naming that hash and how to look it
up. None invites a blind re-run: a second `submit` posts, and pays for, a second job.
"""

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.exceptions import TimeExhausted
from web3.types import TxParams

from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.chain.records import Receipt
from tilefarm_cli.artist.chain import Market
from tilefarm_cli.artist.errors import ArtistError, PostNotConfirmed, TransactionRefused
from tilefarm_cli.artist.gas import GasBound, check_gas, gas_bound
from tilefarm_cli.artist.job_params import DEFAULT_RECEIPT_TIMEOUT, eth_text, seconds_text


def _cause(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeExhausted):
        return (
            f"no receipt came within {seconds_text(timeout)} (it may still be waiting to be mined)"
        )
    if isinstance(exc, KeyboardInterrupt):
        return "you interrupted it"
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name


class _Sending:
    """What is known of the transaction as it goes: said as it is learnt, kept for errors."""

    def __init__(
        self, market: Market, artist: LocalAccount, deposit: int, cap_wei: int,
        announce: Callable[[str], None], timeout: float,
    ) -> None:  # fmt: skip
        self.market, self.artist, self.deposit, self.cap_wei = market, artist, deposit, cap_wei
        self.announce, self.timeout = announce, timeout
        self.details: dict[str, Any] = {
            "chain_id": market.chain_id, "market": market.client.address,
            "artist": artist.address, "deposit_wei": deposit,
        }  # fmt: skip
        self.gas: GasBound | None = None
        self.signed: str | None = None  # the hash computed here
        self.taken = False  # the node answered that hash

    def before_sign(self, tx: TxParams) -> None:
        market = self.market
        self.details["nonce"] = tx.get("nonce")
        if tx.get("chainId") != market.chain_id:
            raise TransactionRefused(
                f"the postJob transaction was built for chain {tx.get('chainId')}, not the "
                f"checked chain {market.chain_id}: nothing was signed"
            )
        self.gas = gas_bound(tx, self.cap_wei)
        self.details.update(self.gas.fields())
        check_gas(self.gas, market.rpc_url)
        self.announce(
            f"signing postJob on chain {market.chain_id} for the market "
            f"{market.client.address}: a deposit of {eth_text(self.deposit)} ({self.deposit} "
            f"wei) from the artist {self.artist.address}, and {self.gas.text()}"
        )

    def on_signed(self, tx_hash: str) -> None:
        self.signed = tx_hash
        self.announce(
            f"postJob signed: transaction {tx_hash} on chain {self.market.chain_id}; sending it "
            f"to {self.market.rpc_url}"
        )

    def on_sent(self, tx_hash: str) -> None:
        self.taken = True
        self.announce(
            f"postJob sent: the node took transaction {tx_hash}; waiting up to "
            f"{seconds_text(self.timeout)} for it to be mined"
        )


def post_job(
    market: Market,
    artist: LocalAccount,
    params: JobParams,
    manifest_cid: str,
    deposit: int,
    *,
    max_gas_fee: int,
    announce: Callable[[str], None],
    timeout: float = DEFAULT_RECEIPT_TIMEOUT,
) -> tuple[int, Receipt, GasBound]:
    """Sign `postJob` paying `deposit` (already checked) if its gas may cost at most
    `max_gas_fee` wei, send it, and wait up to `timeout` seconds for its receipt; the job id,
    the receipt and the gas bound. `announce` hears what is signed, then the hash at once."""
    sending = _Sending(market, artist, deposit, max_gas_fee, announce, timeout)
    try:
        job_id, receipt = market.client.post_job(
            artist, params, manifest_cid, deposit=deposit, timeout=timeout,
            chain_id=market.chain_id, before_sign=sending.before_sign,
            on_signed=sending.on_signed, on_sent=sending.on_sent,
        )  # fmt: skip
    except (Exception, KeyboardInterrupt) as exc:
        cause = _cause(exc, timeout)
        if sending.signed is not None:
            raise PostNotConfirmed(
                _after_signed(sending, sending.signed, cause),
                tx_hash=sending.signed,
                details=sending.details,
            ) from None
        if isinstance(exc, ArtistError):  # refused before signing (gas, chain)
            raise
        if isinstance(exc, ContractReverted):  # refused when the node estimated it
            raise ArtistError(
                f"the market refused postJob ({exc}); nothing was signed and nothing paid"
            ) from None
        raise ArtistError(
            f"building postJob ({eth_text(deposit)} from {artist.address}) through "
            f"{market.rpc_url} failed ({cause}) before it was signed: nothing was sent and "
            "nothing paid; try again, or pass --rpc-url with another node of the same chain"
        ) from None
    assert sending.gas is not None  # before_sign ran: the transaction was signed
    return job_id, receipt, sending.gas


def _after_signed(sending: _Sending, tx_hash: str, cause: str) -> str:
    """What to do once `tx_hash` was signed (and sent, or maybe sent) and its outcome is not
    known here."""
    market, rpc = sending.market, sending.market.rpc_url
    where = f"(chain {market.chain_id}, market {market.client.address})"
    if sending.taken:
        what = f"postJob was sent in transaction {tx_hash} {where}, but its outcome is not known"
        dropped = "if no node knows it any more, it was dropped and nothing was posted"
    else:
        what = (
            f"postJob was signed as transaction {tx_hash} {where} and handed to the node at "
            f"{rpc}, which did not confirm that it took it; it may have"
        )
        dropped = (
            f"if no node knows it and the artist's nonce is still {sending.details.get('nonce')} "
            f"(`cast nonce {sending.artist.address} --rpc-url {rpc}`), nothing was sent"
        )
    return (
        f"{what}: {cause}. Do not submit again (it would post, and pay for, a second job): "
        f"look the transaction up first, with `cast receipt {tx_hash} --rpc-url {rpc}` or a "
        f"block explorer of chain {market.chain_id}. Once it is mined, its JobPosted event "
        "names the job id (then `tilefarm watch <job id>`); if it reverted, no job was posted "
        f"and only gas was spent; {dropped}"
    )
