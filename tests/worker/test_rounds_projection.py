"""A re-offer round in the worker's rows: a job row of its own with the posted job's manifest, so
that bidding, rendering and committing run on it unchanged; what a reorganisation that removes
its `RoundOpened` undoes; and the watches on a job itself (`settle`, `reoffer`) that events open
and close."""

from pathlib import Path

from sqlalchemy import select

from render_worker.chain import reorg
from render_worker.chain.projection import apply_event
from render_worker.metrics import WorkerMetrics
from render_worker.state.models import NO_SEAT, BidRow, JobRow, RoundRow, TileRow, WatchRow
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain import events as ev

ME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
ARTIST = "0x70997970C51812dc3a010C7d01b50e20d6b8b0c8"
STRANGER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def _posted(job_id: int = 1, manifest_cid: str = "bafy-manifest") -> ev.JobPosted:
    params = ev.JobParams(
        tile_count=8, frame_count=1, max_price_per_tile=10, verify_fee_per_tile=1, bid_bond=1,
        bid_window=10, reveal_window=10, render_window=600, verify_window=600, max_rounds=2,
        final_deadline=10_000,
    )  # fmt: skip
    return ev.JobPosted(
        job_id=job_id, artist=ARTIST, manifest_cid=manifest_cid, params=params, deposit=100,
        bid_end=110, reveal_end=120, block_number=10,
    )  # fmt: skip


def _round(
    round_id: int = 2, first: int = 6, tiles: int = 2, price: int = 10, block: int = 30
) -> ev.RoundOpened:
    return ev.RoundOpened(
        job_id=1, round_id=round_id, round=1, tiles=tiles, max_price_per_tile=price, bid_bond=1,
        bid_end=300, reveal_end=310, ranges=[first << 16 | tiles], opener=STRANGER, bounty=3,
        block_number=block,
    )  # fmt: skip


def _returned(block: int = 20, round_id: int = 1) -> ev.TilesReturned:
    return ev.TilesReturned(
        job_id=1, round_id=round_id, worker="0x" + "00" * 20, first_tile=6, tile_count=2,
        cause=0, block_number=block,
    )  # fmt: skip


def _settled(job_id: int, block: int) -> ev.BidsSettled:
    return ev.BidsSettled(
        job_id=job_id, assigned_tiles=0, winners=0, artist_refund=0, render_deadline=0,
        block_number=block,
    )  # fmt: skip


def _read(state: WorkerState, *events: ev.MarketEvent) -> None:
    """Apply `events` as the chain loop does: each job they touch journaled first."""
    with state.session() as s:
        for event in events:
            for job_id in reorg.touched(s, event):
                reorg.remember(s, job_id, event.block_number)
            apply_event(s, event, ME, WorkerMetrics())


def _watches(state: WorkerState) -> dict[tuple[int, str], str]:
    with state.session() as s:
        rows = s.scalars(select(WatchRow).where(WatchRow.worker == NO_SEAT))
        return {(w.job_id, w.action): w.stage for w in rows}


def test_a_round_is_a_job_of_its_own_with_the_posted_jobs_manifest(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(price=12))
    posted, round_ = state.jobs()
    assert round_.job_id == 2 and round_.stage == "seen"
    assert (round_.manifest_cid, round_.artist, round_.render_window) == (
        posted.manifest_cid, posted.artist, posted.render_window,
    )  # fmt: skip
    assert (round_.tile_count, round_.max_price_per_tile) == (2, 12)
    assert (round_.bid_end, round_.reveal_end) == (300, 310)
    (known,) = state.rounds().values()
    assert (known.round_id, known.job_id, known.round, known.ranges) == (2, 1, 1, [6 << 16 | 2])


def test_a_round_of_a_job_the_worker_never_saw_posted_is_not_bid_on(tmp_path: Path) -> None:
    """Its manifest is the posted job's, which only the posting names."""
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _round())
    assert state.jobs() == []


def test_a_round_a_reorganisation_removed_is_forgotten(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(block=30))
    with state.session() as s:
        assert reorg.unposted(s, 30) == {2}  # transactions about it are not sent again
        assert reorg.roll_back(s, 30) == [1, 2]
    assert [j.job_id for j in state.jobs()] == [1]
    assert state.rounds() == {}
    assert _watches(state) == {(1, "settle"): "open", (1, "reoffer"): "open"}


def _bid_and_tile(state: WorkerState, job_id: int) -> None:
    with state.session() as s:
        s.add(BidRow(job_id=job_id, price_per_tile=5, tile_count=2, salt="0x01", commitment="0x02"))
        s.add(TileRow(job_id=job_id, job_tile=6, exr_path="/w/t.exr", pixel_hash="ab", cid="bafy"))


def test_a_removed_round_the_worker_rendered_for_waits_orphaned_and_comes_back_the_same(
    tmp_path: Path,
) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(block=30))
    _bid_and_tile(state, 2)
    with state.session() as s:
        reorg.roll_back(s, 30)
    assert state.job(2) is not None and state.job(2).stage == "orphaned"  # type: ignore[union-attr]
    _read(state, _round(block=31))  # the same round, mined again
    job = state.job(2)
    assert job is not None and job.stage == "seen"
    with state.session() as s:
        assert s.get(BidRow, 2) is not None  # the same commitment is sent again
    assert list(state.tiles(2)) == [6]


def test_another_round_under_a_removed_rounds_number_starts_afresh(tmp_path: Path) -> None:
    """Round numbers come from the job counter: once a reorganisation removed round 2, another
    round (other tiles) may take its number. The old round's tiles must never be its results."""
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(block=30))
    _bid_and_tile(state, 2)
    with state.session() as s:
        reorg.roll_back(s, 30)
    _read(state, _round(first=4, block=31))  # as many tiles, other ones
    job = state.job(2)
    assert job is not None and job.stage == "seen"
    with state.session() as s:
        assert s.get(BidRow, 2) is None
        assert s.get(RoundRow, 2).ranges == [4 << 16 | 2]  # type: ignore[union-attr]
    assert state.tiles(2) == {}


def test_a_posted_job_under_a_removed_rounds_number_starts_afresh(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(block=30))
    _bid_and_tile(state, 2)
    with state.session() as s:
        reorg.roll_back(s, 30)
    # Same artist, manifest and price: a posting of its own all the same.
    posted = _posted(job_id=2)
    _read(state, posted.model_copy(update={"params": posted.params.model_copy(
        update={"tile_count": 2})}))  # fmt: skip
    with state.session() as s:
        assert s.get(BidRow, 2) is None
        assert s.get(RoundRow, 2) is None
    assert state.tiles(2) == {}


def test_a_reorganisation_that_removes_blocks_after_the_round_keeps_it(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), _returned(), _round(block=30), _settled(2, block=40))
    with state.session() as s:
        assert reorg.roll_back(s, 40) == [1, 2]  # the settlement touched the posted job's watch
    assert [j.job_id for j in state.jobs()] == [1, 2]
    assert set(state.rounds()) == {2}
    assert _watches(state)[(2, "settle")] == "open"
    assert _watches(state)[(1, "reoffer")] == "done"


def test_watches_on_a_job_follow_its_rounds(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted())
    assert _watches(state) == {(1, "settle"): "open"}
    _read(state, _settled(1, block=15), _returned())
    assert _watches(state) == {(1, "settle"): "done", (1, "reoffer"): "open"}
    _read(state, _round())
    assert _watches(state) == {(1, "settle"): "done", (1, "reoffer"): "done", (2, "settle"): "open"}
    with state.session() as s:
        (settle,) = s.scalars(select(WatchRow).where(WatchRow.job_id == 2))
        assert settle.due == 310  # the round's reveal end
    _read(state, _returned(block=35))  # a seat of the first round failed meanwhile
    assert _watches(state)[(1, "reoffer")] == "open"
    _read(state, _round(round_id=3, block=36))
    assert _watches(state)[(1, "reoffer")] == "done"
    _read(state, _settled(2, block=40))  # not the latest round: nothing to re-offer after it
    assert _watches(state)[(1, "reoffer")] == "done"
    _read(state, _settled(3, block=41))  # the latest round settled: its leftovers may go again
    assert _watches(state)[(1, "reoffer")] == "open"
    assert _watches(state)[(3, "settle")] == "done"
    _read(state, ev.ReofferingEnded(job_id=1, tiles_left=2, block_number=42))
    assert _watches(state)[(1, "reoffer")] == "done"
    _read(state, ev.JobToppedUp(job_id=1, amount=5, max_price_per_tile=20, block_number=43))
    assert _watches(state)[(1, "reoffer")] == "open"
    _read(state, ev.JobCompleted(job_id=1, artist_refund=0, protocol_fee=0, block_number=44))
    assert _watches(state)[(1, "reoffer")] == "done"


def test_a_cancelled_job_needs_no_settling(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _posted(), ev.JobCancelled(job_id=1, refund=100, block_number=11))
    assert _watches(state) == {(1, "settle"): "done"}
    assert isinstance(state.job(1), JobRow)
