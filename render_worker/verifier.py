"""The worker's verification duty: when the market draws this worker to check another worker's
results (or to sit on a dispute panel), gather the claim from the chain, run the shared check
(`tilefarm.verification`), publish the evidence on IPFS, and return the verdict to attest."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from render_worker.children import JobChildren
from tilefarm.chain.bindings import JobMarketClient
from tilefarm.ipfs import KuboClient
from tilefarm.manifest import RenderManifest, canonical_json
from tilefarm.verification import CheckReport, check_results, claim_from_chain


class Verdict(BaseModel):
    passed: bool
    evidence_cid: str
    reason: str


class Verifier:
    """Checks claims and publishes evidence bundles."""

    def __init__(
        self,
        ipfs: KuboClient,
        market: JobMarketClient,
        work_dir: Path,
        children: JobChildren,
        scene: Callable[[RenderManifest], Path],
    ) -> None:
        """`children` is the worker's kept Blender child (a seat of a job it rendered is checked
        in the child that rendered its own tiles); `scene` gives the manifest's .blend on disk."""
        self.ipfs = ipfs
        self.market = market
        self.work_dir = work_dir
        self.children = children
        self.scene = scene

    def verify(self, job_id: int, worker: str, seed: bytes) -> Verdict:
        claim = claim_from_chain(self.market, job_id, worker, seed)
        scratch = self.work_dir / f"verify-{job_id}-{worker}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            with self.children.using(job_id, claim.manifest_cid) as child:
                report = check_results(claim, self.ipfs, scratch, child, scene=self.scene)
            return Verdict(
                passed=report.passed, evidence_cid=self.publish(report), reason=report.reason
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def publish(self, report: CheckReport) -> str:
        """The evidence bundle: the report with each patch re-render's CID, on IPFS."""
        patches = []
        for patch in report.patches:
            entry = json.loads(patch.model_dump_json(exclude={"render_path"}))
            if patch.render_path is not None and patch.render_path.exists():
                entry["render_cid"] = self.ipfs.add_file(patch.render_path)
            patches.append(entry)
        bundle = json.loads(report.model_dump_json(exclude={"patches"}))
        bundle["patches"] = patches
        return self.ipfs.add_bytes(canonical_json(bundle), name="evidence.json")
