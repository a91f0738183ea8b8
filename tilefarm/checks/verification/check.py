"""A whole check in one step, for whoever may see the tiles already (a panel member on an appeal
or a contest, `tilefarm verify`, an auditor): render the evidence, then judge it."""

from collections.abc import Callable
from pathlib import Path

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import IpfsError, KuboClient, ManifestSource
from tilefarm.checks.verification.evidence import Evidence, render_evidence
from tilefarm.checks.verification.judge import CheckReport, judge_evidence
from tilefarm.manifest import RenderManifest
from tilefarm.results import Claim


def check_results(
    claim: Claim,
    ipfs: KuboClient,
    work_dir: Path,
    child: BlenderChild,
    max_scene_bytes: int = 2 << 30,
    scene: Callable[[RenderManifest], Path] | None = None,
    manifest_of: ManifestSource | None = None,
) -> tuple[CheckReport, Evidence | None]:
    """Check `claim` against IPFS and a re-render of the seed's patches; returns the report and
    the evidence it rendered (none when the manifest or scene could not be read)."""
    try:
        evidence = render_evidence(
            claim, ipfs, work_dir, child, max_scene_bytes, scene, manifest_of=manifest_of
        )
    except (IpfsError, ValueError) as exc:
        reason = f"the manifest or scene is unusable: {exc}"
        return CheckReport(claim=claim, passed=False, reason=reason), None
    return judge_evidence(claim, evidence, ipfs, work_dir, manifest_of), evidence
