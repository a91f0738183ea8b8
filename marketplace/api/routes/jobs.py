"""`/api/jobs`: the jobs the indexer has seen on chain, with their bids, assignments, results,
verification, payments and events."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from marketplace.api.chain import MAX_ID, checksum
from marketplace.api.deps import Services, services
from marketplace.api.routes.views import (
    NOT_ASSIGNED,
    bid_public,
    event_public,
    job_summary,
    ledger_entry,
    round_public,
    seat_public,
)
from marketplace.api.schemas import (
    ERROR_RESPONSES,
    EventList,
    JobDetail,
    JobList,
    JobStatusPublic,
)
from marketplace.assembly.plan import VERIFIED_STATES
from marketplace.db.chain_models import (
    ChainEvent,
    DisputeView,
    IndexerCursor,
    JobView,
    LedgerEntry,
    SeatView,
)
from marketplace.errors import NotFound

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobStatusName = Literal["Bidding", "Active", "Completed", "Cancelled", "Expired"]
JobId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="the job id on chain")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


def find_job(session: Session, job_id: int) -> JobView:
    job = session.get(JobView, job_id)
    if job is None:
        raise NotFound(f"no job {job_id} has been indexed; check the id or wait for the indexer")
    return job


def next_offset(offset: int, limit: int, total: int) -> int | None:
    return offset + limit if offset + limit < total else None


@router.get("", response_model=JobList, responses=ERROR_RESPONSES)
def list_jobs(
    svc: Annotated[Services, Depends(services)],
    status: Annotated[JobStatusName | None, Query(description="only jobs in this status")] = None,
    artist: Annotated[str | None, Query(description="only jobs posted by this address")] = None,
    rounds: Annotated[
        bool, Query(description="also list re-offer rounds (each a job of its own, `root` > 0)")
    ] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> JobList:
    """Posted jobs, newest first (their re-offer rounds too with `rounds=true`)."""
    query = select(JobView)
    if not rounds:
        query = query.where(JobView.root == 0)
    if status is not None:
        query = query.where(JobView.status == status)
    if artist is not None:
        query = query.where(JobView.artist == checksum(artist, "artist"))
    with svc.db.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(JobView.job_id.desc()).limit(limit).offset(offset)
        ).all()
        items = [job_summary(j) for j in rows]
    return JobList(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, total),
    )


@router.get("/{job_id}", response_model=JobDetail, responses=ERROR_RESPONSES)
def get_job(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> JobDetail:
    """One job: bids, assignments (tile ranges per worker), results commitments, verification,
    disputes, payments and its events in chain order; a posted job also lists its re-offer
    rounds (each a job of its own, whose money the posted job holds)."""
    with svc.db.session() as session:
        job = find_job(session, job_id)
        seats = session.scalars(
            select(SeatView).where(SeatView.job_id == job_id).order_by(SeatView.committed_block)
        ).all()
        disputes = {
            d.worker: d
            for d in session.scalars(select(DisputeView).where(DisputeView.job_id == job_id))
        }
        entries = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.round_id == job_id)
            .order_by(LedgerEntry.block_number, LedgerEntry.log_index, LedgerEntry.id)
        ).all()
        rounds = session.scalars(
            select(JobView).where(JobView.root == job_id).order_by(JobView.round)
        ).all()
        paid = session.scalars(
            select(SeatView).where(
                SeatView.job_id.in_([r.job_id for r in rounds]), SeatView.state == "Paid"
            )
        ).all()
        events = session.scalars(
            select(ChainEvent)
            .where(ChainEvent.job_id == job_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        summary = job_summary(job)
        return JobDetail(
            **summary.model_dump(),
            fees_due=str(job.fees_due),
            bid_bond=str(job.bid_bond),
            commits=job.commits,
            reveals=job.reveals,
            bid_window=job.bid_window,
            reveal_window=job.reveal_window,
            render_window=job.render_window,
            verify_window=job.verify_window,
            bids=[bid_public(s) for s in seats],
            seats=[
                seat_public(s, disputes.get(s.worker))
                for s in sorted(seats, key=lambda s: s.first_tile)
                if s.state not in NOT_ASSIGNED
            ],
            payments=[ledger_entry(e) for e in entries],
            events=[event_public(e) for e in events],
            rounds=[round_public(r, [s for s in paid if s.job_id == r.job_id]) for r in rounds],
        )


# The status a page polls, in one round trip: the job, its tiles per seat state, and how far the
# indexer is. Core SQL, not the ORM: this is the route that must answer fast under load.
_STATUS = (
    select(
        JobView.status,
        JobView.tile_count,
        JobView.escrow,
        JobView.updated_block,
        SeatView.state,
        func.coalesce(func.sum(SeatView.tile_count), 0),
        select(func.max(IndexerCursor.next_block)).scalar_subquery(),
    )
    .select_from(JobView)
    .outerjoin(SeatView, SeatView.job_id == JobView.job_id)
    .where(JobView.job_id == bindparam("job_id"))
    .group_by(JobView.job_id, SeatView.state)
)
# Seat states by what they say of the seat's tiles (a lapsed seat is TimedOut: never verified).
_VERIFIED = VERIFIED_STATES
_SUBMITTED = (
    "Submitted", "Sealed", "Opened", "Failed", "Disputed", "Contested", "Challenged", "Rejected",
    "Unverified", *_VERIFIED,
)  # fmt: skip
_ASSIGNED = (*_SUBMITTED, "Assigned", "TimedOut")


@router.get("/{job_id}/status", response_model=JobStatusPublic, responses=ERROR_RESPONSES)
async def job_status(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> JobStatusPublic:
    """Where a job stands, in one small body (what a page polls)."""
    # One indexed read (a fraction of a millisecond) runs right in the event loop: a hop to the
    # thread pool costs more than the query, and under load the pool's threads queue behind
    # the indexer's thread for the interpreter lock.
    with svc.db.engine.connect() as conn:
        rows = conn.execute(_STATUS, {"job_id": job_id}).all()
    if not rows:
        raise NotFound(f"no job {job_id} has been indexed; check the id or wait for the indexer")
    status, tile_count, escrow, updated_block, _, _, indexed = rows[0]
    indexed_next = int(indexed) if isinstance(indexed, int) else 0
    tiles: dict[str, int] = {row[4]: int(row[5]) for row in rows if row[4] is not None}
    return JobStatusPublic(
        job_id=job_id,
        status=status,
        tile_count=tile_count,
        tiles_assigned=sum(tiles.get(s, 0) for s in _ASSIGNED),
        tiles_submitted=sum(tiles.get(s, 0) for s in _SUBMITTED),
        tiles_accepted=sum(tiles.get(s, 0) for s in _VERIFIED),
        tiles_paid=tiles.get("Paid", 0),
        tiles_rejected=tiles.get("Rejected", 0),
        escrow=str(escrow),
        updated_block=updated_block,
        indexed_block=max(indexed_next - 1, 0),
    )


@router.get("/{job_id}/events", response_model=EventList, responses=ERROR_RESPONSES)
def job_events(
    job_id: JobId,
    svc: Annotated[Services, Depends(services)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> EventList:
    """A job's events in chain order (its timeline)."""
    with svc.db.session() as session:
        find_job(session, job_id)
        where = ChainEvent.job_id == job_id
        total = session.scalar(select(func.count()).select_from(ChainEvent).where(where)) or 0
        rows = session.scalars(
            select(ChainEvent)
            .where(where)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
            .limit(limit)
            .offset(offset)
        ).all()
        items = [event_public(r) for r in rows]
    return EventList(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, total),
    )
