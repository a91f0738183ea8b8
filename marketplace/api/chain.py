"""What the chain routes get from the application: the indexer (when a market is configured) and
the hub that wakes live streams; and what they ask the chain's node itself."""

from dataclasses import dataclass, field

import httpx
from fastapi import Request
from web3 import Web3

from marketplace.errors import Unprocessable
from marketplace.indexer import EventHub, Indexer, IndexerRunner

MAX_ID = 2**63 - 1  # what the database's integers hold; larger ids cannot exist here
DEVNET_CHAIN_ID = 31337  # anvil's: the only chain whose dev accounts' keys may be used


@dataclass
class ChainServices:
    hub: EventHub = field(default_factory=EventHub)
    indexer: Indexer | None = None
    runner: IndexerRunner | None = None

    @property
    def min_stake(self) -> int | None:
        config = self.indexer.known_config if self.indexer else None
        return config.min_stake if config else None

    @property
    def protocol_fee_bps(self) -> int | None:
        config = self.indexer.known_config if self.indexer else None
        return config.protocol_fee_bps if config else None


def chain_services(request: Request) -> ChainServices:
    found: ChainServices = request.app.state.chain
    return found


def checksum(address: str, what: str = "address") -> str:
    """`address` in its checksummed form; any letter case is accepted."""
    try:
        return Web3.to_checksum_address(address)
    except ValueError:
        raise Unprocessable(
            f"{what} {address!r} is not an Ethereum address (0x + 40 hex digits)"
        ) from None


async def node_chain_id(rpc_url: str) -> int | None:
    """The chain id the node at `rpc_url` reports, or None when it does not answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = (await client.post(rpc_url, json=body)).json()
        return int(answer["result"], 16)
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return None
