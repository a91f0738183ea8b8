"""`/api/events`: the market's indexed events; `/api/jobs/{id}/events/stream`: one job's events
live, as Server-Sent Events; `/api/indexer`: how far the indexer is."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select, tuple_
from starlette.concurrency import run_in_threadpool

from marketplace.api.chain import MAX_ID, ChainServices, chain_services, checksum
from marketplace.api.deps import Services, services
from marketplace.api.lookups import JobId, find_job
from marketplace.api.pagination import Limit, Offset, paginate
from marketplace.api.schemas import ERROR_RESPONSES, EventList, EventPublic, IndexerStatus
from marketplace.assembly import frame_news
from marketplace.db.chain_models import ChainEvent, IndexerCursor, JobView
from marketplace.db.session import Database
from marketplace.errors import Unprocessable
from tilefarm.adapters.chain.events import EVENT_MODELS

router = APIRouter(prefix="/api", tags=["events"])

TERMINAL = ("Completed", "Cancelled", "Expired")
KEEPALIVE_SECONDS = 15.0
EventName = Annotated[str | None, Query(max_length=40, description="a JobMarket event name")]


@router.get("/events", response_model=EventList, responses=ERROR_RESPONSES)
def list_events(
    svc: Annotated[Services, Depends(services)],
    name: EventName = None,
    job_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    address: Annotated[str | None, Query(max_length=64, description="whose events")] = None,
    from_block: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Limit = 100,
    offset: Offset = 0,
) -> EventList:
    """Indexed events in chain order, filtered by name, job, address and first block."""
    if name is not None and name not in EVENT_MODELS:
        known = ", ".join(sorted(EVENT_MODELS))
        raise Unprocessable(f"{name!r} is not a JobMarket event; known events: {known}")
    query = select(ChainEvent).where(ChainEvent.block_number >= from_block)
    if name is not None:
        query = query.where(ChainEvent.name == name)
    if job_id is not None:
        query = query.where(ChainEvent.job_id == job_id)
    if address is not None:
        query = query.where(ChainEvent.actor == checksum(address))
    query = query.order_by(ChainEvent.block_number, ChainEvent.log_index)
    with svc.db.session() as session:
        return EventList.model_validate(paginate(session, query, limit, offset))


@router.get("/indexer", response_model=IndexerStatus, responses=ERROR_RESPONSES)
def indexer_status(
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
) -> IndexerStatus:
    """Where the indexer stands: the next block it will read, the chain head it last saw, and the
    lag between them in blocks."""
    if chain.indexer is None:
        return IndexerStatus(
            enabled=False, market=None, next_block=0, head=0, lag_blocks=0, error=None
        )
    with svc.db.session() as session:
        row = session.get(IndexerCursor, chain.indexer.market)
        next_block = row.next_block if row else chain.indexer.start_block
        head = row.head if row else 0
    return IndexerStatus(
        enabled=True,
        market=chain.indexer.market,
        next_block=next_block,
        head=head,
        lag_blocks=max(head - (next_block - 1), 0),
        error=chain.runner.error if chain.runner else None,
    )


def _parse_position(value: str | None) -> tuple[int, int]:
    """`block:log_index` (the SSE id), or the start of the chain."""
    if not value:
        return (-1, -1)
    try:
        block, index = (int(part) for part in value.split(":"))
        if not (0 <= block <= MAX_ID and 0 <= index < 2**31):
            raise ValueError(value)
        return (block, index)
    except ValueError:
        raise Unprocessable(
            f"event position {value!r} must be 'block:log_index', as sent in each event's id"
        ) from None


def _read_after(db: Database, job_id: int, after: tuple[int, int]) -> tuple[list[ChainEvent], str]:
    with db.session() as session:
        rows = session.scalars(
            select(ChainEvent)
            .where(
                ChainEvent.job_id == job_id,
                tuple_(ChainEvent.block_number, ChainEvent.log_index) > tuple_(*after),
            )
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
            .limit(500)
        ).all()
        job = session.get(JobView, job_id)
        return list(rows), job.status if job else "gone"


def _sse(event: str, data: str, id_: str | None = None) -> str:
    head = f"id: {id_}\n" if id_ else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


@router.get(
    "/jobs/{job_id}/events/stream",
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
    },
    response_class=StreamingResponse,
)
async def stream_job_events(
    job_id: JobId,
    request: Request,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
    after: Annotated[
        str | None, Query(max_length=64, description="resume after this event id (block:log_index)")
    ] = None,
    follow: Annotated[bool, Query(description="false: send what is indexed and close")] = True,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """One job's events as Server-Sent Events, each as soon as the indexer commits it (results
    committed, verifier drawn, attested, accepted, ...): `event:` is the contract's event name,
    `id:` its `block:log_index`, `data:` the event as in `/api/events`. A reconnecting client
    sends `Last-Event-ID` and misses nothing. After a reorganisation an `event: reorg` names the
    first block dropped; the stream then re-sends from there. When the server has stored a
    frame, `event: assembled` sends `{"frame", "png_cid", "exr_cid"}`. The stream ends with
    `event: end` once the job is terminal (Completed, Cancelled or Expired) and its frames
    are stored."""
    position = _parse_position(last_event_id or after)
    await run_in_threadpool(_find, svc.db, job_id)

    async def events() -> AsyncIterator[str]:
        nonlocal position
        wake = chain.hub.subscribe()
        seen_reorgs = chain.hub.reorgs
        sent_frames: set[int] = set()
        try:
            while True:
                wake.clear()
                if chain.hub.reorgs != seen_reorgs:
                    seen_reorgs, dropped = chain.hub.reorged_since(seen_reorgs)
                    if dropped is not None and dropped <= position[0]:
                        yield _sse("reorg", json.dumps({"from_block": dropped}))
                        position = (dropped - 1, 2**31)
                        # The job's frames may be dropped and assembled again (the indexer):
                        # send them again as they are stored.
                        sent_frames.clear()
                rows, status = await run_in_threadpool(_read_after, svc.db, job_id, position)
                for row in rows:
                    position = (row.block_number, row.log_index)
                    body = EventPublic.model_validate(row).model_dump_json()
                    yield _sse(row.name, body, f"{row.block_number}:{row.log_index}")
                if rows:
                    continue  # there may be more than one page
                frames = await run_in_threadpool(
                    frame_news, svc.db, svc.manifests, job_id, sent_frames
                )
                for f in frames.assembled:
                    sent_frames.add(f.frame)
                    news = {"frame": f.frame, "png_cid": f.png_cid, "exr_cid": f.exr_cid}
                    yield _sse("assembled", json.dumps(news))
                # A completed job's stream stays open until its frames are stored.
                assembling = frames.due > 0 and request.app.state.assembler is not None
                if (status in TERMINAL and not assembling) or not follow:
                    yield _sse("end", json.dumps({"job_id": job_id, "status": status}))
                    return
                try:
                    await asyncio.wait_for(wake.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
        finally:
            chain.hub.unsubscribe(wake)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


def _find(db: Database, job_id: int) -> None:
    with db.session() as session:
        find_job(session, job_id)
