"""How much a worker rechecks of others' passes at once: at most its limit (rechecks running,
challenges to send or open), and only while each pass's contest window is open."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from render_worker.duties.challenges import Challenger
from render_worker.state.models import ChallengeRow
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.records import SEAT_STATES, Seat

ME = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
VERIFIER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
DEADLINE = 1_000


class Market:
    """The two views the challenger reads before it starts a recheck."""

    def seat(self, job_id: int, worker: str) -> Seat:
        return Seat(hash="0x" + "00" * 32, price_per_tile=1, first_tile=0, tile_count=1,
                    state=SEAT_STATES.index("Accepted"), round=0, anchor_block=1, verifier_id=7,
                    deadline=DEADLINE)  # fmt: skip

    def account_by_id(self, account_id: int) -> str:
        return VERIFIER


def _challenger(state: WorkerState, started: list[str], limit: int) -> Challenger:
    def background(key: str, work: Callable[[], None], render_free: bool) -> bool:
        assert render_free  # a recheck never renders
        started.append(key)
        return True

    market: Any = Market()
    unused: Any = None  # IPFS and the sender: a recheck that only starts needs neither
    return Challenger(ME, market, unused, state, unused, background, Path("/nonexistent"), limit)


def _passes(state: WorkerState, count: int) -> None:
    with state.session() as s:
        for job_id in range(1, count + 1):
            s.add(ChallengeRow(job_id=job_id, worker=f"0x{job_id:040x}", verifier=VERIFIER,
                               evidence_cid=f"bafy-{job_id}"))  # fmt: skip


def test_at_most_the_limit_of_passes_is_rechecked_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _passes(state, 5)
    started: list[str] = []
    challenger = _challenger(state, started, limit=2)
    challenger.act(DEADLINE)
    challenger.act(DEADLINE)  # still running: nothing more
    assert started == ["recheck:1", "recheck:2"]
    # Both rechecks end: the first pass agrees with its evidence, the second contradicts it (a
    # challenge to send, here held back).
    with state.session() as s:
        s.query(ChallengeRow).filter_by(id=1).update({"stage": "agrees"})
        s.query(ChallengeRow).filter_by(id=2).update({"stage": "contradicted"})
    challenger._running.clear()
    monkeypatch.setattr(challenger, "_challenge", lambda row, now: None)
    challenger.act(DEADLINE)
    assert started == ["recheck:1", "recheck:2", "recheck:3"]  # the open challenge counts


def test_a_pass_whose_contest_window_closed_before_its_turn_is_not_rechecked(
    tmp_path: Path,
) -> None:
    state = WorkerState(tmp_path / "worker.db")
    _passes(state, 2)
    started: list[str] = []
    _challenger(state, started, limit=4).act(DEADLINE + 1)
    assert started == []
    assert [r.stage for r in _challenger(state, started, limit=4).rows()] == ["expired"] * 2
