"""The verdict as a function of sealed evidence and revealed tiles, without rendering: what the
verifier attests, and what anyone (a challenger, a panel member on a challenge, an auditor)
recomputes to see whether a verdict agrees with its own evidence.

Given the claim (with its revealed results list) and the evidence, the judge:
1. requires the evidence to name the claim and to hold exactly the patches the seed selects;
2. reads the results list and requires exactly the assigned tiles, hashing to the committed root;
3. fetches each tile a patch lies in (bytes checked against its CID) and requires its decoded
   pixels to hash to the committed pixel hash;
4. judges each re-rendered patch of the evidence against the same pixels of the committed tile on
   tone-mapped values (`tilefarm.patch_judge`: PSNR, largest difference and share of differing
   pixels), with the manifest's thresholds for the pair of backend classes: the one the results
   list says rendered the tile, and the one the evidence says rendered the patch
   (`tilefarm.envelope`: the CPU pair's own, or the cross-device envelope); a tile said to be
   rendered on a backend the job's requirements do not allow fails
   (`Requirements.refuses_claim`).
Any failure is a fail with its reason; the report lists every patch's figures. `evidence_ok` is
false when the evidence itself is unusable: no verdict, pass or fail, can rest on it. `tiles_ok`
is false when the manifest, the results list or a tile cannot be used: that fail is the
worker's (or the artist's), never the verifier's, so it contradicts no pass (`contradicts_pass`)."""

from functools import partial
from pathlib import Path

from pydantic import BaseModel

from tilefarm.adapters.ipfs import IpfsError, KuboClient, ManifestSource, fetch_manifest
from tilefarm.checks.verification.committed import (
    CommittedResultsInvalid,
    fetch_results,
    fetch_tile,
)
from tilefarm.checks.verification.evidence import MAX_PATCH_BYTES, Evidence
from tilefarm.errors import TilefarmError
from tilefarm.manifest import RenderManifest
from tilefarm.patch_judge import judge_patch
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.pixels import Pixels, read_exr
from tilefarm.results import Claim, ResultsList
from tilefarm.tiles import Rect


class PatchCheck(BaseModel):
    choice: PatchChoice
    # The backend classes of the committed tile and of the re-render, as "worker/verifier".
    backends: str = ""
    psnr_db: float | None = None
    max_error: float | None = None
    differing_fraction: float | None = None
    passed: bool
    reason: str = ""
    render_cid: str = ""


class CheckReport(BaseModel):
    claim: Claim
    passed: bool
    reason: str
    patches: list[PatchCheck] = []
    render_seconds: float = 0.0
    evidence_ok: bool = True
    tiles_ok: bool = True

    def contradicts_pass(self) -> bool:
        """Whether a pass resting on this evidence contradicts it: the evidence is unusable, or
        the tiles could be read and the evidence's patches differ from them. Tiles that cannot be
        read say nothing against the verifier (a worker may stop serving them after its pass);
        that is the artist's to contest."""
        return not self.evidence_ok or (self.tiles_ok and not self.passed)


def _key(c: PatchChoice) -> tuple[int, int, int, int, int, int]:
    return (c.job_tile, c.frame, c.rect.x, c.rect.y, c.rect.width, c.rect.height)


def judge_evidence(
    claim: Claim,
    evidence: Evidence,
    ipfs: KuboClient,
    work_dir: Path,
    manifest_of: ManifestSource | None = None,
) -> CheckReport:
    """The verdict `evidence` gives on `claim`'s revealed results (see the module's steps);
    `manifest_of` gives the manifest (by default fetched from `ipfs`)."""

    def fail(reason: str, evidence_ok: bool = True, tiles_ok: bool = True) -> CheckReport:
        return CheckReport(
            claim=claim, passed=False, reason=reason, evidence_ok=evidence_ok,
            tiles_ok=tiles_ok, render_seconds=evidence.render_seconds(),
        )  # fmt: skip

    try:
        manifest: RenderManifest = (manifest_of or partial(fetch_manifest, ipfs))(
            claim.manifest_cid
        )
    except (IpfsError, ValueError) as exc:
        return fail(f"the manifest is unusable: {exc}", tiles_ok=False)
    wrong = evidence.names(claim)
    if wrong:
        return fail(wrong, evidence_ok=False)
    chosen = select_patches(claim.seed_bytes(), manifest, claim.assigned())
    if sorted(_key(p.choice) for p in evidence.patches) != sorted(_key(c) for c in chosen):
        return fail(
            f"the evidence's {len(evidence.patches)} patches are not the {len(chosen)} the seed "
            "selects", evidence_ok=False,
        )  # fmt: skip
    if not claim.results_cid:
        return fail("the worker has not revealed its results list", tiles_ok=False)
    results = _results(claim, ipfs)
    if isinstance(results, str):
        return fail(results, tiles_ok=False)
    rects = manifest.tiles()
    committed = _committed_tiles(results, {c.job_tile for c in chosen}, rects, ipfs, work_dir)
    if isinstance(committed, str):
        return fail(committed, tiles_ok=False)
    params = manifest.verification
    verifier_backend = "CPU" if evidence.rendered_on is None else evidence.rendered_on.backend
    if manifest.requirements.cpu_only:  # re-rendered on the CPU by rule (`BlenderChild.open`)
        verifier_backend = "CPU"
    checks: list[PatchCheck] = []
    for patch in evidence.patches:
        c = patch.choice
        tile_rect = rects[c.tile]
        tile_pixels = committed[c.job_tile]
        if tile_pixels.shape[:2] != (tile_rect.height, tile_rect.width):
            checks.append(PatchCheck(choice=c, passed=False, reason="the tile has the wrong size"))
            continue
        worker_backend = results.backend_of(c.job_tile)
        refused = manifest.requirements.refuses_claim(worker_backend)
        if refused:
            checks.append(PatchCheck(choice=c, passed=False, reason=refused))
            continue
        local = c.rect.relative_to(tile_rect)
        crop = tile_pixels[local.y : local.y_end, local.x : local.x_end]
        try:
            path = ipfs.cat_to_file(
                patch.render_cid, work_dir / "evidence" / f"{len(checks):04d}.exr",
                max_bytes=MAX_PATCH_BYTES,
            )  # fmt: skip
            limits = params.thresholds_for(worker_backend, verifier_backend)
            judged = judge_patch(read_exr(path, expect=c.rect.shape), crop, limits)
        except (IpfsError, TilefarmError, OSError, ValueError) as exc:
            return fail(f"the evidence's patch {patch.render_cid} is unusable: {exc}", False)
        checks.append(
            PatchCheck(
                choice=c, backends=f"{worker_backend}/{verifier_backend}",
                psnr_db=judged.psnr_db, max_error=judged.max_error,
                differing_fraction=judged.differing_fraction, passed=judged.passed,
                reason=judged.failed_because(limits), render_cid=patch.render_cid,
            )
        )  # fmt: skip
    failed = [p for p in checks if not p.passed]
    seconds = evidence.render_seconds()
    if failed:
        worst = min((p.psnr_db or 0.0) for p in failed)
        reason = (
            f"{len(failed)} of {len(checks)} patches differ from the re-render "
            f"(worst {worst:.1f} dB)"
        )
        return CheckReport(
            claim=claim, passed=False, reason=reason, patches=checks, render_seconds=seconds
        )
    reason = f"all {len(checks)} patches match the re-render"
    return CheckReport(
        claim=claim, passed=True, reason=reason, patches=checks, render_seconds=seconds
    )


def _results(claim: Claim, ipfs: KuboClient) -> ResultsList | str:
    """The revealed results list, or why it is unusable."""
    try:
        return fetch_results(ipfs, claim)
    except (CommittedResultsInvalid, IpfsError) as exc:
        return f"the results list is unusable: {exc}"


def _committed_tiles(
    results: ResultsList, wanted: set[int], rects: list[Rect], ipfs: KuboClient, work_dir: Path
) -> dict[int, Pixels] | str:
    """The pixels of each wanted tile, each checked against its committed pixel hash (a file
    declaring another size than its tile's rectangle is refused before it is decoded)."""
    by_index = {t.index: t for t in results.tiles}
    committed = {}
    for job_tile in sorted(wanted):
        dest = work_dir / "committed" / f"{job_tile}.exr"
        rect = rects[job_tile % len(rects)]
        try:
            committed[job_tile] = fetch_tile(ipfs, by_index[job_tile], dest, rect.shape)
        except (CommittedResultsInvalid, IpfsError, OSError) as exc:
            return str(exc)
    return committed
