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

RETRIED_ERRORS = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


def connect_web3(rpc_url: str, *, timeout: float = 30.0, retries: int = 6) -> Web3:
    """A Web3 over HTTP(S) at `rpc_url` that rides out short connection failures."""
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
