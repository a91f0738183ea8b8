"""What the drills check on the chain after a fault: the market holds exactly what it owes, no
seat was paid twice, and each party's withdrawable balance moved by what the drill expects."""

from web3 import Web3

from tests.worker.conftest import dev_account
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import DEV_ACCOUNTS
from tilefarm_cli.demo.artist import release_accepted


def parties(market: JobMarketClient) -> set[str]:
    """Every address the market could owe something: the dev accounts, the treasury, and anyone
    named in its events."""
    found = {dev_account(i).address for i in range(DEV_ACCOUNTS)} | {market.config().treasury}
    for event in market.events():
        for name in ("worker", "artist", "bidder", "verifier", "disputer", "account"):
            value = getattr(event, name, None)
            if isinstance(value, str):
                found.add(Web3.to_checksum_address(value))
    return found


def owed(market: JobMarketClient) -> int:
    """Everything the market owes: every account's stake, unstaking and balance, every job's
    escrow, unrevealed bid bonds of jobs still bidding (or cancelled), open dispute bonds."""
    total = 0
    for job_id in range(1, market.job_count() + 1):
        job = market.job(job_id)
        total += job.escrow
        if job.status_name in ("Bidding", "Cancelled"):
            total += (job.commits - job.reveals) * job.bid_bond
    disputes = {(e.job_id, e.worker) for e in market.events() if isinstance(e, ev.DisputeOpened)}
    total += sum(market.dispute(job_id, worker).bond for job_id, worker in disputes)
    for who in parties(market):
        account = market.account(who)
        total += account.stake + account.unstaking + account.balance
    return total


def assert_money_conserved(w3: Web3, market: JobMarketClient) -> None:
    held = w3.eth.get_balance(Web3.to_checksum_address(market.address))
    assert held == owed(market), "the market's ETH differs from what it owes"


def assert_each_seat_paid_at_most_once(market: JobMarketClient, job_id: int) -> None:
    """Seats cover disjoint tile ranges, and no seat was paid twice or both paid and timed out,
    rejected or left unverified."""
    history = market.events(job_id=job_id)
    assigned = [e for e in history if isinstance(e, ev.TilesAssigned)]
    tiles = sorted(t for e in assigned for t in range(e.first_tile, e.first_tile + e.tile_count))
    assert tiles == sorted(set(tiles)), "two seats hold the same tile"
    ends: dict[str, list[str]] = {}
    for event in history:
        ending = ev.PaymentReleased | ev.WorkerTimedOut | ev.ResultsRejected | ev.ResultsUnverified
        if isinstance(event, ending | ev.VerifierDrawMissed | ev.SeatAbandoned):
            ends.setdefault(event.worker, []).append(type(event).__name__)
    for worker, outcomes in ends.items():
        assert len(outcomes) == 1, f"seat of {worker} ended {len(outcomes)} times: {outcomes}"


def round_ids(market: JobMarketClient, job_id: int) -> list[int]:
    """The job's own id and the ids of its re-offer rounds, in order."""
    opened = [e for e in market.events(job_id=job_id) if isinstance(e, ev.RoundOpened)]
    return [job_id, *(e.round_id for e in opened)]


def assert_no_tile_paid_twice(market: JobMarketClient, job_id: int) -> dict[int, int]:
    """Across the job's rounds, every seat ended once and no tile was paid to two seats; returns
    each paid tile's round number (0: the first round)."""
    paid: dict[int, int] = {}
    for number, round_id in enumerate(round_ids(market, job_id)):
        assert_each_seat_paid_at_most_once(market, round_id)
        for event in market.events(job_id=round_id):
            if isinstance(event, ev.PaymentReleased):
                seat = market.seat(round_id, event.worker)
                for tile in range(seat.first_tile, seat.first_tile + seat.tile_count):
                    assert tile not in paid, f"tile {tile} paid in rounds {paid[tile]} and {number}"
                    paid[tile] = number
    return paid


def balances(market: JobMarketClient, *who: str) -> dict[str, int]:
    return {w: market.balance_of(w) for w in who}


def completed_once_released(market: JobMarketClient, job_id: int) -> bool:
    """The artist (a dev account the node signs for) pays every accepted seat of the job and of
    its rounds at once, waiving its contest window as the demo's artist does; True once the job
    is completed."""
    job = market.job(job_id)
    if job.status_name == "Active":
        for round_id in round_ids(market, job_id):
            release_accepted(market, job.artist, round_id)
    return market.job(job_id).status_name == "Completed"
