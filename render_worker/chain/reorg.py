"""Undoing what the worker learned from blocks a chain reorganisation removed.

Before the events of a block change a job's rows (the job, its verification duties, its watches,
its rechecks of others' passes),
the rows as they were are saved in the `journal`, once per job and block, in the same database
transaction as the chain cursor. When the follower reports that the chain was reorganised from
block B (`Batch.reorged_from`), every job touched in B or later gets back its rows as they were
before B, and the events of the new chain are applied from B on: a verifier drawn in a removed
block is forgotten (the new draw may pick someone else, with another seed), a stage an event set is
set again only if the event is still there. The worker's own transactions in removed blocks are
sent again by `TxSender.reconcile` (same signed bytes and nonce).

A job first seen in a removed block (its posting removed) is deleted, unless the worker already
bid on it or rendered for it (its sealed bid's salt and tiles are kept): then it is marked
`orphaned` until a `JobPosted` event of its number comes. The worker's removed transactions about
a job the chain no longer holds as the worker knows it are not sent again
(`render_worker/chain/follow.py` asks the chain; the transaction's purpose names the job): job
numbers are a counter, so the next job posted takes the number, and an old bid, priced for
another scene, would land on it. If the same posting comes back
(the artist's transaction mined again), the stored bid is committed again; if another job took
the number, the old bid and tiles are dropped (`render_worker/chain/projection.py`).

A re-offer round is a posting too: its own job number, taken from the same counter when someone
calls `reoffer`. Its `RoundOpened` event is journaled under the round's number as well as the
posted job's (`touched`), so a removed round is forgotten, or orphaned, like a removed posting.
Its identity is the posted job's fields it copies plus which job and which tiles it sells
(`RoundRow`): a round of other tiles under the same number is another job.
"""

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from render_worker.errors import IllegalStageMove
from render_worker.state.models import (
    BidRow,
    ChallengeRow,
    DutyRow,
    JobRow,
    RoundRow,
    TileRow,
    WatchRow,
)
from render_worker.state.models import JournalRow as JournalRow  # the journal's table
from render_worker.state.stages import Stage
from render_worker.state.store import rewind
from tilefarm.adapters.chain import events as ev

log = logging.getLogger("render_worker")

Row = JobRow | DutyRow | WatchRow | ChallengeRow | RoundRow
# The fields of a job row its posting sets once (the windows' ends move if it is mined again).
POSTING = ("manifest_cid", "artist", "tile_count", "max_price_per_tile", "render_window")


def _fields(row: Row) -> dict[str, Any]:
    skip = {"updated_at"}  # a timestamp of the row itself, not something learned
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def touched(s: Session, event: ev.MarketEvent) -> list[int]:
    """The jobs whose rows `event` may change: its own, the round a `RoundOpened` opens, and the
    posted job of a round whose bidding settles (its `reoffer` watch)."""
    job_id = getattr(event, "job_id", None)
    if job_id is None:
        return []
    if isinstance(event, ev.RoundOpened):
        return [job_id, event.round_id]
    if isinstance(event, ev.BidsSettled) and (known := s.get(RoundRow, job_id)) is not None:
        return [job_id, known.job_id]
    return [job_id]


def remember(s: Session, job_id: int, block: int) -> None:
    """Save `job_id`'s rows before the first event of `block` changes them."""
    exists = s.scalar(
        select(JournalRow.id).where(JournalRow.job_id == job_id, JournalRow.block == block)
    )
    if exists is not None:
        return
    job, known_round = s.get(JobRow, job_id), s.get(RoundRow, job_id)
    duties = s.scalars(select(DutyRow).where(DutyRow.job_id == job_id))
    watches = s.scalars(select(WatchRow).where(WatchRow.job_id == job_id))
    rechecks = s.scalars(select(ChallengeRow).where(ChallengeRow.job_id == job_id))
    s.add(
        JournalRow(
            block=block,
            job_id=job_id,
            rows={
                "job": None if job is None else _fields(job),
                "round": None if known_round is None else _fields(known_round),
                "duties": [_fields(d) for d in duties],
                "watches": [_fields(w) for w in watches],
                "challenges": [_fields(c) for c in rechecks],
            },
        )
    )


def roll_back(s: Session, from_block: int) -> list[int]:
    """Give every job touched in `from_block` or later its rows from before; returns their ids."""
    entries = s.scalars(
        select(JournalRow).where(JournalRow.block >= from_block).order_by(JournalRow.block)
    )
    restored: dict[int, dict[str, Any]] = {}
    for entry in entries:
        restored.setdefault(entry.job_id, entry.rows)
    for job_id, rows in restored.items():
        _restore(s, job_id, rows)
    s.execute(delete(JournalRow).where(JournalRow.block >= from_block))
    return sorted(restored)


def unposted(s: Session, from_block: int) -> set[int]:
    """The jobs whose posting is in `from_block` or later (unknown to the worker before it, or
    known only as `orphaned`)."""
    entries = s.scalars(
        select(JournalRow).where(JournalRow.block >= from_block).order_by(JournalRow.block)
    )
    first: dict[int, Any] = {}
    for entry in entries:
        first.setdefault(entry.job_id, entry.rows)
    return {
        job_id
        for job_id, rows in first.items()
        if rows["job"] is None or rows["job"]["stage"] == Stage.ORPHANED
    }


def forget_before(s: Session, block: int) -> None:
    """Drop entries no reorganisation can reach any more (older than the follower remembers)."""
    s.execute(delete(JournalRow).where(JournalRow.block < block))


def _restore(s: Session, job_id: int, rows: dict[str, Any]) -> None:
    s.execute(delete(DutyRow).where(DutyRow.job_id == job_id))
    s.execute(delete(WatchRow).where(WatchRow.job_id == job_id))
    s.execute(delete(ChallengeRow).where(ChallengeRow.job_id == job_id))
    s.flush()
    for duty in rows["duties"]:
        s.add(DutyRow(**duty))
    for watch in rows["watches"]:
        s.add(WatchRow(**watch))
    for recheck in rows.get("challenges", []):  # journaled before rechecks existed: none
        s.add(ChallengeRow(**recheck))
    job, known_round = s.get(JobRow, job_id), s.get(RoundRow, job_id)
    was_round = rows.get("round")  # journaled before rounds existed: none
    if rows["job"] is None:
        if job is not None:
            has_tiles = s.scalar(select(TileRow.job_tile).where(TileRow.job_id == job_id).limit(1))
            if s.get(BidRow, job_id) is not None or has_tiles is not None:
                # Its round row stays: what the orphan was, to compare with what takes its number.
                _rewind(job, Stage.ORPHANED, "its posting was removed by a reorganisation")
                return
            s.delete(job)
        if known_round is not None:
            s.delete(known_round)
        return
    if job is None:
        s.add(JobRow(**rows["job"]))
    else:
        if posting(rows["job"], was_round) != posting(job, known_round):
            # The removed blocks posted another job under this number (see `projection.py`):
            # its bid and tiles go with it, never to the job the number returns to.
            s.execute(delete(BidRow).where(BidRow.job_id == job_id))
            s.execute(delete(TileRow).where(TileRow.job_id == job_id))
        fields = dict(rows["job"])
        _rewind(job, Stage(fields.pop("stage")))
        for name, value in fields.items():
            setattr(job, name, value)
    if known_round is not None:
        s.delete(known_round)
        s.flush()
    if was_round is not None:
        s.add(RoundRow(**was_round))


def _rewind(job: JobRow, to: Stage, reason: str | None = None) -> None:
    """Give `job` back stage `to`. One the stages cannot explain is logged, and the job keeps its
    stage: raised here, it would undo the whole batch of blocks, and the worker read it again and
    again."""
    try:
        rewind(job, to, reason)
    except IllegalStageMove as exc:
        log.error("%s", exc)


def posting(
    job: JobRow | dict[str, Any], known_round: RoundRow | dict[str, Any] | None = None
) -> tuple[Any, ...]:
    """What identifies a job's posting (a row, or its fields as journaled) and, for a re-offer
    round, the round it is (which posted job, which tiles): another job, or another round, may
    take its number after a reorganisation."""
    fields = job if isinstance(job, dict) else _fields(job)
    sells = None
    if known_round is not None:
        of = known_round if isinstance(known_round, dict) else _fields(known_round)
        sells = (of["job_id"], tuple(of["ranges"]))
    return (*(fields[k] for k in POSTING), sells)
