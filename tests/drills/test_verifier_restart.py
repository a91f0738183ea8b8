"""Drill: the drawn verifier (a `render-worker run` process) is SIGKILLed after it sealed its
evidence and before the worker revealed its tiles, and started again once they are revealed. It
attests with the evidence it sealed, rendered once: the evidence CID was stored before the seal
was signed, so neither a second render (whose bundle would differ: its timings do) nor a seal
mismatch (`EvidenceMismatch`) can follow a crash."""

import os
import signal
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from render_worker.state.store import WorkerState
from tests.drills.conftest import worker_process
from tests.worker.conftest import (
    Stack,
    dev_account,
    held_back,
    running_worker,
    tiny_job,
    wait_until,
)
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]

NEVER_BIDS = {"wei_per_render_second": 10**30}


def test_a_verifier_killed_between_its_seal_and_its_verdict_attests_the_evidence_it_sealed(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    verifier = dev_account(3)
    market.stake(verifier, market.config().min_stake)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 2), samples=2, windows=(5, 60),
        verification={"patch_size": 8, "patch_count": 4},
    )  # fmt: skip
    job_id: int  # posted below
    of = lambda kind: [e for e in market.events(job_id=job_id) if isinstance(e, kind)]  # noqa: E731
    # The verifier's database, created here first so that it and this test never both create
    # its tables.
    db, log = WorkerState(tmp_path / "worker3" / "worker.db"), tmp_path / "worker3.log"

    with running_worker(own_stack, tmp_path, 2) as worker:
        revealing = threading.Event()  # the worker reveals only once the verifier is dead
        held_back(worker, "_reveal_results", revealing)
        with worker_process(own_stack, tmp_path, 3, pricing=NEVER_BIDS) as first:
            wait_until(lambda: db.get_meta("cursor") is not None, 180, "the verifier", log)
            accounts: Sequence[str] = own_stack.w3.eth.accounts  # web3 types it as a 1-tuple
            job_id, _ = market.post_job(accounts[1], params, manifest_cid)
            wait_until(lambda: of(ev.EvidenceSealed), 180, "the verifier's seal", log)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        (sealed,) = of(ev.EvidenceSealed)
        assert sealed.verifier == verifier.address
        revealing.set()
        wait_until(lambda: of(ev.ResultsRevealed), 60, "the worker's reveal")
        assert of(ev.ResultsAttested) == []  # the verifier is dead

        with worker_process(own_stack, tmp_path, 3, pricing=NEVER_BIDS):
            wait_until(lambda: of(ev.ResultsAttested), 180, "the restarted verifier's verdict", log)

    (attested,) = of(ev.ResultsAttested)
    assert attested.verifier == verifier.address and attested.passed
    seal = evidence_seal(job_id, worker.me, verifier.address, attested.evidence_cid)
    assert "0x" + seal.hex() == sealed.seal  # the evidence it sealed before it died
    assert of(ev.VerifierReplaced) == []  # never silent
    (duty,) = db.duties()
    assert (duty.stage, duty.evidence_cid) == ("attested", attested.evidence_cid)
    rendered = [line for line in log.read_text().splitlines() if "rendered blind" in line]
    assert len(rendered) == 1, rendered  # rendered once, before the seal
