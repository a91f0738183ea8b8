"""Recomputing an attested pass from its verifier's own sealed evidence, without rendering: what a
worker runs before it risks a dispute bond on a challenge, and what a panel member runs on a
challenged seat (docs/protocol.md, steps 8 and 10).

The pass is contradicted when its evidence is unusable (it names other results, holds other
patches than the seed selects, or cannot be read: no verdict can rest on it) or when the evidence,
judged against the revealed tiles (`tilefarm.checks.verification.judge_evidence`), gives a fail on
tiles that could be read (`CheckReport.contradicts_pass`): tiles the worker stopped serving after
its pass say nothing against the verifier. The claim is always the chain's: its seed is that of the
draw the attesting verifier answered, never one the evidence states.
"""

import shutil
from pathlib import Path

from pydantic import BaseModel

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.events import ResultsAttested, VerifierDrawn
from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm.checks.verification import (
    CheckReport,
    claim_from_chain,
    judge_evidence,
    load_evidence,
)
from tilefarm.errors import TilefarmError
from tilefarm.manifest import canonical_json

CHALLENGE = "the pass contradicts the verifier's own sealed evidence"


class Recheck(BaseModel):
    """The verdict an attested pass's evidence gives, recomputed."""

    job_id: int
    worker: str
    verifier: str
    evidence_cid: str
    results_cid: str
    passed: bool  # the verdict the evidence gives on the revealed tiles
    evidence_ok: bool
    reason: str
    contradicted: bool  # the pass disagrees with its own evidence (`contradicts_pass`)

    def publish(self, ipfs: KuboClient) -> str:
        """The recomputation on IPFS: a challenge's reason, or a panel member's vote evidence."""
        record = {
            **self.model_dump(mode="json"),
            "claim": CHALLENGE if self.contradicted else "the pass agrees with its evidence",
        }
        return ipfs.add_bytes(canonical_json(record), name="recheck.json")


def latest_attestation(market: JobMarketClient, job_id: int, worker: str) -> ResultsAttested:
    """The latest verdict on `worker`'s seat (raises `TilefarmError` when there is none)."""
    attested = [
        e
        for e in market.events(job_id=job_id)
        if isinstance(e, ResultsAttested) and e.worker == worker
    ]
    if not attested:
        raise TilefarmError(f"job {job_id}: no verdict on {worker}'s results on chain")
    return attested[-1]


def recheck_pass(
    market: JobMarketClient,
    ipfs: KuboClient,
    job_id: int,
    worker: str,
    verifier: str,
    evidence_cid: str,
    work_dir: Path,
) -> Recheck:
    """Judge `evidence_cid`, sealed by `verifier` for `worker`'s seat, against the revealed
    tiles, with the seed of the draw `verifier` answered. Renders nothing."""
    seed = _drawn_seed(market, job_id, worker, verifier)
    claim = claim_from_chain(market, job_id, worker, seed)
    scratch = work_dir / f"recheck-{job_id}-{worker}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        try:
            evidence = load_evidence(ipfs, evidence_cid)
        except (IpfsError, ValueError) as exc:
            reason = f"the evidence {evidence_cid} is unusable: {exc}"
            report = CheckReport(claim=claim, passed=False, reason=reason, evidence_ok=False)
        else:
            report = judge_evidence(claim, evidence, ipfs, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Recheck(
        job_id=job_id, worker=worker, verifier=verifier, evidence_cid=evidence_cid,
        results_cid=claim.results_cid, passed=report.passed, evidence_ok=report.evidence_ok,
        reason=report.reason, contradicted=report.contradicts_pass(),
    )  # fmt: skip


def _drawn_seed(market: JobMarketClient, job_id: int, worker: str, verifier: str) -> str:
    """The seed of `verifier`'s latest draw for `worker`'s seat."""
    seeds = [
        e.seed
        for e in market.events(job_id=job_id)
        if isinstance(e, VerifierDrawn) and e.worker == worker and e.verifier == verifier
    ]
    if not seeds:
        raise TilefarmError(f"job {job_id}: {verifier} was never drawn for {worker}'s results")
    return seeds[-1]
