"""`/api/workers`: staked accounts, their stake, balance, reputation and history."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from sqlalchemy import and_, func, or_, select

from marketplace.api.chain import ChainServices, chain_services, checksum
from marketplace.api.deps import Services, services
from marketplace.api.routes.jobs import Limit, Offset, next_offset
from marketplace.api.routes.views import NOT_ASSIGNED, event_public, worker_summary
from marketplace.api.schemas import (
    ERROR_RESPONSES,
    WorkerDetail,
    WorkerJob,
    WorkerList,
    WorkerVerification,
)
from marketplace.db.chain_models import AccountView, ChainEvent, JobView, SeatView
from marketplace.errors import NotFound

router = APIRouter(prefix="/api/workers", tags=["workers"])

AddressParam = Annotated[str, PathParam(min_length=1, max_length=64, description="0x address")]


@router.get("", response_model=WorkerList, responses=ERROR_RESPONSES)
def list_workers(
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorkerList:
    """The accounts eligible now (stake at least the market's minimum: they may bid and are in
    the verifier pool), by account id."""
    # Wei columns are fixed-width decimal strings: the database compares them as numbers.
    min_stake = chain.min_stake
    where = (
        AccountView.stake >= min_stake
        if min_stake is not None
        else and_(AccountView.account_id > 0, AccountView.stake > 0)
    )
    with svc.db.session() as session:
        total = session.scalar(select(func.count()).select_from(AccountView).where(where)) or 0
        rows = session.scalars(
            select(AccountView)
            .where(where)
            .order_by(AccountView.account_id)
            .limit(limit)
            .offset(offset)
        ).all()
        items = [worker_summary(a, chain.min_stake) for a in rows]
    return WorkerList(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, total),
    )


@router.get("/{address}", response_model=WorkerDetail, responses=ERROR_RESPONSES)
def get_worker(
    address: AddressParam,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
) -> WorkerDetail:
    """One account: stake, balance, reputation counters, the jobs it worked on, the results it
    verified and its events (newest first, at most 200)."""
    who = checksum(address)
    with svc.db.session() as session:
        account = session.get(AccountView, who)
        if account is None:
            raise NotFound(f"{who} has never staked, bid, posted or been paid in this market")
        seats = session.scalars(
            select(SeatView).where(SeatView.worker == who).order_by(SeatView.job_id)
        ).all()
        verified = session.execute(
            select(SeatView, JobView.verify_fee_per_tile)
            .join(JobView, JobView.job_id == SeatView.job_id)
            .where(or_(SeatView.verifier == who, SeatView.attested_by == who))
            .order_by(SeatView.job_id)
        ).all()
        history = session.scalars(
            select(ChainEvent)
            .where(ChainEvent.actor == who)
            .order_by(ChainEvent.block_number.desc(), ChainEvent.log_index.desc())
            .limit(200)
        ).all()
        return WorkerDetail(
            **worker_summary(account, chain.min_stake).model_dump(),
            jobs=[
                WorkerJob(
                    job_id=s.job_id,
                    state=s.state,
                    first_tile=s.first_tile,
                    tile_count=s.tile_count if s.state not in NOT_ASSIGNED else 0,
                    price_per_tile=str(s.price_per_tile),
                    payment=str(s.payment),
                    slashed=str(s.slashed),
                )
                for s in seats
            ],
            verifications=[
                WorkerVerification(
                    job_id=s.job_id,
                    worker=s.worker,
                    passed=s.passed,
                    evidence_cid=s.evidence_cid,
                    fee=str(s.verifier_fee if s.attested_by == who else 0),
                )
                for s, _fee in verified
            ],
            history=[event_public(e) for e in history],
        )
