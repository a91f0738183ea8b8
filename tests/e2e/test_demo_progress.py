"""The demo's progress view, from the server's job detail: pure, no services."""

from tilefarm_cli.demo.progress import job_progress

W1, W2 = "0x" + "11" * 20, "0x" + "22" * 20


def detail(status: str, seats: list[dict[str, object]], revealed: int = 2) -> dict[str, object]:
    bids = [{"revealed": i < revealed, "tile_count": 6} for i in range(2)]
    return {"job_id": 7, "status": status, "commits": 2, "bids": bids, "seats": seats}


def seat(worker: str, state: str, first: int, count: int) -> dict[str, object]:
    return {"worker": worker, "state": state, "first_tile": first, "tile_count": count}


def test_sealed_bids_show_before_any_tile_is_assigned():
    p = job_progress(detail("Bidding", [], revealed=0), [1, 2], 4, {}, set())
    assert p.stage == "sealed bids" and p.bids_sealed == 2 and p.bids_revealed == 0
    assert [f.assigned for f in p.frames] == [0, 0]


def test_a_seat_spanning_two_frames_counts_its_rendered_tiles_in_order():
    seats = [seat(W1, "Assigned", 0, 6), seat(W2, "Assigned", 6, 2)]
    p = job_progress(detail("Active", seats), [1, 2], 4, {W1: 5, W2: 0}, set())
    assert p.stage == "rendering"
    assert [(f.assigned, f.rendered) for f in p.frames] == [(4, 4), (4, 1)]
    assert p.tiles_offered == 12


def test_committed_results_count_as_rendered_and_accepted_ones_as_verified():
    seats = [seat(W1, "Accepted", 0, 4), seat(W2, "Submitted", 4, 4)]
    p = job_progress(detail("Active", seats), [1, 2], 4, {W1: 0, W2: 0}, {1})
    assert [(f.rendered, f.committed, f.verified, f.assembled) for f in p.frames] == [
        (4, 4, 4, True),
        (4, 4, 0, False),
    ]
    assert p.stage == "verifying" and p.tiles_verified == 4


def test_a_completed_job_is_done_only_once_every_frame_is_assembled():
    seats = [seat(W1, "Accepted", 0, 8)]
    assert job_progress(detail("Completed", seats), [1, 2], 4, {}, {1}).stage == "assembling frames"
    assert job_progress(detail("Completed", seats), [1, 2], 4, {}, {1, 2}).stage == "done"


def test_a_paid_seat_counts_as_verified_like_an_accepted_one() -> None:
    seats = [seat(W1, "Paid", 0, 4), seat(W2, "Accepted", 4, 4)]
    p = job_progress(detail("Completed", seats), [1], 8, {}, {1})
    assert p.tiles_verified == 8 and p.frames[0].committed == 8


def test_blind_verification_states_count_as_committed_not_verified() -> None:
    # The verifier sealed its evidence (Sealed), the worker revealed (Opened), or a pass is
    # challenged against its evidence (Challenged): committed, not verified.
    for state in ("Sealed", "Opened", "Challenged"):
        p = job_progress(detail("Active", [seat(W1, state, 0, 4)]), [1], 4, {W1: 0}, set())
        assert (p.frames[0].committed, p.frames[0].verified) == (4, 0), state
        assert p.stage == "verifying"
