"""The audit ledger: one row per posted job (its rounds included) with its books and whether its
audit passed (`checked`: of its books alone, or of everything `audit job` checks), as CSV.

Each row balances on its own: `escrow + top_ups + slashed_in == paid + fees + refunded + held`
(the escrow equation of `tilefarm.checks.audit.money`); `forfeited_bonds`, the bonds of unrevealed
bids the artist got at each settlement, never touch the escrow."""

import csv
import io
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from tilefarm.checks.audit.job import AuditReport


class LedgerRow(BaseModel):
    job_id: int
    artist: str
    status: str
    escrow: int  # the deposit posted
    forfeited_bonds: int
    paid: int  # to workers
    fees: int  # verifier fees + draw bounties + re-offer bounties + protocol fee
    refunded: int
    held: int  # still in escrow
    slashed: int
    audit_ok: bool
    failed_checks: str
    top_ups: int = 0
    slashed_in: int = 0  # late and fraud slashes kept in the job's reserve
    rounds: int = 0  # re-offer rounds opened
    checked: Literal["books", "all"]  # what `audit_ok` covers


def ledger_row(report: AuditReport, checked: Literal["books", "all"]) -> LedgerRow:
    """The row of a job's audit report: of its books alone (`audit_books`), or of everything
    (`audit_job`)."""
    m = report.money
    return LedgerRow(
        job_id=report.job_id, artist=report.artist, status=report.status, escrow=m.deposit,
        forfeited_bonds=m.bid_bonds_forfeited, paid=m.paid_to_workers,
        fees=m.verifier_fees + m.draw_bounties + m.reoffer_bounties + m.protocol_fee,
        refunded=m.refunded, held=m.escrow_held, slashed=m.slashed, audit_ok=report.ok,
        failed_checks="; ".join(c.name for c in report.failed), top_ups=m.top_ups,
        slashed_in=m.slashed_into_reserve, rounds=max(len(m.rounds) - 1, 0), checked=checked,
    )  # fmt: skip


def ledger_csv(rows: Iterable[LedgerRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(LedgerRow.model_fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump())
    return out.getvalue()
