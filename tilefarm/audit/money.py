"""Money in == money out for one job, from its events and the contract's `job(id)` alone.

The escrow equation (every term an event argument or the contract's formulas over them):

    deposit + forfeited bid bonds
        == paid to workers + verifier fees + draw bounties + protocol fee
           + refunds to the artist + escrow held

where workers and verifiers are paid when a seat's pay is released (`PaymentReleased`, never at
`ResultsAccepted`, which only says what will be owed), the verifier fees include the fee a failing
verifier keeps when the results are rejected, each `VerifierDrawn` pays its caller the draw bounty
out of the escrow, and "escrow held" is the contract's `job(id).escrow` now (zero once the job is
terminal). Bid bonds balance apart (posted == returned at reveal + reclaimed + forfeited + still
held), and so do dispute bonds and slashed stake, which never touch the escrow: they are reported
with where the contract sends them. Each payment is also checked against its assignment (tiles x
price), each verifier fee against the job's fee per tile less the draw bounties of the seat's
rounds, each draw bounty against its formula, the protocol fee against the released tiles, and
the deposit against the contract's quote.
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
    draw_bounties: Wei
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
            + self.draw_bounties
            + self.protocol_fee
            + self.refunded
            + self.escrow_held
        )


def fee_per_tile(price: int, bps: int) -> int:
    """The contract's `_feePerTile`."""
    return price * bps // BPS


def draw_bounty(tiles: int, verify_fee_per_tile: int, bounty_bps: int) -> int:
    """The contract's `_drawBounty`: what each round's `drawVerifier` pays its caller."""
    return tiles * verify_fee_per_tile * bounty_bps // BPS


def verifier_fee(tiles: int, verify_fee_per_tile: int, bounty_bps: int, round_: int) -> int:
    """The contract's `_verifierFee`: the seat's fee less the bounty of each round's draw."""
    bounty = draw_bounty(tiles, verify_fee_per_tile, bounty_bps)
    return tiles * verify_fee_per_tile - bounty * (round_ + 1)


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
    paid = verifier_fees = bounties = protocol_fee = refunded = slashed = dispute_bonds = 0
    fees_due = 0
    bounty_bps = h.config.draw_bounty_bps
    drawn: dict[str, bool] = {}  # worker -> a verifier is drawn in its current round
    rounds: dict[str, int] = {}
    appealed: set[str] = set()  # workers whose open dispute is their own appeal of a fail
    kinds = h.dispute_kinds()
    released: set[str] = set()
    problems: list[str] = []

    def fee_of(worker: str) -> int:
        a = assigned[worker]
        if not drawn.get(worker):
            return 0
        return verifier_fee(
            a.tile_count, params.verify_fee_per_tile, bounty_bps, rounds.get(worker, 0)
        )

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
            bounties += e.bounty
            a = assigned.get(e.worker)
            want = draw_bounty(a.tile_count, params.verify_fee_per_tile, bounty_bps) if a else 0
            if e.bounty != want:
                problems.append(f"draw bounty {e.bounty} for {e.worker}'s seat, not {want}")
        elif isinstance(e, ev.VerifierReplaced):
            rounds[e.worker] = e.round
            if e.round < 3:  # MAX_VERIFIER_ROUNDS: the last replacement closes the seat
                drawn[e.worker] = False
        elif isinstance(e, ev.DisputeOpened):
            dispute_bonds += e.bond
            if kinds.get((e.block_number, e.log_index)) == "appeal":
                appealed.add(e.worker)
            else:
                appealed.discard(e.worker)
        elif isinstance(e, ev.DisputeResolved):
            if (e.worker in appealed) != e.fraud:
                # An overruled verifier (its fail, or its pass contested or contradicting its
                # evidence): no fee. After a challenge, a new round may draw another.
                drawn[e.worker] = False
        elif isinstance(e, ev.ResultsAccepted | ev.PaymentReleased):
            a = assigned.get(e.worker)
            if a is None:
                problems.append(f"{e.worker} was accepted or paid without an assignment")
                continue
            if e.payment != a.tile_count * a.price_per_tile:
                problems.append(
                    f"{e.worker} is owed {e.payment}, not {a.tile_count} tiles x {a.price_per_tile}"
                )
            if e.verifier_fee != fee_of(e.worker):
                problems.append(
                    f"verifier fee {e.verifier_fee} for {e.worker}'s tiles, not {fee_of(e.worker)}"
                )
            if isinstance(e, ev.PaymentReleased):
                paid += e.payment
                verifier_fees += e.verifier_fee
                fees_due += a.tile_count * fee_per_tile(a.price_per_tile, bps)
                released.add(e.worker)
        elif isinstance(e, ev.ResultsRejected):
            # A rejected pass (a contest) pays its overruled verifier nothing; a confirmed fail
            # pays the failing verifier its fee.
            if e.worker in assigned:
                verifier_fees += fee_of(e.worker)
        elif isinstance(e, ev.Slashed):
            slashed += e.amount
    check(
        "each payment matches its assignment",
        not problems,
        "; ".join(problems) or f"{len(released)} assignment(s) paid tiles x price",
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
        verifier_fees=verifier_fees, draw_bounties=bounties, protocol_fee=protocol_fee,
        refunded=refunded,
        escrow_held=h.job.escrow, slashed=slashed, dispute_bonds=dispute_bonds,
    )  # fmt: skip
    check(
        "money in equals money out",
        money.escrow_in == money.escrow_out,
        f"in: deposit {money.deposit} + forfeited bonds {forfeited} = {money.escrow_in}; out: "
        f"workers {paid} + verifier fees {verifier_fees} + draw bounties {bounties} + protocol "
        f"fee {protocol_fee} + "
        f"refunds {refunded} + still in escrow {h.job.escrow} = {money.escrow_out}",
    )
    if h.job.terminal:
        check(
            "a finished job holds nothing",
            h.job.escrow == 0 and h.job.fees_due == 0,
            f"{h.job.status_name}: escrow {h.job.escrow}, fees due {h.job.fees_due}",
        )
    return money, checks
