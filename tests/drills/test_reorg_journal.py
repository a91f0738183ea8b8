"""The worker's reorganisation journal on a real SQLite file: what blocks from B on taught the
worker is undone, what earlier blocks taught it stays."""

from pathlib import Path

from render_worker.chain import reorg
from render_worker.chain.projection import apply_event
from render_worker.duties import challenges, verify_duty
from render_worker.metrics import WorkerMetrics
from render_worker.state.models import BidRow, ChallengeRow, DutyRow, JobRow, TileRow, WatchRow
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain import events as ev

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


def _orphan_with_a_bid_and_a_tile(state: WorkerState) -> None:
    with state.session() as s:
        reorg.remember(s, 3, 50)
        s.add(_job(3))
        s.flush()
        s.add(BidRow(job_id=3, price_per_tile=5, tile_count=4, salt="0x01", commitment="0x02"))
        s.add(
            TileRow(job_id=3, job_tile=0, exr_path="/w/tile-00000.exr", pixel_hash="ab", cid="bafy")
        )
    with state.session() as s:
        reorg.roll_back(s, 50)


def _posted(job_id: int, manifest_cid: str = "bafy", max_price: int = 10) -> ev.JobPosted:
    params = ev.JobParams(
        tile_count=4, frame_count=1, max_price_per_tile=max_price, verify_fee_per_tile=1,
        bid_bond=1, bid_window=10, reveal_window=10, render_window=600, verify_window=600,
    )  # fmt: skip
    return ev.JobPosted(
        job_id=job_id, artist=WORKER, manifest_cid=manifest_cid, params=params, deposit=50,
        bid_end=300, reveal_end=400,
    )  # fmt: skip


def test_a_removed_posting_that_comes_back_keeps_the_sealed_bid(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _orphan_with_a_bid_and_a_tile(state)
    with state.session() as s:
        apply_event(s, _posted(3), WORKER, WorkerMetrics())
    (job,) = state.jobs()
    assert (job.stage, job.bid_end, job.reveal_end) == ("seen", 300, 400)
    with state.session() as s:
        assert s.get(BidRow, 3) is not None  # the same commitment is sent again
    assert list(state.tiles(3)) == [0]


def test_another_job_posted_under_a_removed_jobs_number_starts_afresh(tmp_path: Path) -> None:
    """Job numbers are a counter: once a reorganisation removed job 3's posting, the next job
    posted takes number 3. The old bid (priced for another scene) and tiles must not be used."""
    state = WorkerState(tmp_path / "worker.db")
    _orphan_with_a_bid_and_a_tile(state)
    with state.session() as s:
        apply_event(s, _posted(3, manifest_cid="bafyother", max_price=7), WORKER, WorkerMetrics())
    (job,) = state.jobs()
    assert (job.stage, job.manifest_cid, job.max_price_per_tile) == ("seen", "bafyother", 7)
    with state.session() as s:
        assert s.get(BidRow, 3) is None
    assert state.tiles(3) == {}


def test_a_second_reorganisation_removing_the_job_under_a_reused_number_drops_its_bid_too(
    tmp_path: Path,
) -> None:
    """Job 3's posting is removed (orphaned), job 3 is posted again as another job and bid on,
    then a second reorganisation removes that posting too: the second bid (priced for the
    second scene) must not be kept for whatever job takes number 3 next."""
    state = WorkerState(tmp_path / "worker.db")
    _orphan_with_a_bid_and_a_tile(state)
    with state.session() as s:  # block 60: another job 3, bid on
        reorg.remember(s, 3, 60)
        apply_event(s, _posted(3, manifest_cid="bafysecond", max_price=7), WORKER, WorkerMetrics())
        s.flush()
        s.add(BidRow(job_id=3, price_per_tile=6, tile_count=4, salt="0x03", commitment="0x04"))
    with state.session() as s:
        reorg.roll_back(s, 60)
    (job,) = state.jobs()
    assert (job.stage, job.manifest_cid) == ("orphaned", "bafy")
    with state.session() as s:
        assert s.get(BidRow, 3) is None, "the second job's bid outlived its posting"
    assert state.tiles(3) == {}


OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
VERIFIER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def test_a_seal_or_attestation_for_a_draw_the_reorganisation_took_is_not_sent_again(
    tmp_path: Path,
) -> None:
    """The new chain draws again with another seed: a removed seal of evidence rendered for the
    old seed would bind the new round to evidence on other patches."""
    state = WorkerState(tmp_path / "worker.db")
    old, new = "0x" + "11" * 32, "0x" + "22" * 32
    seal = verify_duty.purpose("sealEvidence", 1, OTHER, 0, old)
    attest = verify_duty.purpose("attest", 1, OTHER, 0, old)
    assert len(seal) <= 96  # a purpose key's column
    assert verify_duty.stale(state, seal) and verify_duty.stale(state, attest)  # draw forgotten
    with state.session() as s:
        s.add(DutyRow(job_id=1, worker=OTHER, round=0, seed=new))
    assert verify_duty.stale(state, seal) and verify_duty.stale(state, f"{attest}#7")
    assert not verify_duty.stale(state, verify_duty.purpose("sealEvidence", 1, OTHER, 0, new))
    assert not verify_duty.stale(state, "commitResults:1")  # not a verifier's transaction


def test_a_challenge_of_a_pass_the_reorganisation_took_is_not_sent_again(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "worker.db")
    attested = ev.ResultsAttested(job_id=1, worker=OTHER, verifier=VERIFIER, passed=True,
                                  evidence_cid="bafy-e", block_number=40)  # fmt: skip
    with state.session() as s:  # block 40: a pass to recheck; it contradicts its evidence
        reorg.remember(s, 1, 40)
        apply_event(s, attested, WORKER, WorkerMetrics())
        s.flush()
        s.query(ChallengeRow).update({"stage": "contradicted", "round": 0})
    challenge = f"openDispute:1:{OTHER}:0"
    assert not challenges.stale(state, challenge)
    assert not challenges.stale(state, "openDispute:1")  # the worker's own appeal
    with state.session() as s:
        assert reorg.roll_back(s, 40) == [1]
    assert challenges.stale(state, challenge)
    with state.session() as s:
        assert s.query(ChallengeRow).count() == 0
