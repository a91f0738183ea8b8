"""Where a job stands for this worker, and the moves between stages it may make (pure: no database).

A job's stage is moved on by the worker's own acts (it bids, renders, commits, reveals, appeals)
and by the market's events (its tiles assigned, its evidence sealed, its results accepted, it is
paid). `TRANSITIONS` lists every move either can make, including those of a chain event read late
(the worker's own transaction was mined before a crash, and its stage was not stored: `lost`, then
`won` when the settlement it revealed for comes) and those of a worker reading its history again
(a lost state folder: `seen` straight to `won`). Restating the stage a job is in (the worker's own
transaction, then its event) is no move and always allowed.

A chain reorganisation is no move forward: the journal (`render_worker/chain/reorg.py`) gives a
job back the stage it had before the removed blocks (`rewind`), which must be one the job could
have come from; a job whose posting was removed is rewound to `orphaned`, the stage before `seen`.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from render_worker.errors import IllegalStageMove


class Stage(StrEnum):
    """A job's stage for this worker; the value is what the database stores."""

    SEEN = "seen"  # posted; not yet considered
    SKIPPED = "skipped"  # not bid on (price, time, stake, manifest, barred): `reason` says why
    BID = "bid"  # sealed bid committed
    REVEALED = "revealed"  # the bid revealed (the seat's results list has its own: `opened`)
    WON = "won"  # tiles assigned: render them
    LOST = "lost"  # no tiles: outbid, or not revealed in time
    CANCELLED_BID = "cancelled_bid"  # the artist cancelled after our bid: reclaim the bond
    CANCELLED = "cancelled"  # the artist cancelled (and any bond of ours is reclaimed)
    RENDERED = "rendered"  # every tile rendered and published: commit the Merkle root
    COMMITTED = "committed"  # root committed (or a new verification round): a verifier is drawn
    SEALED = "sealed"  # the verifier sealed its evidence: reveal the results list
    OPENED = "opened"  # the results list revealed: the verifier judges
    ACCEPTED = "accepted"  # passed; paid at release, once the contest window has closed
    CHALLENGED = "challenged"  # a third party disputes the verifier's pass
    FAILED = "failed"  # the verifier attested a failure: appeal
    APPEALED = "appealed"  # a panel judges the failure
    PAID = "paid"
    REJECTED = "rejected"  # slashed: a fraud, an unrevealed list, or a failure upheld
    UNVERIFIED = "unverified"  # every drawn verifier stayed silent: not paid
    TIMED_OUT = "timed_out"  # the render deadline, or the verifier's draw, missed: slashed
    ERROR = "error"  # the worker could not go on (a render failed, its list changed): `reason`
    # The worker gave its seat back (`abandonSeat`): its GPU failed, or the render broke its memory
    # or time limit; `reason` says which, in Cycles' words. Slashed as a late worker.
    ABANDONED = "abandoned"
    ORPHANED = "orphaned"  # its posting removed by a reorganisation; its bid and tiles are kept


S = Stage
TRANSITIONS: Mapping[Stage, frozenset[Stage]] = MappingProxyType(
    {
        # Bidding. A job read again after a restart may skip stages the chain has passed already.
        S.SEEN: frozenset({S.SKIPPED, S.BID, S.CANCELLED, S.WON, S.LOST}),
        S.SKIPPED: frozenset({S.CANCELLED, S.WON, S.LOST}),  # a bid sent before a restart
        S.BID: frozenset({S.REVEALED, S.LOST, S.ERROR, S.CANCELLED_BID, S.WON}),
        S.REVEALED: frozenset({S.WON, S.LOST}),
        S.LOST: frozenset({S.WON}),  # "not revealed in time", but a reveal sent before a crash was
        S.CANCELLED_BID: frozenset({S.CANCELLED}),
        # The worker's own seat.
        S.WON: frozenset({S.RENDERED, S.ERROR, S.ABANDONED, S.COMMITTED, S.TIMED_OUT}),
        S.RENDERED: frozenset({S.COMMITTED, S.TIMED_OUT}),
        # The artist may accept a seat before its verdict (`acceptResults` on a seat Submitted,
        # Sealed, Opened or Failed), so every stage of a committed seat may move to `accepted`.
        S.COMMITTED: frozenset({S.SEALED, S.TIMED_OUT, S.UNVERIFIED, S.ACCEPTED}),
        S.SEALED: frozenset({S.OPENED, S.ERROR, S.REJECTED, S.ACCEPTED}),
        # A silent verifier replaced after the reveal starts a new round at `committed`.
        S.OPENED: frozenset({S.FAILED, S.ACCEPTED, S.COMMITTED, S.UNVERIFIED}),
        S.FAILED: frozenset({S.APPEALED, S.ACCEPTED, S.REJECTED}),
        S.APPEALED: frozenset({S.ACCEPTED, S.REJECTED}),
        S.ACCEPTED: frozenset({S.PAID, S.CHALLENGED, S.REJECTED}),  # rejected: the artist's contest
        S.CHALLENGED: frozenset({S.COMMITTED, S.ACCEPTED}),  # upheld: verified again in a new round
        # What the chain does to a seat left there (accepted: by its artist, if it was committed).
        S.ERROR: frozenset({S.TIMED_OUT, S.REJECTED, S.ACCEPTED}),
        S.ABANDONED: frozenset({S.TIMED_OUT}),  # giving it back failed: claimed late instead
        S.ORPHANED: frozenset({S.SEEN}),  # its posting came back
        # Ends.
        S.CANCELLED: frozenset(),
        S.PAID: frozenset(),
        S.REJECTED: frozenset(),
        S.UNVERIFIED: frozenset(),
        S.TIMED_OUT: frozenset(),
    }
)
del S

TERMINAL = frozenset(stage for stage, moves in TRANSITIONS.items() if not moves)


def can_move(job_from: Stage | str, to: Stage) -> bool:
    """Whether a job in `job_from` may move to `to` (restating the same stage always may)."""
    return job_from == to or to in TRANSITIONS[Stage(job_from)]


def check_move(job_id: int, job_from: Stage | str, to: Stage) -> None:
    """Raise `IllegalStageMove` unless a job in `job_from` may move to `to`."""
    if not can_move(job_from, to):
        raise IllegalStageMove(job_id, job_from, to)


def reachable(start: Stage) -> frozenset[Stage]:
    """Every stage a job in `start` can get to by moves, `start` included."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def check_rewind(job_id: int, job_from: Stage | str, to: Stage) -> None:
    """Raise `IllegalStageMove` unless a job in `job_from` could have come from `to`: a
    reorganisation only gives a job back a stage it passed through."""
    if Stage(job_from) not in reachable(to):
        raise IllegalStageMove(job_id, job_from, to, rewind=True)


# The stages of the worker's other rows. Each changes only where its module says (no table yet).


class DutyStage(StrEnum):
    """A verification duty's stage (`DutyRow.stage`). A drawn verifier's
    (`render_worker/duties/verify_duty.py`): drawn -> evidenced -> sealed -> opened -> checked ->
    attested; a panel member's (`render_worker/duties/panel.py`): drawn -> checked -> sealed ->
    revealed -> attested; error ends either."""

    DRAWN = "drawn"
    EVIDENCED = "evidenced"
    SEALED = "sealed"
    OPENED = "opened"
    CHECKED = "checked"
    REVEALED = "revealed"
    ATTESTED = "attested"
    ERROR = "error"


class RecheckStage(StrEnum):
    """A recheck of another worker's pass (`ChallengeRow.stage`,
    `render_worker/duties/challenges.py`): watching -> agrees | contradicted -> challenged ->
    upheld | rejected; or expired, moot, error."""

    WATCHING = "watching"
    AGREES = "agrees"
    CONTRADICTED = "contradicted"
    CHALLENGED = "challenged"
    UPHELD = "upheld"
    REJECTED = "rejected"
    EXPIRED = "expired"
    MOOT = "moot"
    ERROR = "error"


class WatchStage(StrEnum):
    """A watch on a deadline (`WatchRow.stage`, `render_worker/chain/watches.py`)."""

    OPEN = "open"
    DONE = "done"
