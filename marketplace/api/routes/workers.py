"""`/api/workers`: staked accounts, their stake, balance, reputation and history."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from sqlalchemy import ColumnElement, and_, func, or_, select
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
    """One account: stake, balance, reputation counters, and its latest jobs, verifications and
    events (newest first, at most 200 of each, with how many jobs and verifications in all)."""
    who = checksum(address)
    min_stake = chain.min_stake
    with svc.db.session() as session:
        return svc.bodies.body(
            request, session, lambda: _worker(session, who, min_stake), also=min_stake
        )


# A busy worker has had thousands of seats: its page lists the latest, as the page shows them.
LATEST = 200


def _worker(session: Session, who: str, min_stake: int | None) -> WorkerDetail:
    """Account `who` with its latest seats, seats it verified and events, and their counts."""
    account = session.get(AccountView, who)
    if account is None:
        raise NotFound(f"{who} has never staked, bid, posted or been paid in this market")
    own = SeatView.worker == who
    checked = or_(SeatView.verifier == who, SeatView.attested_by == who)

    def latest(where: ColumnElement[bool]) -> tuple[list[SeatView], int]:
        newest = select(SeatView).where(where).order_by(SeatView.job_id.desc(), SeatView.worker)
        total = session.scalar(select(func.count()).select_from(SeatView).where(where))
        return list(session.scalars(newest.limit(LATEST))), int(total or 0)

    history = session.scalars(
        select(ChainEvent)
        .where(ChainEvent.actor == who)
        .order_by(ChainEvent.block_number.desc(), ChainEvent.log_index.desc())
        .limit(LATEST)
    ).all()
    seats, jobs_total = latest(own)
    verified, verifications_total = latest(checked)
    return worker_detail(
        account, min_stake, seats, verified, history,
        jobs_total=jobs_total, verifications_total=verifications_total,
    )  # fmt: skip
