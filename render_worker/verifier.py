"""The worker's verification duty: when the market draws this worker to check another worker's
results (or to sit on a dispute panel), gather the claim from the chain, run the shared check
(`tilefarm.verification`), publish the evidence on IPFS, and return the verdict to attest."""

import json
import shutil
from pathlib import Path

from pydantic import BaseModel

from render_worker.settings import DaemonSettings
from tilefarm.blender.launcher import BlenderChild
from tilefarm.chain.bindings import JobMarketClient
from tilefarm.chain.events import JobPosted, ResultsCommitted
from tilefarm.errors import TilefarmError
from tilefarm.ipfs import KuboClient
from tilefarm.manifest import canonical_json
from tilefarm.verification import CheckReport, Claim, check_results


class Verdict(BaseModel):
    passed: bool
    evidence_cid: str
    reason: str


def claim_from_chain(market: JobMarketClient, job_id: int, worker: str, seed: bytes) -> Claim:
    """What the chain says `worker` committed for `job_id`."""
    posted = committed = None
    for event in market.events(job_id=job_id):
        if isinstance(event, JobPosted):
            posted = event
        elif isinstance(event, ResultsCommitted) and event.worker == worker:
            committed = event
    if posted is None or committed is None:
        raise TilefarmError(f"job {job_id} has no posted job or no results of {worker} on chain")
    seat = market.seat(job_id, worker)
    return Claim(
        job_id=job_id,
        worker=worker,
        manifest_cid=posted.manifest_cid,
        results_cid=committed.results_cid,
        merkle_root=committed.merkle_root,
        first_tile=seat.first_tile,
        tile_count=seat.tile_count,
        seed="0x" + seed.hex(),
    )


class Verifier:
    """Checks claims and publishes evidence bundles."""

    def __init__(
        self, ipfs: KuboClient, market: JobMarketClient, settings: DaemonSettings, work_dir: Path
    ) -> None:
        self.ipfs = ipfs
        self.market = market
        self.settings = settings
        self.work_dir = work_dir

    def verify(self, job_id: int, worker: str, seed: bytes) -> Verdict:
        claim = claim_from_chain(self.market, job_id, worker, seed)
        scratch = self.work_dir / f"verify-{job_id}-{worker}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            with BlenderChild(
                limits=self.settings.child_limits(),
                sandbox=self.settings.sandbox,
                threads=self.settings.threads,
                devices=self.settings.devices,
                scratch_root=self.settings.scratch_dir,
            ) as child:
                report = check_results(
                    claim, self.ipfs, scratch, child, self.settings.max_scene_bytes
                )
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
