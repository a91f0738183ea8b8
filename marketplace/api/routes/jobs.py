"""`/api/jobs`: the jobs the indexer has seen on chain, with their bids, assignments, results,
verification, payments and events."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from marketplace.api.bodies import json_body
from marketplace.api.chain import checksum
from marketplace.api.deps import Services, services
from marketplace.api.lookups import CID_PATTERN, JobId, find_job, unknown_job
from marketplace.api.pagination import Limit, Offset, paginate
from marketplace.api.schemas import (
    ERROR_RESPONSES,
    EventList,
    JobDetail,
    JobList,
    JobStatusPublic,
)
from marketplace.api.views import job_detail
from marketplace.assembly.plan import VERIFIED_STATES
from marketplace.db.chain_models import (
    ChainEvent,
    DisputeView,
    IndexerCursor,
    JobView,
    LedgerEntry,
    SeatView,
)
from marketplace.db.models import ManifestRecord

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobStatusName = Literal["Bidding", "Active", "Completed", "Cancelled", "Expired"]


@router.get("", response_model=JobList, responses=ERROR_RESPONSES)
def list_jobs(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    status: Annotated[JobStatusName | None, Query(description="only jobs in this status")] = None,
    artist: Annotated[str | None, Query(description="only jobs posted by this address")] = None,
    scene_cid: Annotated[
        str | None,
        Query(
            pattern=CID_PATTERN,
            description="only jobs whose manifest (stored here) renders this uploaded scene",
        ),
    ] = None,
    rounds: Annotated[
        bool, Query(description="also list re-offer rounds (each a job of its own, `root` > 0)")
    ] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Posted jobs, newest first (their re-offer rounds too with `rounds=true`); `scene_cid`
    finds the jobs of a scene uploaded here (what the Blender add-on follows after its upload)."""
    query = select(JobView)
    if not rounds:
        query = query.where(JobView.root == 0)
    if status is not None:
        query = query.where(JobView.status == status)
    if artist is not None:
        query = query.where(JobView.artist == checksum(artist, "artist"))
    if scene_cid is not None:
        # The chain knows a job's manifest CID only; which scene a manifest renders is known
        # here once the manifest is stored (posted to /api/manifests, or read from IPFS for
        # assembly): a job whose manifest this server never read is not found by its scene.
        manifests = select(ManifestRecord.cid).where(ManifestRecord.scene_cid == scene_cid)
        query = query.where(JobView.manifest_cid.in_(manifests))
    with svc.db.session() as session:

        def page() -> JobList:
            return JobList.model_validate(
                paginate(session, query.order_by(JobView.job_id.desc()), limit, offset)
            )

        if scene_cid is not None:  # which scene a manifest renders is not in the index
            return json_body(page())
        return svc.bodies.body(request, session, page)


@router.get("/{job_id}", response_model=JobDetail, responses=ERROR_RESPONSES)
def get_job(
    request: Request, job_id: JobId, svc: Annotated[Services, Depends(services)]
) -> Response:
    """One job: bids, assignments (tile ranges per worker), results commitments, verification,
    disputes, payments and its events in chain order; a posted job also lists its re-offer
    rounds (each a job of its own, whose money the posted job holds)."""
    with svc.db.session() as session:
        return svc.bodies.body(request, session, lambda: _job(session, job_id))


def _job(session: Session, job_id: int) -> JobDetail:
    """Job `job_id` with its seats, disputes, ledger entries, rounds and events."""
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
    return job_detail(job, seats, disputes, entries, events, rounds, paid)


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
        raise unknown_job(job_id)
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
        escrow=escrow,
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
        query = (
            select(ChainEvent)
            .where(ChainEvent.job_id == job_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        )
        return EventList.model_validate(paginate(session, query, limit, offset))
