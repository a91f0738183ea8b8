"""The blocks whose transactions of ours are still to be checked against the chain.

After each batch of blocks the worker reads, its transactions recorded in those blocks (every
block from B on, after a reorganisation from B) must still be on the chain; `TxSender.reconcile`
sends again those that are not. The range to check is stored with the cursor, in the same database
transaction, and cleared once checked: a node failing in the middle of the check, or the worker
dying there, leaves it to be done on the next pass or after a restart. A check that has not been
done is merged into the next one, never replaced by it.
"""

from pydantic import BaseModel


class ChainCheck(BaseModel):
    first: int
    last: int | None  # None: up to the chain's head (after a reorganisation)
    unposted: list[int] = []  # jobs whose posting a reorganisation removed
    failed: bool = False  # an attempt failed: it may have left transactions marked to resend


def merged(due: ChainCheck | None, new: ChainCheck) -> ChainCheck:
    """`new`, widened to also cover a check still `due`."""
    if due is None:
        return new
    last = None if due.last is None or new.last is None else max(due.last, new.last)
    return ChainCheck(
        first=min(due.first, new.first),
        last=last,
        unposted=sorted(set(due.unposted) | set(new.unposted)),
        failed=due.failed or new.failed,
    )
