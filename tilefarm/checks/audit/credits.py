"""What each party is owed by the rules: every credit to a withdrawable balance, replayed from the
market's events with the contract's formulas (docs/protocol.md), less what it withdrew.

The contract credits a balance for: a revealed bid's bond back, a reclaimed bond, the bonds of a
round's unrevealed bids to the artist at its settlement, the artist's refunds (cancellation,
completion), the treasury's fees, a draw bounty to whoever called `drawVerifier`
(`VerifierDrawn.caller`), a re-offer bounty to whoever opened a round (`RoundOpened.opener`), a
worker's pay and its verifier's fee at `PaymentReleased` (never at `ResultsAccepted`), a failing
verifier's fee at a rejection (after a fail, or a reveal the worker let pass), a silent verifier's
slash to the waiting worker, an overruled verifier's slash (to the worker it failed, less the
panel's fee; to the challenger of a pass that contradicted its own evidence, less the panel's fee;
or to the artist whose contest it lost), the honest verifiers' half of a fraud slash, a dispute
bond back to a disputer that won, a dispute panel's pay, and an unrevealed sealed bid's collateral
to the artist (`forfeitBid`: its `Slashed`, reason Unrevealed, up to the collateral its declared
tiles locked at its round's maximum price, then its `BidForfeited`). A late or lapsed worker's
slash and the rest of a fraud slash credit nobody: they go into the posted job's reserve
(`Flows`), and reach the artist only with the job's completion refund.

Every round of a job runs by these rules; a seat is known by its round's job id and its worker.

A panel is paid by the side that lost: the disputer's bond when the disputer lost, else up to one
dispute bond out of the loser's slash (the overruled failing verifier's on an appeal, the worker's
fraud slash on a contest: the rest of it is shared as before). Every member that revealed a vote
gets an equal share of that fee; every member that stayed silent or revealed against the outcome
is slashed (reasons Silence and Outvoted) and those slashes are shared by the members that
revealed for the outcome, or credited to the treasury when none did (a silent panel must not pay
the side its silence favours); what is left goes to the artist on fraud, else the worker (on a
challenge: to the challenger when upheld, else to the verifier whose pass stood). The
audit derives these amounts itself and reports a `PanelPaid` (or a `BidForfeited`) that says
otherwise.
`owed - withdrawn` must equal the contract's `balanceOf`.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from tilefarm.adapters.chain import events as ev
from tilefarm.checks.audit.history import DisputeKind, JobHistory
from tilefarm.checks.audit.rules import (
    MAX_VERIFIER_ROUNDS,
    draw_bounty,
    fee_out_of,
    pay_fraud,
    reoffer_bounty,
    verifier_fee,
)

ZERO_ADDRESS = "0x" + "00" * 20
PANEL_SLASHES = ("Silence", "Outvoted")


@dataclass
class _Seat:
    tiles: int = 0
    verifier: str | None = None
    round: int = 0
    kind: DisputeKind | None = None  # the latest dispute's
    challenged: str | None = None  # a challenge's verifier (the panel's rounding goes to it)
    bond: int = 0
    disputer: str = ""
    members: list[str] = field(default_factory=list)  # the panel, in seat order
    votes: dict[str, bool] = field(default_factory=dict)  # revealed: voter -> fraud
    silence: int = 0  # the latest silence slash of its verifier, owed to the worker
    fraud: bool | None = None  # the panel's verdict, once resolved
    fee: int = 0  # the panel's fee, once known
    forfeited: int = 0  # the panel members' slashes at the verdict


@dataclass(frozen=True)
class PanelPay:
    """What `_payPanel` owes: `fee_each` to every member that revealed, `bonds_each` more to every
    member that revealed for the outcome, `remainder` to `beneficiary`, and `to_treasury` (not in
    `PanelPaid`) the members' forfeits when nobody revealed for the outcome."""

    beneficiary: str
    fee_each: int
    bonds_each: int
    remainder: int
    to_treasury: int = 0


def panel_pay(fee: int, forfeited: int, revealed: int, winners: int, beneficiary: str) -> PanelPay:
    """The contract's `_payPanel` arithmetic."""
    fee_each = fee // revealed if revealed else 0
    remainder = fee - fee_each * revealed
    if winners == 0:
        return PanelPay(beneficiary, fee_each, 0, remainder, to_treasury=forfeited)
    bonds_each = forfeited // winners
    remainder += forfeited - bonds_each * winners
    return PanelPay(beneficiary, fee_each, bonds_each, remainder)


@dataclass
class RuleProblems:
    """Where a job's events say the rules were not followed: a panel paid otherwise, or a
    forfeited bid that credited the artist otherwise."""

    panels: list[str] = field(default_factory=list)
    forfeits: list[str] = field(default_factory=list)


@dataclass
class Flows:
    """What the rules move into a posted job's reserve instead of crediting anyone: each late or
    lapsed worker's slash and the rest of each fraud slash, as `(position, round's job id,
    amount)` in chain order."""

    into_reserve: list[tuple[tuple[int, int], int, int]] = field(default_factory=list)

    def add(self, e: ev.MarketEvent, amount: int) -> None:
        job_id = e.get("job_id", 0)
        self.into_reserve.append(((e.block_number, e.log_index), job_id, amount))

    @property
    def total(self) -> int:
        return sum(amount for _, _, amount in self.into_reserve)


def job_credits(
    h: JobHistory,
    owed: dict[str, int],
    problems: RuleProblems | None = None,
    flows: Flows | None = None,
) -> None:
    """Add to `owed` what the rules credit each party in job `h` and its rounds, and to `flows`
    what they move into its reserve; where the chain's events say the rules were not followed
    (a panel paid otherwise, a forfeit credited otherwise), add why to `problems`."""
    params = h.posted.params
    terms = h.terms()
    bps = h.config.draw_bounty_bps
    bond_size = h.config.dispute_bond
    artist = h.posted.artist
    treasury = h.config.treasury
    seats: dict[tuple[int, str], _Seat] = defaultdict(_Seat)
    found = RuleProblems() if problems is None else problems
    moved = Flows() if flows is None else flows
    # sealed bids: (round, bidder) -> the tiles its commit declared
    declared: dict[tuple[int, str], int] = {}
    revealed_bids: set[tuple[int, str]] = set()
    # (round, bidder) -> (tx, amount) of its Unrevealed slash
    unrevealed_slash: dict[tuple[int, str], tuple[str, int]] = {}
    # The seat and transaction of the latest `DisputeResolved`: the slashes and rejection
    # that follow in that transaction carry out its verdict.
    resolving: tuple[tuple[int, str], str] | None = None
    kinds = h.dispute_kinds()

    def by_verdict(e: ev.MarketEvent) -> _Seat | None:
        """The seat whose verdict is being carried out by `e`'s transaction, if any."""
        if resolving is None or resolving[1] != e.transaction_hash:
            return None
        return seats[resolving[0]]

    for e in h.events:
        key: tuple[int, str] = (e.get("job_id", 0), e.get("worker", ""))
        if isinstance(e, ev.BidCommitted):
            declared[(e.job_id, e.bidder)] = e.tile_count
        elif isinstance(e, ev.BidRevealed):
            revealed_bids.add((e.job_id, e.bidder))
            owed[e.bidder] += terms[e.job_id].bid_bond
        elif isinstance(e, ev.BidForfeited):
            # `forfeitBid`: up to the collateral its commit locked, slashed (the `Slashed`
            # just before, in the same transaction) and credited to the artist.
            bid = (e.job_id, e.bidder)
            tx, slashed = unrevealed_slash.pop(bid, ("", 0))
            price = terms[e.job_id].max_price_per_tile
            lock = h.config.collateral(declared.get(bid, 0), price)
            owed[artist] += slashed
            if bid not in declared or bid in revealed_bids:
                found.forfeits.append(f"{e.bidder}'s bid was forfeited, but it was not unrevealed")
            if tx != e.transaction_hash or e.slashed != slashed or slashed > lock:
                found.forfeits.append(
                    f"{e.bidder}'s forfeited bid credited the artist {e.slashed}, but its slash "
                    f"was {slashed if tx == e.transaction_hash else 'not emitted'}, of at most "
                    f"{lock} locked"
                )
        elif isinstance(e, ev.BondReclaimed):
            owed[e.bidder] += e.amount
        elif isinstance(e, ev.BidsSettled):
            owed[artist] += e.artist_refund  # the unrevealed bids' bonds (checked in `money`)
        elif isinstance(e, ev.JobCancelled):
            owed[artist] += e.refund
        elif isinstance(e, ev.JobCompleted):
            owed[artist] += e.artist_refund
            owed[treasury] += e.protocol_fee
        elif isinstance(e, ev.RoundOpened):
            owed[e.opener] += reoffer_bounty(e.tiles, params.verify_fee_per_tile, bps)
        elif isinstance(e, ev.TilesAssigned):
            seats[key].tiles = e.tile_count
        elif isinstance(e, ev.VerifierDrawn):
            seat = seats[key]
            seat.verifier = e.verifier
            owed[e.caller] += draw_bounty(seat.tiles, params.verify_fee_per_tile, bps)
        elif isinstance(e, ev.WorkerTimedOut | ev.SeatAbandoned | ev.VerifierDrawMissed):
            moved.add(e, e.slashed)  # the culprit pays for its tiles' next round first
        elif isinstance(e, ev.Slashed):
            reason = ev.SLASH_REASONS[e.reason]
            judged = by_verdict(e)
            if reason == "Unrevealed":
                # `BidForfeited` next
                unrevealed_slash[key] = (e.transaction_hash, e.amount)
            elif judged is not None and reason in PANEL_SLASHES and e.worker in judged.members:
                judged.forfeited += e.amount  # shared at the `PanelPaid` that follows
            elif reason == "Silence":
                # The seat is named by the `VerifierReplaced` that follows.
                for (job_id, _), seat in seats.items():
                    if job_id == e.job_id and seat.verifier == e.worker:
                        seat.silence = e.amount
            elif reason == "FalseAccusation" and resolving is not None:
                judged_seat, tx_hash = resolving
                assert tx_hash == e.transaction_hash, "a false-accusation slash outside a verdict"
                seat = seats[judged_seat]
                if seat.kind == "contest":
                    owed[artist] += e.amount  # the overruled pass pays the artist in full
                else:
                    # A lying fail pays the worker, a contradicted pass its challenger: both
                    # after the panel's fee.
                    seat.fee = fee_out_of(e.amount, bond_size)
                    owed[seat.disputer if seat.kind == "challenge" else judged_seat[1]] += (
                        e.amount - seat.fee
                    )
        elif isinstance(e, ev.VerifierReplaced):
            seat = seats[key]
            # Not silence when an upheld challenge replaced a contradicted verifier.
            silent = by_verdict(e) is None
            if silent and e.silent_verifier == seat.verifier and seat.verifier is not None:
                owed[e.worker] += seat.silence
            seat.silence = 0
            seat.round = e.round
            if e.round < MAX_VERIFIER_ROUNDS:
                seat.verifier = None
        elif isinstance(e, ev.PaymentReleased):
            owed[e.worker] += e.payment
            if e.verifier_fee:
                verifier = seats[key].verifier
                assert verifier is not None, f"a fee paid for {e.worker}'s seat with no verifier"
                owed[verifier] += e.verifier_fee
        elif isinstance(e, ev.DisputeOpened):
            seat = seats[key]
            seat.kind = kinds.get((e.block_number, e.log_index))
            seat.challenged = seat.verifier
            seat.bond = e.bond
            seat.disputer = e.disputer
            seat.members, seat.votes = [], {}
            seat.fraud, seat.fee, seat.forfeited = None, 0, 0
        elif isinstance(e, ev.PanelDrawn):
            seats[key].members = [m for m in e.members if m != ZERO_ADDRESS]
        elif isinstance(e, ev.VoteCast):
            seats[key].votes[e.voter] = e.fraud
        elif isinstance(e, ev.DisputeResolved):
            resolving = (key, e.transaction_hash)
            seat = seats[key]
            seat.fraud = e.fraud
            appeal = seat.kind == "appeal"
            if appeal != e.fraud:
                # The disputer won: its bond back; the fee comes out of the loser's slash.
                owed[seat.disputer] += seat.bond
                seat.fee = 0
                if seat.kind != "challenge":
                    # The overruled verifier (its fail or its pass): no fee. A contradicted
                    # verifier is replaced by the `VerifierReplaced` that follows.
                    seat.verifier = None
            else:
                seat.fee = seat.bond  # the disputer lost: its bond pays the panel
            seat.bond = 0
        elif isinstance(e, ev.ResultsRejected):
            seat = seats[key]
            voters = [v for v, fraud in seat.votes.items() if fraud]
            by_panel = resolving == (key, e.transaction_hash)
            if seat.kind == "contest" and by_panel:
                seat.fee = fee_out_of(e.slashed, bond_size)
                moved.add(e, pay_fraud(owed, e.slashed - seat.fee, voters))
                continue
            honest = voters if by_panel else []  # a lost appeal: the fraud voters share
            if seat.verifier is not None:
                owed[seat.verifier] += verifier_fee(
                    seat.tiles, params.verify_fee_per_tile, bps, seat.round
                )
                honest.append(seat.verifier)
            moved.add(e, pay_fraud(owed, e.slashed, honest))
        elif isinstance(e, ev.PanelPaid):
            seat = seats[key]
            if seat.fraud is None:
                found.panels.append(f"a panel on {e.worker}'s seat was paid before its verdict")
                continue
            revealed = [m for m in seat.members if m in seat.votes]
            winners = [m for m in revealed if seat.votes[m] == seat.fraud]
            if seat.kind == "challenge":
                beneficiary = (seat.disputer if seat.fraud else seat.challenged) or ZERO_ADDRESS
            else:
                beneficiary = artist if seat.fraud else e.worker
            pay = panel_pay(seat.fee, seat.forfeited, len(revealed), len(winners), beneficiary)
            for member in revealed:
                owed[member] += pay.fee_each
            for member in winners:
                owed[member] += pay.bonds_each
            owed[pay.beneficiary] += pay.remainder
            owed[treasury] += pay.to_treasury
            said = PanelPay(e.beneficiary, e.fee_each, e.bonds_each, e.remainder, pay.to_treasury)
            if said != pay:
                found.panels.append(
                    f"the panel on {e.worker}'s seat was paid {said}, but the rules pay {pay} "
                    f"(fee {seat.fee}, forfeited {seat.forfeited}, {len(revealed)} revealed, "
                    f"{len(winners)} for the outcome)"
                )


def withdrawals(events: list[ev.MarketEvent]) -> dict[str, int]:
    """What each account withdrew from its balance."""
    out: dict[str, int] = defaultdict(int)
    for e in events:
        if isinstance(e, ev.Withdrawn):
            out[e.account] += e.amount
    return out


@dataclass
class CreditCheck:
    """Parties whose balance is not what the rules owe them, with both amounts."""

    owed: dict[str, int]
    mismatches: list[str]


def check_credits(
    histories: list[JobHistory],
    unattached: list[ev.MarketEvent],
    balances: dict[str, int],
) -> CreditCheck:
    """Compare `balances` (the contract's `balanceOf`, for every party) with owed - withdrawn."""
    owed: dict[str, int] = defaultdict(int)
    for h in histories:
        job_credits(h, owed)
    withdrawn = withdrawals(unattached)
    mismatches = []
    for who in sorted(set(balances) | set(owed) | set(withdrawn)):
        want = owed.get(who, 0) - withdrawn.get(who, 0)
        got = balances.get(who, 0)
        if want != got:
            mismatches.append(
                f"{who}: balance {got}, but the rules credited {owed.get(who, 0)} and it "
                f"withdrew {withdrawn.get(who, 0)}"
            )
    return CreditCheck(owed=dict(owed), mismatches=mismatches)
