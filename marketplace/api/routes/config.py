"""`/api/config`: what the web page needs to reach the chain on its own: the chain id, an RPC URL
for the browser, the market's address and ABI, and whether this is the devnet (with a faucet)."""

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from marketplace.api.chain import DEVNET_CHAIN_ID, node_chain_id
from marketplace.api.deps import Services, services
from marketplace.api.page_schemas import PageConfig
from marketplace.settings import MarketplaceSettings
from tilefarm.adapters.chain.artifacts import ArtifactMissing, load_artifact
from tilefarm.adapters.chain.bindings import CONTRACT_NAME
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm.errors import TilefarmError

router = APIRouter(prefix="/api", tags=["page"])


@lru_cache(maxsize=1)
def _market_abi() -> list[dict[str, Any]] | None:
    try:
        return load_artifact(CONTRACT_NAME, BUILD_DIR).abi
    except ArtifactMissing:
        return None


def _market_address(settings: MarketplaceSettings) -> str | None:
    if settings.deployments_file is None:
        return None
    try:
        return read_deployments(settings.deployments_file).address(CONTRACT_NAME)
    except TilefarmError:
        return None


@router.get("/config", response_model=PageConfig)
async def page_config(svc: Annotated[Services, Depends(services)]) -> PageConfig:
    """The chain, market and links the page uses. The page signs its own transactions against
    `rpc_url`; the faucet is offered on the devnet only."""
    settings = svc.settings
    chain_id = await node_chain_id(settings.rpc_url)
    devnet = chain_id == DEVNET_CHAIN_ID
    return PageConfig(
        chain_id=chain_id,
        rpc_url=settings.public_rpc_url or settings.rpc_url,
        market_address=_market_address(settings),
        market_abi=_market_abi(),
        devnet=devnet,
        faucet=devnet and settings.faucet_enabled,
        explorer_tx_url=settings.explorer_tx_url,
        ipfs_gateway_url=settings.ipfs_gateway_url,
    )
