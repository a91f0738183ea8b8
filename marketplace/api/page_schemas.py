"""Bodies of the routes that serve the web page: its configuration and the devnet faucet."""

from typing import Any

from pydantic import BaseModel, Field

from marketplace.api.schemas import Address
from tilefarm.types import Hex32, Wei


class PageConfig(BaseModel):
    """What the page needs to talk to the chain itself (it signs every transaction)."""

    chain_id: int | None = Field(description="the chain's id; null while the node is unreachable")
    rpc_url: str = Field(description="the JSON-RPC endpoint the browser reads the chain from")
    market_address: Address | None = Field(description="the JobMarket; null when none is deployed")
    market_abi: list[dict[str, Any]] | None = Field(description="the market's ABI (build)")
    devnet: bool = Field(description="true on the local development chain (id 31337)")
    faucet: bool = Field(description="true when POST /api/faucet sends test ETH")
    explorer_tx_url: str | None = Field(description="a tx page; {tx} is the hash")
    ipfs_gateway_url: str | None = Field(description="a gateway base; a CID reads at …/ipfs/<cid>")


class FaucetRequest(BaseModel):
    address: str = Field(min_length=1, max_length=64, description="who to fund (0x + 40 hex)")


class FaucetGrant(BaseModel):
    tx_hash: Hex32
    amount_wei: Wei
