"""The audit ledger of a posted job and its re-offer rounds: its money in and out, summed from the
indexed ledger entries.

Pure arithmetic over rows the projection wrote; `balanced` cross-checks the entries (what came in
minus what went out) against what the job should still hold by the contract's own bookkeeping
(the posted job's escrow, which holds every round's money, the bonds of unrevealed bids while
they are owed, the bonds of disputes not yet resolved), and `tiles_paid_twice` lists any tile two
paid seats of its rounds share (none, by the protocol's rules).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from marketplace.db.chain_models import DisputeView, JobView, LedgerEntry, SeatView

# Who is credited out of a job (`LedgerEntry.role`); "panel": a dispute panel's pay;
# "challenger": whoever challenged a pass as contradicting its evidence (its bond back and the
# verifier's slash, less the panel's fee, when upheld); "opener": whoever opened a re-offer round
# (its bounty, out of the reserve).
ROLES = (
    "artist", "worker", "verifier", "treasury", "bidder", "drawer", "panel", "challenger", "opener",
)  # fmt: skip
# Escrow the artist gets back unspent (the rest of what it receives is slash shares and bonds).
REFUNDS = ("cancel_refund", "completion_refund")
# The collateral of a sealed bid never revealed, slashed to the artist by `forfeitBid`.
FORFEITS = "forfeited_collateral"
# The bonds of bids never revealed, the artist's at their round's settlement.
UNREVEALED_BONDS = "unrevealed_bonds"
# What comes into a job, by the first part of `LedgerEntry.reason` ("slash:Late" is a slash).
INCOMING = ("deposit", "top_up", "bid_bond", "dispute_bond", "slash")


@dataclass(frozen=True)
class JobMoney:
    job_id: int
    status: str
    deposit: int
    bid_bonds_in: int
    dispute_bonds_in: int
    slashed: int
    to_artist: int
    to_workers: int
    to_verifiers: int
    to_treasury: int
    to_bidders: int
    to_drawers: int
    to_panels: int
    to_challengers: int
    refunded: int
    forfeits: int  # part of to_artist
    protocol_fee: int  # part of to_treasury
    panels_to_treasury: int  # part of to_treasury: silent panels' forfeited stakes
    expected_held: int
    top_ups: int = 0
    to_openers: int = 0
    unrevealed_bonds: int = 0  # part of to_artist
    rounds: int = 0  # re-offer rounds opened
    tiles_paid_twice: list[int] = field(default_factory=list)

    @property
    def paid_in(self) -> int:
        return (
            self.deposit + self.top_ups + self.bid_bonds_in + self.dispute_bonds_in + self.slashed
        )

    @property
    def paid_out(self) -> int:
        return (
            self.to_artist
            + self.to_workers
            + self.to_verifiers
            + self.to_treasury
            + self.to_bidders
            + self.to_drawers
            + self.to_panels
            + self.to_challengers
            + self.to_openers
        )

    @property
    def held(self) -> int:
        return self.paid_in - self.paid_out

    @property
    def balanced(self) -> bool:
        return self.held == self.expected_held and not self.tiles_paid_twice


def job_money(
    job: JobView,
    entries: Iterable[LedgerEntry],
    disputes: Iterable[DisputeView],
    rounds: Iterable[JobView] = (),
    seats: Iterable[SeatView] = (),
) -> JobMoney:
    """Sum one posted job's ledger entries (those of its rounds included) by kind. `rounds` are
    its re-offer rounds' rows, `disputes` and `seats` those of the job and its rounds."""
    sums = dict.fromkeys(INCOMING, 0)
    out = dict.fromkeys(ROLES, 0)
    refunded = forfeits = unrevealed_bonds = protocol_fee = panels_to_treasury = 0
    for entry in entries:
        if entry.direction == "in":
            sums[entry.reason.split(":")[0]] += entry.amount
            continue
        out[entry.role] += entry.amount
        if entry.reason in REFUNDS:
            refunded += entry.amount
        elif entry.reason == FORFEITS:
            forfeits += entry.amount
        elif entry.reason == UNREVEALED_BONDS:
            unrevealed_bonds += entry.amount
        elif entry.role == "treasury":
            if entry.reason == "protocol_fee":
                protocol_fee += entry.amount
            else:
                panels_to_treasury += entry.amount
    rounds = list(rounds)
    unrevealed = sum(
        (j.commits - j.reveals) * j.bid_bond
        for j in (job, *rounds)
        if j.status in ("Bidding", "Cancelled")
    )
    open_bonds = sum(d.bond for d in disputes)
    return JobMoney(
        job_id=job.job_id,
        status=job.status,
        deposit=sums["deposit"],
        bid_bonds_in=sums["bid_bond"],
        dispute_bonds_in=sums["dispute_bond"],
        slashed=sums["slash"],
        to_artist=out["artist"],
        to_workers=out["worker"],
        to_verifiers=out["verifier"],
        to_treasury=out["treasury"],
        to_bidders=out["bidder"],
        to_drawers=out["drawer"],
        to_panels=out["panel"],
        to_challengers=out["challenger"],
        refunded=refunded,
        forfeits=forfeits,
        protocol_fee=protocol_fee,
        panels_to_treasury=panels_to_treasury,
        expected_held=job.escrow + unrevealed + open_bonds,
        top_ups=sums["top_up"],
        to_openers=out["opener"],
        unrevealed_bonds=unrevealed_bonds,
        rounds=len(rounds),
        tiles_paid_twice=tiles_paid_twice(seats),
    )


def tiles_paid_twice(seats: Iterable[SeatView]) -> list[int]:
    """The tiles that more than one paid seat holds (across a job's rounds, tile indices are
    the posted job's): none, by the protocol's rules."""
    paid: set[int] = set()
    twice: set[int] = set()
    for seat in seats:
        if seat.state != "Paid":
            continue
        tiles = set(range(seat.first_tile, seat.first_tile + seat.tile_count))
        twice |= paid & tiles
        paid |= tiles
    return sorted(twice)
