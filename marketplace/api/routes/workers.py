"""`/api/workers`: staked accounts, their stake, balance, reputation and history."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from marketplace.api.chain import ChainServices, chain_services, checksum
from marketplace.api.deps import Services, services
from marketplace.api.pagination import Limit, Offset, paginate
from marketplace.api.schemas import ERROR_RESPONSES, WorkerDetail, WorkerList
from marketplace.api.views import Overlay, worker_detail, worker_summary
from marketplace.db.chain_models import AccountView, ChainEvent, SeatView
from marketplace.errors import NotFound

router = APIRouter(prefix="/api/workers", tags=["workers"])

AddressParam = Annotated[str, PathParam(min_length=1, max_length=64, description="0x address")]


@router.get("", response_model=WorkerList, responses=ERROR_RESPONSES)
def list_workers(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """The accounts eligible now (stake at least the market's minimum: they may bid and are in
    the verifier pool), by account id."""
    # Wei columns are fixed-width decimal strings: the database compares them as numbers.
    min_stake = chain.min_stake
    where = (
        AccountView.stake >= min_stake
        if min_stake is not None
        else and_(AccountView.account_id > 0, AccountView.stake > 0)
    )
    query = select(AccountView).where(where).order_by(AccountView.account_id)
    with svc.db.session() as session:

        def workers() -> WorkerList:
            page = paginate(session, query, limit, offset)
            items = [worker_summary(a, min_stake) for a in page.items]
            return WorkerList.model_validate(Overlay(page, items=items))

        return svc.bodies.body(request, session, workers, also=min_stake)


@router.get("/{address}", response_model=WorkerDetail, responses=ERROR_RESPONSES)
def get_worker(
    request: Request,
    address: AddressParam,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
) -> Response:
    """One account: stake, balance, reputation counters, the jobs it worked on, the results it
    verified and its events (newest first, at most 200)."""
    who = checksum(address)
    min_stake = chain.min_stake
    with svc.db.session() as session:
        return svc.bodies.body(
            request, session, lambda: _worker(session, who, min_stake), also=min_stake
        )


def _worker(session: Session, who: str, min_stake: int | None) -> WorkerDetail:
    """Account `who` with its seats, the seats it verified and its latest events."""
    account = session.get(AccountView, who)
    if account is None:
        raise NotFound(f"{who} has never staked, bid, posted or been paid in this market")
    seats = session.scalars(
        select(SeatView).where(SeatView.worker == who).order_by(SeatView.job_id)
    ).all()
    verified = session.scalars(
        select(SeatView)
        .where(or_(SeatView.verifier == who, SeatView.attested_by == who))
        .order_by(SeatView.job_id)
    ).all()
    history = session.scalars(
        select(ChainEvent)
        .where(ChainEvent.actor == who)
        .order_by(ChainEvent.block_number.desc(), ChainEvent.log_index.desc())
        .limit(200)
    ).all()
    return worker_detail(account, min_stake, seats, verified, history)
