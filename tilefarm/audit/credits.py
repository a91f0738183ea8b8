"""What each party is owed by the rules: every credit to a withdrawable balance, replayed from the
market's events with the contract's formulas (docs/protocol.md), less what it withdrew.

The contract credits a balance for: a revealed bid's bond back, a reclaimed bond, the artist's
refunds (cancellation, settlement, completion), the treasury's fees, a draw bounty to whoever
called `drawVerifier` (`VerifierDrawn.caller`), a worker's pay and its verifier's fee at
`PaymentReleased` (never at `ResultsAccepted`), a failing verifier's fee at a rejection, a late
or lapsed worker's slash to the artist, a silent verifier's slash to the waiting worker, an
overruled verifier's slash (to the worker it failed, or to the artist whose contest it lost), a
fraud slash shared by the honest verifiers and the artist, and dispute bonds to the winner.
`owed - withdrawn` must equal the contract's `balanceOf`.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from tilefarm.audit.history import JobHistory
from tilefarm.audit.money import draw_bounty, verifier_fee
from tilefarm.chain import events as ev

MAX_VERIFIER_ROUNDS = 3


@dataclass
class _Seat:
    tiles: int = 0
    verifier: str | None = None
    round: int = 0
    contested: bool = False  # the open dispute is the artist's contest of a pass
    bond: int = 0
    disputer: str = ""
    votes: dict[str, bool] = field(default_factory=dict)  # voter -> fraud
    silence: int = 0  # the latest silence slash of its verifier, owed to the worker


def _pay_fraud(owed: dict[str, int], artist: str, amount: int, honest: list[str]) -> None:
    """The contract's `_payFraud`: half to the honest verifiers, the rest to the artist."""
    if honest:
        share = (amount // 2) // len(honest)
        for who in honest:
            owed[who] += share
        amount -= share * len(honest)
    owed[artist] += amount


def job_credits(h: JobHistory, owed: dict[str, int]) -> None:
    """Add to `owed` what the rules credit each party in job `h`."""
    params = h.posted.params
    bps = h.config.draw_bounty_bps
    artist = h.posted.artist
    treasury = h.config.treasury
    seats: dict[str, _Seat] = defaultdict(_Seat)
    # The worker and transaction of the latest `DisputeResolved`: the slashes and rejection
    # that follow in that transaction carry out its verdict.
    resolving: tuple[str, str] | None = None
    for e in h.events:
        if isinstance(e, ev.BidRevealed):
            owed[e.bidder] += params.bid_bond
        elif isinstance(e, ev.BondReclaimed):
            owed[e.bidder] += e.amount
        elif isinstance(e, ev.BidsSettled):
            owed[artist] += e.artist_refund
        elif isinstance(e, ev.JobCancelled):
            owed[artist] += e.refund
        elif isinstance(e, ev.JobCompleted):
            owed[artist] += e.artist_refund
            owed[treasury] += e.protocol_fee
        elif isinstance(e, ev.TilesAssigned):
            seats[e.worker].tiles = e.tile_count
        elif isinstance(e, ev.VerifierDrawn):
            seat = seats[e.worker]
            seat.verifier = e.verifier
            owed[e.caller] += draw_bounty(seat.tiles, params.verify_fee_per_tile, bps)
        elif isinstance(e, ev.WorkerTimedOut | ev.VerifierDrawMissed):
            owed[artist] += e.slashed
        elif isinstance(e, ev.Slashed):
            reason = ev.SLASH_REASONS[e.reason]
            if reason == "Silence":
                # The seat is named by the `VerifierReplaced` that follows.
                for seat in seats.values():
                    if seat.verifier == e.worker:
                        seat.silence = e.amount
            elif reason == "FalseAccusation" and resolving is not None:
                worker, tx_hash = resolving
                assert tx_hash == e.transaction_hash, "a false-accusation slash outside a verdict"
                owed[artist if seats[worker].contested else worker] += e.amount
        elif isinstance(e, ev.VerifierReplaced):
            seat = seats[e.worker]
            if e.silent_verifier == seat.verifier and seat.verifier is not None:
                owed[e.worker] += seat.silence
            seat.silence = 0
            seat.round = e.round
            if e.round < MAX_VERIFIER_ROUNDS:
                seat.verifier = None
        elif isinstance(e, ev.PaymentReleased):
            owed[e.worker] += e.payment
            if e.verifier_fee:
                verifier = seats[e.worker].verifier
                assert verifier is not None, f"a fee paid for {e.worker}'s seat with no verifier"
                owed[verifier] += e.verifier_fee
        elif isinstance(e, ev.DisputeOpened):
            seat = seats[e.worker]
            seat.contested = e.disputer != e.worker
            seat.bond = e.bond
            seat.disputer = e.disputer
            seat.votes = {}
        elif isinstance(e, ev.VoteCast):
            seats[e.worker].votes[e.voter] = e.fraud
        elif isinstance(e, ev.DisputeResolved):
            resolving = (e.worker, e.transaction_hash)
            seat = seats[e.worker]
            if not e.fraud:
                owed[e.worker] += seat.bond  # the worker wins either kind of dispute
                seat.bond = 0
                if not seat.contested:
                    seat.verifier = None  # the lying verifier forfeits its fee
            elif seat.contested:
                owed[seat.disputer] += seat.bond
                seat.bond = 0
                seat.verifier = None  # the overruled pass forfeits its fee
        elif isinstance(e, ev.ResultsRejected):
            seat = seats[e.worker]
            voters = [v for v, fraud in seat.votes.items() if fraud]
            by_panel = resolving == (e.worker, e.transaction_hash)
            if seat.contested and by_panel:
                _pay_fraud(owed, artist, e.slashed, voters)
                continue
            honest: list[str] = []
            extra = 0
            if by_panel:  # a lost appeal: the voters share, plus its bond
                honest = voters
                extra = seat.bond
                seat.bond = 0
            if seat.verifier is not None:
                owed[seat.verifier] += verifier_fee(
                    seat.tiles, params.verify_fee_per_tile, bps, seat.round
                )
                honest.append(seat.verifier)
            _pay_fraud(owed, artist, e.slashed + extra, honest)


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
