"""When the worker's chain loop wakes up next (pure: rows and clocks in, seconds out).

New blocks wake the loop (WebSocket `newHeads`), and so does background work that has just
finished (a rendered assignment is committed at once, a verdict attested at once). Polling is
the fallback: every `poll_seconds` without a subscription, `HEADS_POLL_FACTOR` times slower with
one. The protocol's windows end on the chain's clock, so a worker that waits for one to end
(to reveal its bid, to settle) sleeps exactly until the first second it may act: waiting for the
next block or poll instead cost up to a block time at each of those steps.
"""

from collections.abc import Iterable
from typing import Protocol

HEADS_POLL_FACTOR = 5
# Past the second a window ends, so the next block's timestamp is past it too.
MARGIN_SECONDS = 0.05


class BiddingRow(Protocol):
    bid_end: int
    reveal_end: int
    settled: bool


def seconds_to_sleep(
    bidding: Iterable[BiddingRow],
    now: float,
    poll_seconds: float,
    heads: bool,
    settle_grace: float,
) -> float:
    """Seconds until the loop should run again: the poll interval, or sooner where one of the
    jobs still in bidding (a sealed bid still in flight included) opens its reveal (`bid_end` +
    1) or may be settled (`reveal_end` + 1, and `settle_grace` later for a worker that is not
    the cheapest)."""
    wait = poll_seconds * (HEADS_POLL_FACTOR if heads else 1)
    for job in bidding:
        if job.settled:
            continue
        for due in (job.bid_end + 1, job.reveal_end + 1, job.reveal_end + 1 + settle_grace):
            if due > now:
                wait = min(wait, due - now + MARGIN_SECONDS)
    return wait
