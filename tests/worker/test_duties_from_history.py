"""A worker that reads the market's history (a new install, a lost state folder, or a restart
long after a draw) checks only the seats that still wait for it: a verification already attested
on chain, a vote already cast, or a seat handed to another verifier is not rendered again. And
what each blind-verification event means for its rows: its own seat's reveal, its duties as a
verifier, its rechecks of others' passes."""

from pathlib import Path

from render_worker.chain.projection import apply_event
from render_worker.metrics import WorkerMetrics
from render_worker.state.models import ChallengeRow, DutyRow, JobRow
from render_worker.state.stages import DutyStage
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain import events as ev

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
    return [
        (d.job_id, d.worker, d.round, d.kind)
        for d in state.duties(DutyStage.DRAWN, DutyStage.CHECKED)
    ]


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


def test_a_verifier_waits_for_the_reveal_after_its_seal_and_then_judges(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    _read(state, _drawn(1))
    with state.session() as s:  # the evidence rendered and stored, as the render thread does
        (duty,) = s.query(DutyRow)
        duty.stage, duty.evidence_cid = "evidenced", "bafy-evidence"
    sealed = ev.EvidenceSealed(job_id=1, worker=WORKER, verifier=ME, seal=SEED)
    _read(state, sealed)
    assert [(d.stage, d.evidence_cid) for d in state.duties()] == [("sealed", "bafy-evidence")]
    _read(state, ev.ResultsRevealed(job_id=1, worker=OTHER, results_cid="bafy-other"))
    assert [d.stage for d in state.duties()] == ["sealed"]  # another seat's reveal
    _read(state, ev.ResultsRevealed(job_id=1, worker=WORKER, results_cid="bafy-results"))
    assert [d.stage for d in state.duties()] == ["opened"]  # judged next, with what it sealed


def test_a_seal_on_chain_whose_evidence_the_worker_no_longer_knows_ends_the_duty(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    sealed = ev.EvidenceSealed(job_id=1, worker=WORKER, verifier=ME, seal=SEED)
    assert _read(state, _drawn(1), sealed) == []  # a lost state folder: never rendered again
    (duty,) = state.duties()
    assert duty.stage == "error" and "no longer knows" in duty.reason


def _own_job(state: WorkerState, stage: str) -> None:
    with state.session() as s:
        s.add(JobRow(job_id=1, manifest_cid="bafy", artist=OTHER, tile_count=2,
                     max_price_per_tile=10, bid_end=0, reveal_end=0, render_window=600,
                     stage=stage, first_tile=0, assigned_tiles=2))  # fmt: skip


def test_the_worker_reveals_once_its_verifier_sealed_and_again_in_each_new_round(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    _own_job(state, "committed")
    stage = lambda: state.jobs()[0].stage  # noqa: E731
    seal = ev.EvidenceSealed(job_id=1, worker=ME, verifier=WORKER, seal=SEED)
    revealed = ev.ResultsRevealed(job_id=1, worker=ME, results_cid="bafy-results")
    _read(state, seal)
    assert stage() == "sealed"  # the reveal is due
    _read(state, revealed)
    assert stage() == "opened"
    _read(state, ev.VerifierReplaced(job_id=1, worker=ME, silent_verifier=WORKER, round=1))
    assert stage() == "committed"  # a new round: drawn, sealed and revealed again
    _read(state, seal)
    assert stage() == "sealed"


def test_a_challenge_of_the_workers_pass_sends_its_seat_to_a_new_round_when_upheld(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    _own_job(state, "accepted")
    challenged = ev.DisputeOpened(job_id=1, worker=ME, disputer=WORKER, bond=1, reason_cid="r")
    _read(state, challenged)
    assert state.jobs()[0].stage == "challenged"
    upheld = ev.DisputeResolved(job_id=1, worker=ME, fraud=True, votes_fraud=3, votes_honest=0)
    _read(state, upheld)
    assert state.jobs()[0].stage == "committed"  # not rejected: its tiles were never judged


def _rechecks(state: WorkerState) -> list[tuple[int, str, str]]:
    with state.session() as s:
        return [(c.job_id, c.worker, c.stage) for c in s.query(ChallengeRow).order_by("id")]


def test_the_worker_rechecks_others_passes_but_not_its_own_nor_those_it_attested(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    _own_job(state, "committed")

    def passed(worker: str, verifier: str, evidence: str = "bafy-e") -> ev.ResultsAttested:
        return ev.ResultsAttested(job_id=1, worker=worker, verifier=verifier, passed=True,
                                  evidence_cid=evidence)  # fmt: skip

    failed = ev.ResultsAttested(job_id=1, worker=OTHER, verifier=WORKER, passed=False,
                                evidence_cid="bafy-f")  # fmt: skip
    _read(state, passed(ME, WORKER), passed(OTHER, ME), failed)
    assert _rechecks(state) == []  # its own seat, its own pass, a fail
    _read(state, passed(OTHER, WORKER), passed(OTHER, WORKER))
    assert _rechecks(state) == [(1, OTHER, "watching")]  # once per pass
    opened = ev.DisputeOpened(job_id=1, worker=OTHER, disputer=ME, bond=1, reason_cid="r")
    with state.session() as s:
        s.query(ChallengeRow).update({"stage": "contradicted"})
    _read(state, opened)
    assert _rechecks(state) == [(1, OTHER, "challenged")]
    upheld = ev.DisputeResolved(job_id=1, worker=OTHER, fraud=True, votes_fraud=2, votes_honest=1)
    _read(state, upheld)
    assert _rechecks(state) == [(1, OTHER, "upheld")]


def test_a_pass_someone_else_disputed_first_is_not_challenged(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    attested = ev.ResultsAttested(job_id=1, worker=OTHER, verifier=WORKER, passed=True,
                                  evidence_cid="bafy-e")  # fmt: skip
    opened = ev.DisputeOpened(job_id=1, worker=OTHER, disputer=WORKER, bond=1, reason_cid="r")
    _read(state, attested, opened)
    assert _rechecks(state) == [(1, OTHER, "moot")]


def test_a_worker_that_does_not_recheck_keeps_no_rows_of_others_passes(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    attested = ev.ResultsAttested(job_id=1, worker=OTHER, verifier=WORKER, passed=True,
                                  evidence_cid="bafy-e")  # fmt: skip
    with state.session() as s:
        apply_event(s, attested, ME, WorkerMetrics(), rechecks=False)
    assert _rechecks(state) == []


def test_a_verifier_drawn_again_in_a_later_round_renders_anew_for_the_new_seed(tmp_path: Path):
    state = WorkerState(tmp_path / "worker.db")
    attested = ev.ResultsAttested(job_id=1, worker=WORKER, verifier=ME, passed=True,
                                  evidence_cid="bafy-round-0")  # fmt: skip
    again = _drawn(1, rnd=1).model_copy(update={"seed": "0x" + "22" * 32})
    assert _read(state, _drawn(1), attested, again) == [(1, WORKER, 1, "verify")]
    (old, new) = state.duties()
    assert (old.stage, new.stage, new.seed, new.evidence_cid) == (
        "attested", "drawn", "0x" + "22" * 32, None,
    )  # fmt: skip
