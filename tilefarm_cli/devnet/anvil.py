"""The chain of the local stack: anvil, HTTP and WebSocket on one loopback port."""

import httpx

from tilefarm.adapters.chain.devkeys import DEV_ACCOUNTS, DEV_BALANCE_ETH, DEV_MNEMONIC
from tilefarm_cli.settings import TilefarmSettings


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
