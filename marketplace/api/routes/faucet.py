"""`/api/faucet`: test ETH for a browser's local key, on the devnet (chain 31337) only.

It sends from one of anvil's development accounts, whose keys are public (derived from anvil's
well-known mnemonic): fine on a throwaway local chain, never anywhere else, so the route checks
the node's own chain id on every call. One grant per address per `faucet_interval_seconds`.
"""

import threading
import time
from typing import Annotated, Any

from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from web3 import Web3

from marketplace.api.chain import DEVNET_CHAIN_ID, checksum, node_chain_id
from marketplace.api.deps import Services, services
from marketplace.api.page_schemas import FaucetGrant, FaucetRequest
from marketplace.api.schemas import ERROR_RESPONSES, ErrorBody
from marketplace.errors import MarketplaceError, NotFound, UpstreamUnavailable
from marketplace.settings import MarketplaceSettings
from tilefarm.adapters.chain.connection import connect_web3
from tilefarm.adapters.chain.devkeys import dev_account

router = APIRouter(prefix="/api", tags=["page"])

TRANSFER_GAS = 21_000


class RateLimited(MarketplaceError):
    status = 429
    code = "rate_limited"


class Faucet:
    """Sends `faucet_wei` from a dev account, at most once per interval per address."""

    def __init__(self, settings: MarketplaceSettings) -> None:
        self.settings = settings
        self.w3: Web3 = connect_web3(settings.rpc_url, timeout=10, retries=2)
        self.account: LocalAccount = dev_account(settings.faucet_account_index)
        self._lock = threading.Lock()  # one nonce at a time
        self._granted: dict[str, float] = {}

    def wait_left(self, address: str) -> float:
        """Seconds `address` must still wait before its next grant (0: none)."""
        last = self._granted.get(address)
        if last is None:
            return 0.0
        return max(0.0, last + self.settings.faucet_interval_seconds - time.monotonic())

    def send(self, address: str) -> str:
        """Send the grant to `address` and wait until it is mined; returns the tx hash."""
        with self._lock:
            left = self.wait_left(address)
            if left > 0:
                raise RateLimited(
                    f"the faucet already funded {address}; it sends to an address once every "
                    f"{self.settings.faucet_interval_seconds:.0f} s: try again in {left:.0f} s",
                    details={"retry_after_seconds": round(left)},
                )
            try:
                tx: dict[str, Any] = {
                    "to": address,
                    "value": self.settings.faucet_wei,
                    "gas": TRANSFER_GAS,
                    "gasPrice": self.w3.eth.gas_price,
                    "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                    "chainId": DEVNET_CHAIN_ID,
                }
                signed = self.account.sign_transaction(tx)
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
            except Exception as exc:  # the node refused, went away or did not mine in time
                raise UpstreamUnavailable(f"the faucet could not send test ETH: {exc}") from None
            if receipt["status"] != 1:
                raise UpstreamUnavailable(f"the faucet's transfer {tx_hash.to_0x_hex()} reverted")
            self._granted[address] = time.monotonic()
            return tx_hash.to_0x_hex()


_create = threading.Lock()


def faucet(request: Request) -> Faucet:
    state = request.app.state
    with _create:
        if getattr(state, "faucet", None) is None:
            state.faucet = Faucet(state.services.settings)
    found: Faucet = state.faucet
    return found


@router.post(
    "/faucet",
    response_model=FaucetGrant,
    responses={**ERROR_RESPONSES, 429: {"model": ErrorBody}},
)
async def fund(
    body: FaucetRequest,
    svc: Annotated[Services, Depends(services)],
    tap: Annotated[Faucet, Depends(faucet)],
) -> FaucetGrant:
    """Send test ETH to `address` so a browser's local key can pay gas and escrow. Devnet only
    (chain 31337; 404 elsewhere); once per address per `faucet_interval_seconds` (429)."""
    settings = svc.settings
    if not settings.faucet_enabled:
        raise NotFound("the faucet is turned off on this server; fund your wallet another way")
    chain_id = await node_chain_id(settings.rpc_url)
    if chain_id is None:
        raise UpstreamUnavailable("the chain node does not answer; the faucet cannot send now")
    if chain_id != DEVNET_CHAIN_ID:
        raise NotFound(
            f"the faucet only runs on the local devnet (chain {DEVNET_CHAIN_ID}); this server's "
            f"chain is {chain_id}: fund your wallet from an exchange or another account"
        )
    address = checksum(body.address)
    tx_hash = await run_in_threadpool(tap.send, address)
    return FaucetGrant(tx_hash=tx_hash, amount_wei=settings.faucet_wei)
