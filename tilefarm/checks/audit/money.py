"""Money in == money out for one posted job and its re-offer rounds, from their events and the
contract's `job(id)` alone.

The posted job's escrow holds every round's money. The escrow equation (every term an event
argument or the contract's formulas over them):

    deposit + top-ups + slashes into the reserve
        == paid to workers + verifier fees + draw bounties + re-offer bounties + protocol fee
           + refunds to the artist + escrow held

where the slashes into the reserve are the late and lapsed workers' slashes and the rest of each
fraud slash once the honest verifiers had their half (`tilefarm.checks.audit.credits.Flows`),
workers and verifiers are paid when a seat's pay is released (`PaymentReleased`, never at
`ResultsAccepted`, which only says what will be owed), the verifier fees include the fee a failing
verifier keeps when the results are rejected, each `VerifierDrawn` pays its caller the draw bounty
and each `RoundOpened` its opener the re-offer bounty out of the escrow, the refunds are the
cancellation's and the completion's, and "escrow held" is the posted job's `job(id).escrow` now
(zero once the job is terminal; a round's own escrow is always zero). Bid bonds balance apart, round
by round (posted == returned at reveal + reclaimed + forfeited to the artist at the round's
settlement + still held), and so do dispute bonds and the rest of slashed stake, which never touch
the escrow: they are reported with where the contract sends them. Each payment is also checked
against its assignment (tiles x price), each verifier fee against the job's fee per tile less the
draw bounties of the seat's rounds, each draw bounty against its formula, the protocol fee against
the released tiles of every round, each settlement's credit to the artist against its unrevealed
bonds, and the deposit against the contract's quote. What each round took and paid is reported round
by round (`RoundMoney`); the tiles and the reserve through the rounds are checked by
`tilefarm.checks.audit.rounds`.
"""

from collections import defaultdict
from dataclasses import dataclass

from pydantic import BaseModel, Field

from tilefarm.adapters.chain import events as ev
from tilefarm.checks.audit.credits import Flows, job_credits
from tilefarm.checks.audit.history import JobHistory
from tilefarm.checks.audit.report import Check
from tilefarm.checks.audit.rounds import Replay, replay
from tilefarm.checks.audit.rules import (
    BPS,
    MAX_VERIFIER_ROUNDS,
    draw_bounty,
    fee_per_tile,
    quote,
    verifier_fee,
)
from tilefarm.types import Wei

__all__ = ["BPS", "Money", "RoundMoney", "draw_bounty", "fee_per_tile", "job_money",
           "verifier_fee"]  # fmt: skip


class RoundMoney(BaseModel):
    """One sale of the job, in wei: the posted job's own (round 0) or a re-offer round's, whose
    money the posted job's escrow holds."""

    job_id: int = Field(description="the round's own job id (the posted job's for round 0)")
    round: int
    status: str = Field(description="the contract's JobStatus name of the round")
    tiles_on_sale: int
    tiles_sold: int
    tiles_paid: int
    opener_bounty: Wei
    bid_bonds_posted: Wei
    bid_bonds_returned: Wei
    bid_bonds_reclaimed: Wei
    bid_bonds_forfeited: Wei = Field(description="unrevealed bids' bonds, the artist's")
    bid_bonds_held: Wei
    paid_to_workers: Wei
    verifier_fees: Wei
    draw_bounties: Wei
    protocol_fee: Wei = Field(description="accrued on its paid tiles; paid at the job's end")
    slashed_into_reserve: Wei = Field(
        description="its late and fraudulent workers' slashes that went into the reserve"
    )


class Money(BaseModel):
    """One posted job's books with its rounds', in wei."""

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
    top_ups: Wei = 0
    reoffer_bounties: Wei = 0
    slashed_into_reserve: Wei = 0
    reserve: Wei = Field(0, description="the reserve the rules leave (reofferOf(id).reserve)")
    rounds: list[RoundMoney] = Field(
        default_factory=list, description="each sale: the posted job's own, then each round's"
    )

    @property
    def escrow_in(self) -> int:
        return self.deposit + self.top_ups + self.slashed_into_reserve

    @property
    def escrow_out(self) -> int:
        return (
            self.paid_to_workers
            + self.verifier_fees
            + self.draw_bounties
            + self.reoffer_bounties
            + self.protocol_fee
            + self.refunded
            + self.escrow_held
        )


@dataclass
class _Books:
    """One round's counters while its events are replayed."""

    commits: int = 0
    reveals: int = 0
    reclaimed: int = 0
    forfeited: int = 0
    settled: bool = False
    sold: int = 0
    tiles_paid: int = 0
    opener_bounty: int = 0
    paid: int = 0
    verifier_fees: int = 0
    bounties: int = 0
    fees: int = 0
    slashed_in: int = 0


def job_money(
    history: JobHistory, flows: Flows | None = None, replayed: Replay | None = None
) -> tuple[Money, list[Check]]:
    """The books of the job and its rounds, and the checks that they balance (`flows`, what
    its rules move into the reserve, and `replayed`, its tiles and reserve replayed, when the
    caller has them already)."""
    h = history
    params = h.posted.params
    bps = h.config.protocol_fee_bps
    bounty_bps = h.config.draw_bounty_bps
    vf = params.verify_fee_per_tile
    terms = h.terms()
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(kind="money", name=name, ok=ok, detail=detail))

    deposit_quote = quote(params.tile_count, params.max_price_per_tile, vf, bps)
    check(
        "deposit equals the quote",
        h.posted.deposit == deposit_quote,
        f"deposit {h.posted.deposit}, quote {deposit_quote} for {params.tile_count} tiles",
    )
    if flows is None:
        flows = Flows()
        job_credits(h, defaultdict(int), flows=flows)
    books = {job_id: _Books() for job_id in terms}
    for _, job_id, amount in flows.into_reserve:
        if job_id in books:
            books[job_id].slashed_in += amount
    assigned = {a.key: a for a in h.assignments()}
    refunded = slashed = dispute_bonds = top_ups = fees_due = protocol_fee = 0
    drawn: dict[tuple[int, str], bool] = {}  # seat -> a verifier is drawn in its current round
    rounds: dict[tuple[int, str], int] = {}
    appealed: set[tuple[int, str]] = set()  # seats whose open dispute is their own appeal
    kinds = h.dispute_kinds()
    released: set[tuple[int, str]] = set()
    problems: list[str] = []
    settlements: list[str] = []

    def fee_of(key: tuple[int, str]) -> int:
        a = assigned[key]
        if not drawn.get(key):
            return 0
        return verifier_fee(a.tile_count, vf, bounty_bps, rounds.get(key, 0))

    for e in h.events:
        key = (e.get("job_id", 0), e.get("worker", ""))
        b = books.get(key[0])
        if isinstance(e, ev.BidCommitted) and b:
            b.commits += 1
        elif isinstance(e, ev.BidRevealed) and b:
            b.reveals += 1
        elif isinstance(e, ev.BondReclaimed) and b:
            b.reclaimed += e.amount
        elif isinstance(e, ev.BidsSettled) and b:
            unrevealed = (b.commits - b.reveals) * terms[e.job_id].bid_bond
            b.forfeited += unrevealed
            b.settled, b.sold = True, e.assigned_tiles
            if e.artist_refund != unrevealed:
                settlements.append(
                    f"job {e.job_id}'s settlement credited the artist {e.artist_refund}, but its "
                    f"{b.commits - b.reveals} unrevealed bid(s) bonded {unrevealed}"
                )
        elif isinstance(e, ev.JobCancelled):
            refunded += e.refund
        elif isinstance(e, ev.JobCompleted):
            refunded += e.artist_refund
            protocol_fee += e.protocol_fee
            if e.protocol_fee != fees_due:
                problems.append(f"protocol fee {e.protocol_fee}, accrued fees {fees_due}")
        elif isinstance(e, ev.JobToppedUp):
            top_ups += e.amount
        elif isinstance(e, ev.RoundOpened) and e.round_id in books:
            books[e.round_id].opener_bounty = e.bounty
        elif isinstance(e, ev.VerifierDrawn) and b:
            drawn[key] = True
            b.bounties += e.bounty
            a = assigned.get(key)
            want = draw_bounty(a.tile_count, vf, bounty_bps) if a else 0
            if e.bounty != want:
                problems.append(f"draw bounty {e.bounty} for {e.worker}'s seat, not {want}")
        elif isinstance(e, ev.VerifierReplaced):
            if e.round < MAX_VERIFIER_ROUNDS:  # the last replacement closes the seat
                rounds[key] = e.round
                drawn[key] = False
        elif isinstance(e, ev.DisputeOpened):
            dispute_bonds += e.bond
            if kinds.get((e.block_number, e.log_index)) == "appeal":
                appealed.add(key)
            else:
                appealed.discard(key)
        elif isinstance(e, ev.DisputeResolved):
            if (key in appealed) != e.fraud:
                # An overruled verifier (its fail, or its pass contested or contradicting its
                # evidence): no fee. After a challenge, a new round may draw another.
                drawn[key] = False
        elif isinstance(e, ev.ResultsAccepted | ev.PaymentReleased) and b:
            a = assigned.get(key)
            if a is None:
                problems.append(f"{e.worker} was accepted or paid without an assignment")
                continue
            if e.payment != a.tile_count * a.price_per_tile:
                problems.append(
                    f"{e.worker} is owed {e.payment}, not {a.tile_count} tiles x {a.price_per_tile}"
                )
            if e.verifier_fee != fee_of(key):
                problems.append(
                    f"verifier fee {e.verifier_fee} for {e.worker}'s tiles, not {fee_of(key)}"
                )
            if isinstance(e, ev.PaymentReleased):
                b.paid += e.payment
                b.verifier_fees += e.verifier_fee
                b.tiles_paid += a.tile_count
                fee = a.tile_count * fee_per_tile(a.price_per_tile, bps)
                b.fees += fee
                fees_due += fee
                released.add(key)
        elif isinstance(e, ev.ResultsRejected) and b:
            # A rejected pass (a contest) pays its overruled verifier nothing; a confirmed fail
            # pays the failing verifier its fee.
            if key in assigned:
                b.verifier_fees += fee_of(key)
        elif isinstance(e, ev.Slashed):
            slashed += e.amount
    check(
        "each payment matches its assignment",
        not problems,
        "; ".join(problems) or f"{len(released)} assignment(s) paid tiles x price",
    )
    by_round = [_round_money(job_id, terms[job_id].round, h, b) for job_id, b in books.items()]
    unbalanced = [
        f"job {r.job_id}: posted {r.bid_bonds_posted}, returned {r.bid_bonds_returned}, "
        f"reclaimed {r.bid_bonds_reclaimed}, forfeited {r.bid_bonds_forfeited}, held "
        f"{r.bid_bonds_held}"
        for r, b in zip(by_round, books.values(), strict=True)
        if r.bid_bonds_held < 0 or (r.bid_bonds_held and b.settled)
    ]
    money = Money(
        deposit=h.posted.deposit, quote=deposit_quote,
        bid_bonds_posted=sum(r.bid_bonds_posted for r in by_round),
        bid_bonds_returned=sum(r.bid_bonds_returned for r in by_round),
        bid_bonds_reclaimed=sum(r.bid_bonds_reclaimed for r in by_round),
        bid_bonds_forfeited=sum(r.bid_bonds_forfeited for r in by_round),
        bid_bonds_held=sum(max(r.bid_bonds_held, 0) for r in by_round),
        paid_to_workers=sum(r.paid_to_workers for r in by_round),
        verifier_fees=sum(r.verifier_fees for r in by_round),
        draw_bounties=sum(r.draw_bounties for r in by_round), protocol_fee=protocol_fee,
        refunded=refunded, escrow_held=h.job.escrow, slashed=slashed,
        dispute_bonds=dispute_bonds, top_ups=top_ups,
        reoffer_bounties=sum(r.opener_bounty for r in by_round),
        slashed_into_reserve=flows.total, rounds=by_round,
        reserve=(replayed or replay(h, flows)).reserve,
    )  # fmt: skip
    check(
        "bid bonds balance",
        not unbalanced and not settlements,
        "; ".join(unbalanced + settlements)
        or f"posted {money.bid_bonds_posted}, returned {money.bid_bonds_returned}, reclaimed "
        f"{money.bid_bonds_reclaimed}, forfeited {money.bid_bonds_forfeited} (the artist's at "
        f"each settlement), held {money.bid_bonds_held}",
    )
    check(
        "money in equals money out",
        money.escrow_in == money.escrow_out,
        f"in: deposit {money.deposit} + top-ups {top_ups} + slashes into the reserve "
        f"{money.slashed_into_reserve} = {money.escrow_in}; out: workers "
        f"{money.paid_to_workers} + verifier fees {money.verifier_fees} + draw bounties "
        f"{money.draw_bounties} + re-offer bounties {money.reoffer_bounties} + protocol fee "
        f"{protocol_fee} + refunds {refunded} + still in escrow {h.job.escrow} = "
        f"{money.escrow_out}",
    )
    if h.job.terminal:
        check(
            "a finished job holds nothing",
            h.job.escrow == 0 and h.job.fees_due == 0,
            f"{h.job.status_name}: escrow {h.job.escrow}, fees due {h.job.fees_due}",
        )
    if h.rounds:
        holding = {r: (j.escrow, j.fees_due) for r, j in h.rounds.items() if j.escrow or j.fees_due}
        check(
            "the posted job holds every round's money",
            not holding,
            f"rounds holding (escrow, fees due) {holding}"
            if holding
            else f"{len(h.rounds)} round(s), each with no escrow or fees of its own",
        )
    return money, checks


def _round_money(job_id: int, round_: int, h: JobHistory, b: _Books) -> RoundMoney:
    bond = h.terms()[job_id].bid_bond
    record = h.record(job_id) if job_id == h.job_id or job_id in h.rounds else None
    held = (b.commits - b.reveals) * bond - b.reclaimed - b.forfeited
    return RoundMoney(
        job_id=job_id, round=round_, status=record.status_name if record else "?",
        tiles_on_sale=h.terms()[job_id].tile_count, tiles_sold=b.sold, tiles_paid=b.tiles_paid,
        opener_bounty=b.opener_bounty, bid_bonds_posted=b.commits * bond,
        bid_bonds_returned=b.reveals * bond, bid_bonds_reclaimed=b.reclaimed,
        bid_bonds_forfeited=b.forfeited, bid_bonds_held=held, paid_to_workers=b.paid,
        verifier_fees=b.verifier_fees, draw_bounties=b.bounties, protocol_fee=b.fees,
        slashed_into_reserve=b.slashed_in,
    )  # fmt: skip
