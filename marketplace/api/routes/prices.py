"""`/api/prices`: what tiles sold for recently, and what a manifest would cost at those prices."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.api.chain import ChainServices, chain_services
from marketplace.api.deps import Services, services
from marketplace.api.lookups import CID_PATTERN
from marketplace.api.schemas import ERROR_RESPONSES, Estimate, PriceList, WinningBid
from marketplace.db.chain_models import ChainEvent, JobView
from marketplace.errors import NotFound, Unprocessable

router = APIRouter(prefix="/api/prices", tags=["prices"])

BPS = 10_000
MAX_WEI = 2**96 - 1  # the contract stores prices and fees in at most 96 bits


def weighted_median(points: list[tuple[int, int]]) -> int | None:
    """The median price of `(price, tiles)` points, each price counted once per tile."""
    total = sum(tiles for _, tiles in points)
    if total == 0:
        return None
    seen = 0
    for price, tiles in sorted(points):
        seen += tiles
        if 2 * seen >= total:
            return price
    raise AssertionError("unreachable")


def _recent(session: Session, limit: int) -> list[ChainEvent]:
    return list(
        session.scalars(
            select(ChainEvent)
            .where(ChainEvent.name == "TilesAssigned")
            .order_by(ChainEvent.block_number.desc(), ChainEvent.log_index.desc())
            .limit(limit)
        )
    )


@router.get("", response_model=PriceList, responses=ERROR_RESPONSES)
def recent_prices(
    svc: Annotated[Services, Depends(services)],
    limit: Annotated[int, Query(ge=1, le=1000, description="how many recent winning bids")] = 50,
) -> PriceList:
    """The most recent winning bids (tiles assigned at a price), newest first, and their median
    price per tile weighted by tiles."""
    with svc.db.session() as session:
        rows = _recent(session, limit)
    items = [
        WinningBid(
            job_id=r.job_id or 0,
            worker=r.args["worker"],
            price_per_tile=r.args["price_per_tile"],
            tile_count=r.args["tile_count"],
            block_number=r.block_number,
            timestamp=r.timestamp,
        )
        for r in rows
    ]
    points = [(int(r.args["price_per_tile"]), int(r.args["tile_count"])) for r in rows]
    median = weighted_median(points)
    return PriceList(
        items=items,
        median_price_per_tile=median,
        tiles=sum(t for _, t in points),
    )


@router.get("/estimate", response_model=Estimate, responses=ERROR_RESPONSES)
def estimate(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
    manifest_cid: Annotated[
        str | None, Query(pattern=CID_PATTERN, description="a manifest stored here")
    ] = None,
    tiles: Annotated[int | None, Query(ge=1, le=65_535, description="or a tile count")] = None,
    verify_fee_per_tile: Annotated[
        int | None,
        Query(ge=0, le=MAX_WEI, description="wei per tile for verifiers; default: recent median"),
    ] = None,
    window: Annotated[int, Query(ge=1, le=1000, description="recent winning bids to use")] = 50,
) -> Response:
    """What a job would cost at recent prices: tiles x median winning price, the protocol fee on
    it, and the verification budget (tiles x verifier fee), the same sum the contract quotes."""
    if (manifest_cid is None) == (tiles is None):
        raise Unprocessable("give exactly one of manifest_cid (a stored manifest) and tiles")
    if manifest_cid is not None:
        stored = svc.manifests.get(manifest_cid)
        if stored is None:
            raise NotFound(f"no manifest with CID {manifest_cid} is stored here")
        tiles = stored.manifest.job_tile_count
    assert tiles is not None
    bps = chain.protocol_fee_bps or 0
    with svc.db.session() as session:
        # A stored manifest only gives the tile count: the body is the index's.
        return svc.bodies.body(
            request,
            session,
            lambda: _estimate(session, manifest_cid, tiles, verify_fee_per_tile, window, bps),
            also=bps,
        )


def _estimate(
    session: Session,
    manifest_cid: str | None,
    tiles: int,
    verify_fee_per_tile: int | None,
    window: int,
    bps: int,
) -> Estimate:
    rows = _recent(session, window)
    fees = session.scalars(
        select(JobView.verify_fee_per_tile).order_by(JobView.job_id.desc()).limit(window)
    ).all()
    points = [(int(r.args["price_per_tile"]), int(r.args["tile_count"])) for r in rows]
    price = weighted_median(points)
    if price is None:
        raise NotFound(
            "no winning bids have been indexed yet, so there is no market price to estimate "
            "from; post with your own maximum price"
        )
    if verify_fee_per_tile is None:
        verify_fee_per_tile = weighted_median([(f, 1) for f in fees]) or 0
    fee = price * bps // BPS
    return Estimate(
        manifest_cid=manifest_cid,
        tile_count=tiles,
        price_per_tile=price,
        protocol_fee_per_tile=fee,
        verify_fee_per_tile=verify_fee_per_tile,
        render_cost=tiles * price,
        protocol_fee=tiles * fee,
        verification_budget=tiles * verify_fee_per_tile,
        total=tiles * (price + fee + verify_fee_per_tile),
        based_on_bids=len(points),
    )
