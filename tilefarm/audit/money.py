"""Money in == money out for one job, from its events and the contract's `job(id)` alone.

The escrow equation (every term an event argument or the contract's formulas over them):

    deposit + forfeited bid bonds
        == paid to workers + verifier fees + protocol fee + refunds to the artist + escrow held

where the verifier fees include the fee a failing verifier keeps when the results are rejected,
and "escrow held" is the contract's `job(id).escrow` now (zero once the job is terminal). Bid
bonds balance apart (posted == returned at reveal + reclaimed + forfeited + still held), and so
do dispute bonds and slashed stake, which never touch the escrow: they are reported with where
the contract sends them. Each payment is also checked against its assignment (tiles x price),
each verifier fee against the job's fee per tile, the protocol fee against the accepted tiles,
and the deposit against the contract's quote.
"""

from typing import Annotated

from pydantic import BaseModel, PlainSerializer, WithJsonSchema

from tilefarm.audit.history import JobHistory
from tilefarm.audit.report import Check
from tilefarm.chain import events as ev

BPS = 10_000

# Wei amounts exceed what a browser's JSON numbers hold exactly: decimal strings in JSON.
Wei = Annotated[
    int,
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]+$", "description": "wei, decimal"}),
]


class Money(BaseModel):
    """One job's books, in wei."""

    deposit: Wei
    quote: Wei
    bid_bonds_posted: Wei
    bid_bonds_returned: Wei
    bid_bonds_reclaimed: Wei
    bid_bonds_forfeited: Wei
    bid_bonds_held: Wei
    paid_to_workers: Wei
    verifier_fees: Wei
    protocol_fee: Wei
    refunded: Wei
    escrow_held: Wei
    slashed: Wei
    dispute_bonds: Wei

    @property
    def escrow_in(self) -> int:
        return self.deposit + self.bid_bonds_forfeited

    @property
    def escrow_out(self) -> int:
        return (
            self.paid_to_workers
            + self.verifier_fees
            + self.protocol_fee
            + self.refunded
            + self.escrow_held
        )


def fee_per_tile(price: int, bps: int) -> int:
    """The contract's `_feePerTile`."""
    return price * bps // BPS


def job_money(history: JobHistory) -> tuple[Money, list[Check]]:
    """The job's books and the checks that they balance."""
    h = history
    params = h.posted.params
    bps = h.config.protocol_fee_bps
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(kind="money", name=name, ok=ok, detail=detail))

    quote = params.tile_count * (
        params.max_price_per_tile + fee_per_tile(params.max_price_per_tile, bps)
        + params.verify_fee_per_tile
    )  # fmt: skip
    check(
        "deposit equals the quote",
        h.posted.deposit == quote,
        f"deposit {h.posted.deposit}, quote {quote} for {params.tile_count} tiles",
    )
    assigned = {a.worker: a for a in h.assignments()}
    commits = reveals = reclaimed = forfeited = 0
    paid = verifier_fees = protocol_fee = refunded = slashed = dispute_bonds = 0
    fees_due = 0
    drawn: dict[str, bool] = {}  # worker -> a verifier is drawn in its current round
    accepted: set[str] = set()
    problems: list[str] = []
    for e in h.events:
        if isinstance(e, ev.BidCommitted):
            commits += 1
        elif isinstance(e, ev.BidRevealed):
            reveals += 1
        elif isinstance(e, ev.BondReclaimed):
            reclaimed += e.amount
        elif isinstance(e, ev.BidsSettled):
            forfeited += (commits - reveals) * params.bid_bond
            refunded += e.artist_refund
        elif isinstance(e, ev.JobCancelled):
            refunded += e.refund
        elif isinstance(e, ev.JobCompleted):
            refunded += e.artist_refund
            protocol_fee += e.protocol_fee
            if e.protocol_fee != fees_due:
                problems.append(f"protocol fee {e.protocol_fee}, accrued fees {fees_due}")
        elif isinstance(e, ev.VerifierDrawn):
            drawn[e.worker] = True
        elif isinstance(e, ev.VerifierReplaced):
            if e.round < 3:  # MAX_VERIFIER_ROUNDS: the last replacement accepts unverified
                drawn[e.worker] = False
        elif isinstance(e, ev.ResultsAccepted):
            a = assigned.get(e.worker)
            if a is None:
                problems.append(f"{e.worker} was paid without an assignment")
                continue
            paid += e.payment
            verifier_fees += e.verifier_fee
            fees_due += a.tile_count * fee_per_tile(a.price_per_tile, bps)
            accepted.add(e.worker)
            if e.payment != a.tile_count * a.price_per_tile:
                problems.append(
                    f"{e.worker} was paid {e.payment}, not {a.tile_count} tiles x "
                    f"{a.price_per_tile}"
                )
            if e.verifier_fee not in (0, a.tile_count * params.verify_fee_per_tile):
                problems.append(f"verifier fee {e.verifier_fee} for {e.worker}'s tiles")
        elif isinstance(e, ev.ResultsRejected):
            a = assigned.get(e.worker)
            # A contested acceptance is rejected without a fee: it was paid at acceptance.
            if a is not None and drawn.get(e.worker) and e.worker not in accepted:
                verifier_fees += a.tile_count * params.verify_fee_per_tile
        elif isinstance(e, ev.Slashed):
            slashed += e.amount
        elif isinstance(e, ev.DisputeOpened):
            dispute_bonds += e.bond
    check(
        "each payment matches its assignment",
        not problems,
        "; ".join(problems) or f"{len(accepted)} assignment(s) paid tiles x price",
    )
    settled = bool(h.of(ev.BidsSettled))
    held_bonds = commits * params.bid_bond - reveals * params.bid_bond - reclaimed - forfeited
    check(
        "bid bonds balance",
        held_bonds >= 0 and (held_bonds == 0 or not settled),
        f"posted {commits * params.bid_bond}, returned {reveals * params.bid_bond}, reclaimed "
        f"{reclaimed}, forfeited {forfeited}, held {held_bonds}",
    )
    money = Money(
        deposit=h.posted.deposit, quote=quote, bid_bonds_posted=commits * params.bid_bond,
        bid_bonds_returned=reveals * params.bid_bond, bid_bonds_reclaimed=reclaimed,
        bid_bonds_forfeited=forfeited, bid_bonds_held=max(held_bonds, 0), paid_to_workers=paid,
        verifier_fees=verifier_fees, protocol_fee=protocol_fee, refunded=refunded,
        escrow_held=h.job.escrow, slashed=slashed, dispute_bonds=dispute_bonds,
    )  # fmt: skip
    check(
        "money in equals money out",
        money.escrow_in == money.escrow_out,
        f"in: deposit {money.deposit} + forfeited bonds {forfeited} = {money.escrow_in}; out: "
        f"workers {paid} + verifier fees {verifier_fees} + protocol fee {protocol_fee} + "
        f"refunds {refunded} + still in escrow {h.job.escrow} = {money.escrow_out}",
    )
    if h.job.terminal:
        check(
            "a finished job holds nothing",
            h.job.escrow == 0 and h.job.fees_due == 0,
            f"{h.job.status_name}: escrow {h.job.escrow}, fees due {h.job.fees_due}",
        )
    return money, checks
