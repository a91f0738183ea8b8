"""The worker's reorganisation journal on a real SQLite file: what blocks from B on taught the
worker is undone, what earlier blocks taught it stays."""

from pathlib import Path

from render_worker import reorg
from render_worker.duties import WatchRow
from render_worker.state import BidRow, DutyRow, JobRow, WorkerState

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def _job(job_id: int) -> JobRow:
    return JobRow(
        job_id=job_id, manifest_cid="bafy", artist=WORKER, tile_count=4, max_price_per_tile=10,
        bid_end=100, reveal_end=200, render_window=600,
    )  # fmt: skip


def test_rows_learned_from_removed_blocks_return_to_what_they_were(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    with state.session() as s:  # block 10: the job is seen
        reorg.remember(s, 1, 10)
        s.add(_job(1))
    with state.session() as s:  # block 20: tiles assigned, a seat to watch
        reorg.remember(s, 1, 20)
        job = s.get(JobRow, 1)
        assert job is not None
        job.stage, job.first_tile, job.settled = "won", 0, True
        s.add(WatchRow(job_id=1, worker=WORKER, action="claimLate"))
    with state.session() as s:  # block 30: drawn as a verifier; block 31 another event
        reorg.remember(s, 1, 30)
        s.add(DutyRow(job_id=1, worker=WORKER, round=0, seed="0x" + "11" * 32))
        reorg.remember(s, 1, 31)
        reorg.remember(s, 1, 31)  # a second event of the same block keeps the first snapshot

    with state.session() as s:
        assert reorg.roll_back(s, 30) == [1]
    job = state.jobs()[0]
    assert (job.stage, job.first_tile, job.settled) == ("won", 0, True)  # block 20 stays
    assert state.duties() == []  # the draw of block 30 is forgotten
    with state.session() as s:
        assert [w.action for w in s.query(WatchRow)] == ["claimLate"]

    with state.session() as s:
        assert reorg.roll_back(s, 15) == [1]
    job = state.jobs()[0]
    assert (job.stage, job.first_tile, job.settled) == ("seen", None, False)
    with state.session() as s:
        assert s.query(WatchRow).count() == 0


def test_a_job_first_seen_in_a_removed_block_is_dropped_unless_the_worker_bid_on_it(
    tmp_path: Path,
) -> None:
    state = WorkerState(tmp_path / "worker.db")
    with state.session() as s:
        for job_id in (1, 2):
            reorg.remember(s, job_id, 50)
            s.add(_job(job_id))
        s.flush()
        s.add(BidRow(job_id=2, price_per_tile=5, tile_count=4, salt="0x00", commitment="0x00"))
    with state.session() as s:
        assert reorg.roll_back(s, 50) == [1, 2]
        reorg.forget_before(s, 1_000)
    assert [(j.job_id, j.stage) for j in state.jobs()] == [(2, "orphaned")]  # its salt is kept
    with state.session() as s:
        assert s.query(reorg.JournalRow).count() == 0
