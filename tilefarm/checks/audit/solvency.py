"""The whole market's books: its ETH balance must equal everything it owes, and each party's
withdrawable balance must be what the rules credited it.

What it owes: every posted job's escrow (which holds its rounds' money too), the bonds of
unrevealed bids while they can still be reclaimed or forfeited to the artist (a job or round in
bidding, or a cancelled job), the bonds of unresolved disputes (of a job's seats or its rounds'),
and every account's stake, stake being unstaked and withdrawable balance. The accounts are every
address the market's events name (the caller of a draw or the opener of a round, credited its
bounty, included). Each balance is then checked against `tilefarm.checks.audit.credits`.
"""

from pydantic import BaseModel

from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.contract import checksummed
from tilefarm.adapters.chain.events import EVENT_MODELS
from tilefarm.adapters.chain.records import Account, Dispute, record
from tilefarm.checks.audit.credits import check_credits
from tilefarm.checks.audit.history import JobHistory
from tilefarm.types import Wei

ADDRESS_FIELDS = (
    "worker", "bidder", "artist", "account", "verifier", "voter", "disputer", "caller",
    "beneficiary", "opener",
)  # fmt: skip


class Solvency(BaseModel):
    balance: Wei
    owed: Wei
    escrow: Wei
    bid_bonds: Wei
    dispute_bonds: Wei
    accounts: Wei
    account_count: int
    credit_mismatches: list[str] = []

    @property
    def balanced(self) -> bool:
        """The contract's ETH equals what it owes."""
        return self.balance == self.owed

    @property
    def ok(self) -> bool:
        """Balanced, and every party's balance is what the rules credited it."""
        return self.balanced and not self.credit_mismatches


def parties(events: list[ev.MarketEvent]) -> set[str]:
    """Every address the events name."""
    found: set[str] = set()
    for e in events:
        for name in ADDRESS_FIELDS:
            value = e.get(name)
            if isinstance(value, str):
                found.add(value)
        if isinstance(e, ev.PanelDrawn):
            found.update(m for m in e.members if int(m, 16) != 0)
    return found


# The events that name no job: staking, hardware, withdrawals.
UNATTACHED = tuple(m for m in EVENT_MODELS.values() if "job_id" not in m.model_fields)


def solvency(
    market: JobMarketClient,
    histories: list[JobHistory],
    from_block: int = 0,
    block: int | None = None,
) -> Solvency:
    """Compare the market's ETH balance with what it owes, and each party's balance with what
    the rules credited it, read at `block` (the latest by default: give the block `histories`
    were read at), the views in batches."""
    block = int(market.w3.eth.block_number) if block is None else block
    escrow = bid_bonds = 0
    opened: list[tuple[int, str]] = []
    everyone: set[str] = {market.config().treasury}
    for h in histories:
        for job in (h.job, *h.rounds.values()):
            escrow += job.escrow
            if job.status_name in ("Bidding", "Cancelled"):
                bid_bonds += (job.commits - job.reveals) * job.bid_bond
        disputed = {(e.job_id, e.worker) for e in h.events if isinstance(e, ev.DisputeOpened)}
        opened += sorted(disputed)
        everyone |= parties(h.events)
    disputes = market.views("dispute", [(j, checksummed(w)) for j, w in opened], block)
    dispute_bonds = sum(record(Dispute, d).bond for d in disputes)
    # Staking and withdrawals name no job: stakers who never took one are owed their stake.
    unattached = market.events(from_block=from_block, to_block=block, kinds=UNATTACHED)
    everyone |= parties(unattached)
    accounts = 0
    balances: dict[str, int] = {}
    who = sorted(everyone)
    views = market.views("account", [(checksummed(w),) for w in who], block)
    for address, raw in zip(who, views, strict=True):
        a = record(Account, raw)
        accounts += a.stake + a.unstaking + a.balance
        balances[address] = a.balance
    balance = int(market.w3.eth.get_balance(market.address, block))  # type: ignore[arg-type]
    credits = check_credits(histories, unattached, balances)
    return Solvency(
        balance=balance, owed=escrow + bid_bonds + dispute_bonds + accounts, escrow=escrow,
        bid_bonds=bid_bonds, dispute_bonds=dispute_bonds, accounts=accounts,
        account_count=len(everyone), credit_mismatches=credits.mismatches,
    )  # fmt: skip
