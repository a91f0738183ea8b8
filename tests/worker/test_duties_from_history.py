"""A worker that reads the market's history (a new install, a lost state folder, or a restart
long after a draw) checks only the seats that still wait for it: a verification already attested
on chain, a vote already cast, or a seat handed to another verifier is not rendered again."""

from pathlib import Path

from render_worker.metrics import WorkerMetrics
from render_worker.projection import apply_event
from render_worker.state import WorkerState
from tilefarm.chain import events as ev

ME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
WORKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
OTHER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
SEED = "0x" + "11" * 32


def _read(state: WorkerState, *events: ev.MarketEvent) -> list[tuple[int, str, int, str]]:
    """Apply `events` as the chain loop does; the duties still to check or attest."""
    metrics = WorkerMetrics()
    with state.session() as s:
        for event in events:
            apply_event(s, event, ME, metrics)
    return [(d.job_id, d.worker, d.round, d.kind) for d in state.duties("drawn", "checked")]


def _drawn(job_id: int, rnd: int = 0, verifier: str = ME) -> ev.VerifierDrawn:
    return ev.VerifierDrawn(
        job_id=job_id,
        worker=WORKER,
        verifier=verifier,
        seed=SEED,
        round=rnd,
        caller=WORKER,
        bounty=0,
    )


def test_a_seat_the_worker_already_attested_on_chain_is_not_checked_again(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    attested = ev.ResultsAttested(
        job_id=1, worker=WORKER, verifier=ME, passed=True, evidence_cid="bafy-evidence"
    )
    assert _read(state, _drawn(1), attested, _drawn(2)) == [(2, WORKER, 0, "verify")]
    (done, waiting) = state.duties()
    assert (done.job_id, done.stage, done.evidence_cid) == (1, "attested", "bafy-evidence")
    assert done.passed is True and waiting.stage == "drawn"


def test_a_seat_handed_to_another_verifier_is_not_checked(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    replaced = ev.VerifierReplaced(job_id=1, worker=WORKER, silent_verifier=ME, round=0)
    assert _read(state, _drawn(1), replaced, _drawn(1, rnd=1, verifier=OTHER)) == []
    (duty,) = state.duties()
    assert duty.stage == "error" and "another verifier" in duty.reason


def test_a_panel_vote_already_sealed_revealed_and_resolved_is_not_cast_again(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    panel = ev.PanelDrawn(job_id=1, worker=WORKER, members=(ME, OTHER, OTHER), seed=SEED)
    sealed = ev.VoteCommitted(job_id=1, worker=WORKER, voter=ME, commitment=SEED)
    voted = ev.VoteCast(job_id=1, worker=WORKER, voter=ME, fraud=False, evidence_cid="bafy-vote")
    resolved = ev.DisputeResolved(job_id=1, worker=WORKER, fraud=False, votes_fraud=0,
                                  votes_honest=3)  # fmt: skip
    assert _read(state, panel) == [(1, WORKER, 100, "panel")]
    assert _read(state, sealed) == []
    assert [d.stage for d in state.duties()] == ["sealed"]  # revealed next, not checked again
    _read(state, voted)
    (duty,) = state.duties()
    assert (duty.stage, duty.passed, duty.evidence_cid) == ("revealed", True, "bafy-vote")
    _read(state, resolved)
    assert [d.stage for d in state.duties()] == ["attested"]


def test_another_verifiers_attestation_leaves_the_workers_own_duty(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    theirs = ev.ResultsAttested(
        job_id=1, worker=OTHER, verifier=WORKER, passed=True, evidence_cid="bafy-theirs"
    )
    assert _read(state, _drawn(1), theirs) == [(1, WORKER, 0, "verify")]
