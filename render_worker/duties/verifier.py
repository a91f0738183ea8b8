"""The worker's checks of other workers' results, each with the shared check
(`tilefarm.checks.verification`):

- as a drawn verifier, blind (docs/protocol.md, steps 6-8): `evidence` renders the seed's patches
  from the chain's claim alone, before the worker has revealed a tile, and publishes the bundle;
  once the tiles are revealed, `judge` gives the verdict of that same evidence, render-free;
- as a panel member: on an appeal or a contest `panel_check` renders the panel seed's patches and
  judges the tiles at once; on a challenge `panel_recheck` recomputes the attested pass from its
  verifier's evidence (`render_worker/duties/recheck.py`), render-free.
"""

import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

from pydantic import BaseModel

from render_worker.duties.recheck import latest_attestation, recheck_pass
from render_worker.errors import WorkerError
from render_worker.work.children import JobChildren
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.ipfs import KuboClient, ManifestSource, fetch_manifest
from tilefarm.checks.verification import (
    check_results,
    claim_from_chain,
    judge_evidence,
    load_evidence,
    render_evidence,
)
from tilefarm.manifest import RenderManifest, canonical_json


class Verdict(BaseModel):
    """What to attest or vote: `passed` (a panel member votes fraud on False) and the evidence."""

    passed: bool
    evidence_cid: str
    reason: str


class Verifier:
    """Renders and publishes evidence, and judges it."""

    def __init__(
        self,
        ipfs: KuboClient,
        market: JobMarketClient,
        work_dir: Path,
        children: JobChildren,
        scene: Callable[[RenderManifest], Path],
        manifest_of: ManifestSource | None = None,
    ) -> None:
        """`children` is the worker's kept Blender child (a seat of a job it rendered is checked
        in the child that rendered its own tiles); `scene` gives the manifest's .blend on disk;
        `manifest_of` the manifest (the worker's cache; fetched each time without one)."""
        self.ipfs = ipfs
        self.market = market
        self.work_dir = work_dir
        self.children = children
        self.scene = scene
        self.manifest_of = manifest_of or partial(fetch_manifest, ipfs)

    def evidence(self, job_id: int, worker: str, seed: str) -> str:
        """Render the patches `seed` selects on `worker`'s seat, publish the evidence bundle and
        return its CID. Blind: whatever the worker revealed in an earlier round is not read."""
        claim = claim_from_chain(self.market, job_id, worker, seed)
        blind = claim.model_copy(update={"results_cid": ""})
        scratch = self.work_dir / f"evidence-{job_id}-{worker}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            with self.children.using(job_id, claim.manifest_cid) as child:
                bundle = render_evidence(
                    blind, self.ipfs, scratch, child, scene=self.scene, manifest_of=self.manifest_of
                )
            return bundle.publish(self.ipfs)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def stale_evidence(self, job_id: int, worker: str, seed: str, evidence_cid: str) -> str:
        """Why this verifier's own evidence is not evidence on the chain's claim now ("" when it
        is): a chain reorganisation between the render and the seal can change the claim."""
        claim = claim_from_chain(self.market, job_id, worker, seed)
        return load_evidence(self.ipfs, evidence_cid).names(claim)

    def judge(self, job_id: int, worker: str, seed: str, evidence_cid: str) -> Verdict:
        """The verdict of the evidence this verifier sealed on the tiles `worker` revealed.
        Raises `WorkerError` when the evidence is not on the chain's claim: a verifier never
        attests a fail of its own evidence's making."""
        claim = claim_from_chain(self.market, job_id, worker, seed)
        evidence = load_evidence(self.ipfs, evidence_cid)
        wrong = evidence.names(claim)
        if wrong:
            raise WorkerError(f"the sealed evidence {evidence_cid} no longer fits: {wrong}")
        scratch = self.work_dir / f"judge-{job_id}-{worker}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            report = judge_evidence(claim, evidence, self.ipfs, scratch, self.manifest_of)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return Verdict(passed=report.passed, evidence_cid=evidence_cid, reason=report.reason)

    def panel_check(self, job_id: int, worker: str, seed: str) -> Verdict:
        """An appeal or a contest: render the panel seed's patches and judge the tiles."""
        claim = claim_from_chain(self.market, job_id, worker, seed)
        scratch = self.work_dir / f"panel-{job_id}-{worker}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            with self.children.using(job_id, claim.manifest_cid) as child:
                report, bundle = check_results(
                    claim, self.ipfs, scratch, child, scene=self.scene, manifest_of=self.manifest_of
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if bundle is not None:
            cid = bundle.publish(self.ipfs)
        else:  # nothing rendered (the manifest or scene is unusable): the report is the evidence
            cid = self.ipfs.add_bytes(canonical_json(report.model_dump(mode="json")))
        return Verdict(passed=report.passed, evidence_cid=cid, reason=report.reason)

    def panel_recheck(self, job_id: int, worker: str) -> Verdict:
        """A challenge: does the attested pass contradict its verifier's own evidence? `passed`
        is False (vote fraud) when it does; the vote names the published recomputation."""
        attested = latest_attestation(self.market, job_id, worker)
        recheck = recheck_pass(
            self.market, self.ipfs, job_id, worker, attested.verifier, attested.evidence_cid,
            self.work_dir,
        )  # fmt: skip
        return Verdict(
            passed=not recheck.contradicted, evidence_cid=recheck.publish(self.ipfs),
            reason=recheck.reason,
        )  # fmt: skip
