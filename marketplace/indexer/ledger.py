"""The audit ledger of a job: its money in and out, summed from the indexed ledger entries.

Pure arithmetic over rows the projection wrote; `balanced` cross-checks the entries (what came in
minus what went out) against what the job should still hold by the contract's own bookkeeping
(escrow, bonds of unrevealed bids while they are owed, bonds of disputes not yet resolved).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from marketplace.db.chain_models import DisputeView, JobView, LedgerEntry

# Who is credited out of a job (`LedgerEntry.role`); "panel": a dispute panel's pay;
# "challenger": whoever challenged a pass as contradicting its evidence (its bond back and the
# verifier's slash, less the panel's fee, when upheld).
ROLES = ("artist", "worker", "verifier", "treasury", "bidder", "drawer", "panel", "challenger")
# Escrow the artist gets back unspent (the rest of what it receives is slash shares and bonds).
REFUNDS = ("cancel_refund", "settlement_refund", "completion_refund")
# The collateral of a sealed bid never revealed, slashed to the artist by `forfeitBid`.
FORFEITS = "forfeited_collateral"


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

    @property
    def paid_in(self) -> int:
        return self.deposit + self.bid_bonds_in + self.dispute_bonds_in + self.slashed

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
        )

    @property
    def held(self) -> int:
        return self.paid_in - self.paid_out

    @property
    def balanced(self) -> bool:
        return self.held == self.expected_held


def job_money(
    job: JobView, entries: Iterable[LedgerEntry], disputes: Iterable[DisputeView]
) -> JobMoney:
    """Sum one job's ledger entries by kind."""
    sums = {"deposit": 0, "bid_bond": 0, "dispute_bond": 0, "slash": 0}
    out = dict.fromkeys(ROLES, 0)
    refunded = forfeits = protocol_fee = panels_to_treasury = 0
    for entry in entries:
        if entry.direction == "in":
            sums[entry.reason.split(":")[0]] += entry.amount
            continue
        out[entry.role] += entry.amount
        if entry.reason in REFUNDS:
            refunded += entry.amount
        elif entry.reason == FORFEITS:
            forfeits += entry.amount
        elif entry.role == "treasury":
            if entry.reason == "protocol_fee":
                protocol_fee += entry.amount
            else:
                panels_to_treasury += entry.amount
    unrevealed = (
        (job.commits - job.reveals) * job.bid_bond if job.status in ("Bidding", "Cancelled") else 0
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
    )
