"""One way to reach a chain node over HTTP, for every program: requests that fail on the
connection (reset, refused, timed out) are retried with exponential backoff.

web3's default retry list names the builtin `ConnectionError`, which `requests` does not raise
(its `ConnectionError` derives from `OSError`), so without this a dropped connection surfaces at
once. Re-sending is safe for every method we use: reads are idempotent, and a signed raw
transaction sent twice is the same transaction.
"""

import requests
from web3 import Web3
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration

from tilefarm.adapters.chain.errors import WrongChain

RETRIED_ERRORS = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


def connect_web3(rpc_url: str, *, timeout: float = 30.0, retries: int = 6) -> Web3:
    """A Web3 over HTTP(S) at `rpc_url` that rides out short connection failures. `retries`
    counts attempts in all: web3 makes none at 0 and answers None, so at least 1 is required."""
    if retries < 1:
        raise ValueError(f"retries counts attempts and must be at least 1, not {retries}")
    provider = Web3.HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=RETRIED_ERRORS,
            retries=retries,
            backoff_factor=0.25,
            method_allowlist=[*REQUEST_RETRY_ALLOWLIST, "eth_feeHistory", "anvil", "evm"],
        ),
    )
    return Web3(provider)


def check_market(
    w3: Web3,
    address: str,
    rpc_url: str,
    chain_id: int | None = None,
    source: str = "the deployments file",
) -> None:
    """Refuse a node that serves another chain than `chain_id` (that of `source`, the
    deployments file), or has no contract at the market's `address`: following it would find no
    event, silently."""
    served = int(w3.eth.chain_id)
    if chain_id is not None and served != chain_id:
        raise WrongChain(f"{source} is for chain {chain_id}, but {rpc_url} serves chain {served}")
    if not w3.eth.get_code(Web3.to_checksum_address(address)):
        raise WrongChain(
            f"there is no contract at the market address {address} on {rpc_url} (chain "
            f"{served}): is {source} for this chain?"
        )
