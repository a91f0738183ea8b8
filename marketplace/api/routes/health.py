"""`/api/health`: whether the server reaches its IPFS node and chain."""

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from marketplace.api.deps import Services, services
from marketplace.api.schemas import Health
from tilefarm.adapters.ipfs import IpfsError

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health)
async def health(svc: Annotated[Services, Depends(services)]) -> Health:
    """`ok` when IPFS and the chain answer, else `degraded` with what is wrong."""
    try:
        ipfs = f"Kubo {await run_in_threadpool(svc.ipfs.version)}"
    except IpfsError as exc:
        ipfs = f"unreachable: {exc}"
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
            answer = (await client.post(svc.settings.rpc_url, json=body)).json()
        chain = f"chain {int(answer['result'], 16)}"
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        chain = f"unreachable: {exc}"
    ok = not ipfs.startswith("unreachable") and not chain.startswith("unreachable")
    return Health(status="ok" if ok else "degraded", ipfs=ipfs, chain=chain)
