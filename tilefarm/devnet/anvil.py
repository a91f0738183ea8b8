"""The chain of the local stack: anvil, HTTP and WebSocket on one loopback port."""

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tilefarm.settings import TilefarmSettings

# anvil's well-known development mnemonic: its accounts are public test keys, funded at start.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
DEV_BALANCE_ETH = 10_000


def dev_account(index: int) -> LocalAccount:
    """anvil's funded development account `index`, as a local key (public: devnet only)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def anvil_argv(settings: TilefarmSettings) -> list[str]:
    argv = [
        str(settings.anvil_bin),
        "--host", settings.host,
        "--port", str(settings.chain_port),
        "--chain-id", str(settings.chain_id),
        "--mnemonic", DEV_MNEMONIC,
        "--accounts", str(DEV_ACCOUNTS),
        "--balance", str(DEV_BALANCE_ETH),
    ]  # fmt: skip
    if settings.block_time is not None:
        argv += ["--block-time", str(settings.block_time)]
    return argv


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 2.0) -> object:
    """One JSON-RPC call; raises httpx errors or ValueError on an error answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    answer = httpx.post(url, json=body, timeout=timeout).json()
    if "error" in answer:
        raise ValueError(f"{method}: {answer['error']}")
    return answer["result"]


def probe(url: str) -> tuple[int, int]:
    """(chain id, block number) of the node at `url`."""
    chain_id = int(str(rpc(url, "eth_chainId")), 16)
    block = int(str(rpc(url, "eth_blockNumber")), 16)
    return chain_id, block
