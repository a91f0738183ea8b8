"""`/api/ledger`: the audit ledger. For every posted job, its re-offer rounds included (the posted
job's escrow holds their money): what was paid in (deposit, top-ups, bid bonds, dispute bonds,
slashed stake) and paid out (to the artist, workers, verifiers, treasury, bidders, openers of
rounds), what it still holds, and whether the books balance. JSON or CSV."""

import csv
import io
from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.api.deps import Services, services
from marketplace.api.lookups import JobId, find_job
from marketplace.api.pagination import Offset, paginate
from marketplace.api.schemas import ERROR_RESPONSES, JobLedger, JobLedgerDetail, Ledger
from marketplace.api.views import Overlay
from marketplace.db.chain_models import DisputeView, JobView, LedgerEntry, SeatView
from marketplace.indexer.ledger import job_money

router = APIRouter(prefix="/api/ledger", tags=["audit"])

CSV_COLUMNS = list(JobLedger.model_fields)


def _csv(rows: list[JobLedger]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump())
    return out.getvalue()


@router.get(
    "",
    response_model=Ledger,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def ledger(
    svc: Annotated[Services, Depends(services)],
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv for a spreadsheet")
    ] = "json",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    offset: Offset = 0,
) -> Ledger | Response:
    """Every posted job's money in and out (its rounds' included), oldest first; totals are over
    the whole market."""
    posted = select(JobView).where(JobView.root == 0).order_by(JobView.job_id)
    with svc.db.session() as session:
        page = paginate(session, posted, limit, offset)
        jobs = page.items
        ids = [j.job_id for j in jobs]
        entries = defaultdict(list)
        for e in session.scalars(select(LedgerEntry).where(LedgerEntry.job_id.in_(ids))):
            entries[e.job_id].append(e)
        rounds = defaultdict(list)
        for r in session.scalars(select(JobView).where(JobView.root.in_(ids))):
            rounds[r.root].append(r)
        root_of = {
            j.job_id: j.posted_id for j in (*jobs, *(r for rs in rounds.values() for r in rs))
        }
        disputes = defaultdict(list)
        for d in session.scalars(select(DisputeView).where(DisputeView.job_id.in_(root_of))):
            disputes[root_of[d.job_id]].append(d)
        seats = defaultdict(list)
        paid = select(SeatView).where(SeatView.job_id.in_(root_of), SeatView.state == "Paid")
        for s in session.scalars(paid):
            seats[root_of[s.job_id]].append(s)
        money = [
            job_money(j, entries[j.job_id], disputes[j.job_id], rounds[j.job_id], seats[j.job_id])
            for j in jobs
        ]
        sums = _totals(session)
    if format == "csv":
        return Response(
            _csv([JobLedger.model_validate(m) for m in money]),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="tilefarm-ledger.csv"'},
        )
    paid_in, paid_out = sums["in"], sums["out"]
    return Ledger.model_validate(
        Overlay(page, items=money, paid_in=paid_in, paid_out=paid_out, held=paid_in - paid_out)
    )


def _totals(session: Session) -> dict[str, int]:
    """Sum of every entry by direction (in Python: wei exceed the database's integers)."""
    sums = {"in": 0, "out": 0}
    for direction, amount in session.execute(select(LedgerEntry.direction, LedgerEntry.amount)):
        sums[direction] += amount
    return sums


@router.get("/{job_id}", response_model=JobLedgerDetail, responses=ERROR_RESPONSES)
def job_ledger_detail(
    request: Request, job_id: JobId, svc: Annotated[Services, Depends(services)]
) -> Response:
    """One posted job's ledger, its rounds' included, with every entry in chain order (each
    names its round). A round's id gives the ledger of the job it is a round of, which holds its
    money."""
    with svc.db.session() as session:
        return svc.bodies.body(request, session, lambda: _job_ledger(session, job_id))


def _job_ledger(session: Session, job_id: int) -> JobLedgerDetail:
    job = find_job(session, job_id)
    if job.root != 0:
        job = find_job(session, job.root)
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.job_id == job.job_id)
        .order_by(LedgerEntry.block_number, LedgerEntry.log_index, LedgerEntry.id)
    ).all()
    rounds = session.scalars(select(JobView).where(JobView.root == job.job_id)).all()
    ids = [job.job_id, *(r.job_id for r in rounds)]
    disputes = session.scalars(select(DisputeView).where(DisputeView.job_id.in_(ids))).all()
    seats = session.scalars(
        select(SeatView).where(SeatView.job_id.in_(ids), SeatView.state == "Paid")
    ).all()
    money = job_money(job, entries, disputes, rounds, seats)
    return JobLedgerDetail.model_validate(Overlay(money, entries=entries))
