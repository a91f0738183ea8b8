"""A job's stages for the worker form a state machine that refuses moves it does not list: a bug
that would send a paid job back to bidding raises instead of corrupting the worker's database.
Pure: a SQLite file, no chain."""

import logging
from pathlib import Path

import pytest

from render_worker.chain.projection import apply_event
from render_worker.errors import IllegalStageMove, WorkerError
from render_worker.metrics import WorkerMetrics
from render_worker.state.models import JobRow
from render_worker.state.stages import (
    TERMINAL,
    TRANSITIONS,
    Stage,
    can_move,
    check_rewind,
    reachable,
)
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain import events as ev

ME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
ARTIST = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
HAPPY_PATH = [
    Stage.SEEN, Stage.BID, Stage.REVEALED, Stage.WON, Stage.RENDERED, Stage.COMMITTED,
    Stage.SEALED, Stage.OPENED, Stage.ACCEPTED, Stage.PAID,
]  # fmt: skip


@pytest.fixture
def state(tmp_path: Path) -> WorkerState:
    return WorkerState(tmp_path / "worker.db")


def _job(state: WorkerState, stage: Stage, job_id: int = 7) -> int:
    with state.session() as s:
        s.add(JobRow(job_id=job_id, manifest_cid="bafy", artist=ARTIST, tile_count=4,
                     max_price_per_tile=10, bid_end=100, reveal_end=200, render_window=600,
                     stage=stage.value, reason="as it was", price_per_tile=3))  # fmt: skip
    return job_id


def _stage(state: WorkerState, job_id: int = 7) -> tuple[str, str, int]:
    job = state.job(job_id)
    assert job is not None
    return job.stage, job.reason, job.price_per_tile


def test_every_stage_has_its_moves_listed_and_every_move_leads_to_a_stage() -> None:
    assert set(TRANSITIONS) == set(Stage)
    assert all(to in Stage for moves in TRANSITIONS.values() for to in moves)


def test_every_stage_can_be_reached_from_a_posting() -> None:
    # `orphaned` only by a reorganisation's rewind, the stage before `seen`.
    assert reachable(Stage.SEEN) == set(Stage) - {Stage.ORPHANED}
    assert reachable(Stage.ORPHANED) == set(Stage)


def test_the_database_keeps_the_stage_names_earlier_workers_wrote(state: WorkerState) -> None:
    with state.session() as s:  # a row as a worker before the state machine stored it
        s.add(JobRow(job_id=1, manifest_cid="bafy", artist=ARTIST, tile_count=1,
                     max_price_per_tile=1, bid_end=1, reveal_end=2, render_window=3,
                     stage="cancelled_bid"))  # fmt: skip
    (job,) = state.jobs(Stage.CANCELLED_BID)
    assert Stage(job.stage) is Stage.CANCELLED_BID
    state.move(1, Stage.CANCELLED)
    assert _stage(state, 1)[0] == "cancelled"


def test_a_legal_move_sets_the_stage_its_reason_and_fields_together(state: WorkerState) -> None:
    _job(state, Stage.SEEN)
    assert state.move(7, Stage.BID, "sealed", price_per_tile=5)
    assert _stage(state) == ("bid", "sealed", 5)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Stage.PAID, Stage.BID),
        (Stage.LOST, Stage.COMMITTED),
        (Stage.SEEN, Stage.PAID),
        (Stage.CANCELLED, Stage.SEEN),
        (Stage.REJECTED, Stage.ACCEPTED),
        (Stage.COMMITTED, Stage.WON),
        (Stage.ABANDONED, Stage.RENDERED),  # a seat given back is never rendered again
    ],
)
def test_an_illegal_move_raises_and_leaves_the_row_as_it_was(
    state: WorkerState, start: Stage, to: Stage
) -> None:
    _job(state, start)
    with pytest.raises(IllegalStageMove) as raised:
        state.move(7, to, "should not stick", price_per_tile=99)
    assert (raised.value.job_id, raised.value.from_stage, raised.value.to_stage) == (7, start, to)
    assert isinstance(raised.value, WorkerError)
    assert f"job 7 cannot move from {start} to {to}" in str(raised.value)
    assert _stage(state) == (start, "as it was", 3)


def test_terminal_stages_have_no_way_out_but_a_reorganisation() -> None:
    ends = {Stage.CANCELLED, Stage.PAID, Stage.REJECTED, Stage.UNVERIFIED, Stage.TIMED_OUT}
    assert ends == TERMINAL
    for end in TERMINAL:
        assert [to for to in Stage if can_move(end, to) and to != end] == []
        check_rewind(7, end, Stage.ORPHANED)  # its posting removed: kept as an orphan


def test_a_job_walks_the_happy_path_from_seen_to_paid(state: WorkerState) -> None:
    _job(state, Stage.SEEN)
    for stage in HAPPY_PATH[1:]:
        state.move(7, stage)
        assert _stage(state)[0] == stage


def test_restating_the_stage_a_job_is_in_is_no_move(state: WorkerState) -> None:
    _job(state, Stage.COMMITTED)  # its own commitment, then its `ResultsCommitted` event
    state.move(7, Stage.COMMITTED)
    assert _stage(state)[0] == "committed"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Stage.LOST, Stage.WON),  # "not revealed in time", but the reveal was mined before a crash
        (Stage.SEEN, Stage.WON),  # history read again after a lost state folder
        (Stage.WON, Stage.COMMITTED),  # the commitment mined before the stage was stored
        (Stage.FAILED, Stage.ACCEPTED),  # the appeal mined before the stage was stored
        (Stage.OPENED, Stage.COMMITTED),  # the verifier silent after the reveal: a new round
        (Stage.ERROR, Stage.TIMED_OUT),  # a render failed: the seat is claimed late
        (Stage.WON, Stage.ABANDONED),  # its GPU failed: the worker gives the seat back
        (Stage.ABANDONED, Stage.TIMED_OUT),  # giving it back failed: the seat is claimed late
    ],
)
def test_events_read_late_or_after_a_restart_move_the_job_on(
    state: WorkerState, start: Stage, to: Stage
) -> None:
    _job(state, start)
    state.move(7, to)
    assert _stage(state)[0] == to


def test_work_finished_after_the_job_moved_on_changes_nothing(state: WorkerState) -> None:
    _job(state, Stage.TIMED_OUT)  # claimed late while its last tile rendered
    assert not state.move(7, Stage.RENDERED, only_from=Stage.WON)
    assert _stage(state)[0] == "timed_out"


def test_a_stage_changes_through_move_only(state: WorkerState) -> None:
    _job(state, Stage.SEEN)
    with pytest.raises(WorkerError, match=r"through WorkerState\.move"):
        state.update_job(7, stage="paid")
    assert _stage(state)[0] == "seen"


def test_a_reorganisation_gives_a_job_back_only_a_stage_it_came_from() -> None:
    check_rewind(7, Stage.PAID, Stage.ACCEPTED)
    check_rewind(7, Stage.OPENED, Stage.COMMITTED)  # back over a new round
    for start in Stage:
        check_rewind(7, start, Stage.ORPHANED)  # its posting removed
    with pytest.raises(IllegalStageMove, match="cannot be rolled back from seen to won"):
        check_rewind(7, Stage.SEEN, Stage.WON)


def test_an_event_the_stages_cannot_explain_is_logged_and_the_batch_goes_on(
    state: WorkerState, caplog: pytest.LogCaptureFixture
) -> None:
    _job(state, Stage.SEEN)
    paid = ev.PaymentReleased(job_id=7, worker=ME, payment=40, verifier_fee=1, block_number=9)
    with caplog.at_level(logging.ERROR, logger="render_worker"), state.session() as s:
        apply_event(s, paid, ME, WorkerMetrics())
    job = state.job(7)
    assert job is not None and (job.stage, job.earned) == ("seen", 0)
    assert any("job 7 cannot move from seen to paid" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("start", [Stage.COMMITTED, Stage.SEALED, Stage.OPENED, Stage.ERROR])
def test_a_seat_the_artist_accepts_before_its_verdict_is_accepted_then_paid(
    state: WorkerState, start: Stage
) -> None:
    # `acceptResults` takes a seat that is Submitted, Sealed, Opened or Failed: the artist need
    # not wait for the verifier. The worker follows the chain to its pay.
    _job(state, start)
    accepted = ev.ResultsAccepted(job_id=7, worker=ME, payment=40, verifier_fee=1, block_number=9)
    paid = ev.PaymentReleased(job_id=7, worker=ME, payment=40, verifier_fee=1, block_number=9)
    with state.session() as s:
        apply_event(s, accepted, ME, WorkerMetrics())
        apply_event(s, paid, ME, WorkerMetrics())
    job = state.job(7)
    assert job is not None and (job.stage, job.earned) == ("paid", 40)
