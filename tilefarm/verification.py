"""Checking a worker's committed results, the same way for a verifier, a panel member, the
`tilefarm verify` command and an auditor.

Given what the chain says (the manifest CID, the worker's tile range, its Merkle root, the seed of
its verifier draw) and what IPFS holds (the results list, the tiles, the scene), the check:
1. reads the results list and requires exactly the assigned tiles;
2. recomputes the Merkle root from the list and requires the committed one;
3. picks patches from the seed (`tilefarm.patches`), fetches each chosen tile (bytes checked
   against its CID) and requires its decoded pixels to hash to the committed pixel hash;
4. re-renders the patches from the manifest in one Blender child (all patches of a frame in one
   request, so the scene loads once) and judges each against the committed pixels on tone-mapped
   values (`tilefarm.patch_judge`: PSNR, largest difference and share of differing pixels;
   thresholds from the manifest).
Any failure is a fail with its reason; the report lists every patch's figures.
"""

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from tilefarm.blender.launcher import BlenderChild
from tilefarm.chain.bindings import JobMarketClient
from tilefarm.chain.events import JobPosted, ResultsCommitted, VerifierDrawn
from tilefarm.errors import TilefarmError
from tilefarm.ipfs import IpfsError, KuboClient, cid_digest
from tilefarm.manifest import RenderManifest, parse_manifest
from tilefarm.merkle import merkle_root, tile_leaf
from tilefarm.patch_judge import judge_patch
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.pixels import pixel_hash, read_exr

MAX_RESULTS_BYTES = 8 << 20
MAX_TILE_BYTES = 512 << 20


class ResultTile(BaseModel):
    index: int
    cid: str
    pixel_hash: str


class ResultsList(BaseModel):
    """What a worker publishes next to its commitment: every tile's CID and pixel hash."""

    job_id: int
    worker: str
    manifest_cid: str
    tiles: list[ResultTile]

    def leaves(self) -> list[bytes]:
        return [
            tile_leaf(t.index, cid_digest(t.cid), bytes.fromhex(t.pixel_hash)) for t in self.tiles
        ]

    def root(self) -> bytes:
        return merkle_root(self.leaves())


class PatchCheck(BaseModel):
    choice: PatchChoice
    psnr_db: float | None = None
    max_error: float | None = None
    differing_fraction: float | None = None
    passed: bool
    reason: str = ""
    render_path: Path | None = None


class Claim(BaseModel):
    """What the chain says about one worker's results."""

    job_id: int
    worker: str
    manifest_cid: str
    results_cid: str
    merkle_root: str
    first_tile: int
    tile_count: int
    seed: str


class CheckReport(BaseModel):
    claim: Claim
    passed: bool
    reason: str
    patches: list[PatchCheck] = []
    render_seconds: float = 0.0


def _fail(claim: Claim, reason: str, patches: list[PatchCheck] | None = None) -> CheckReport:
    return CheckReport(claim=claim, passed=False, reason=reason, patches=patches or [])


def check_results(
    claim: Claim,
    ipfs: KuboClient,
    work_dir: Path,
    child: BlenderChild,
    max_scene_bytes: int = 2 << 30,
    scene: Callable[[RenderManifest], Path] | None = None,
) -> CheckReport:
    """Check `claim` against IPFS and a re-render of the seed's patches. `scene` gives the
    manifest's .blend on disk (checked against its CID); by default it is fetched into
    `work_dir`."""
    try:
        manifest: RenderManifest = parse_manifest(ipfs.cat(claim.manifest_cid, max_bytes=1 << 20))
        results = ResultsList.model_validate_json(
            ipfs.cat(claim.results_cid, max_bytes=MAX_RESULTS_BYTES)
        )
    except (IpfsError, ValueError) as exc:
        return _fail(claim, f"the manifest or results list is unusable: {exc}")
    assigned = list(range(claim.first_tile, claim.first_tile + claim.tile_count))
    if [t.index for t in results.tiles] != assigned:
        return _fail(
            claim, f"the results list does not list exactly tiles {assigned[0]}..{assigned[-1]}"
        )
    if results.manifest_cid != claim.manifest_cid or results.job_id != claim.job_id:
        return _fail(claim, "the results list names another job or manifest")
    try:
        root = "0x" + results.root().hex()
    except (TilefarmError, ValueError) as exc:
        return _fail(claim, f"the results list is malformed: {exc}")
    if root != claim.merkle_root.lower():
        return _fail(claim, f"the results list hashes to {root}, not the committed root")

    choices = select_patches(bytes.fromhex(claim.seed.removeprefix("0x")), manifest, assigned)
    by_index = {t.index: t for t in results.tiles}
    tiles_dir = work_dir / "committed"
    committed = {}
    for job_tile in sorted({c.job_tile for c in choices}):
        entry = by_index[job_tile]
        try:
            path = ipfs.cat_to_file(
                entry.cid, tiles_dir / f"{job_tile}.exr", max_bytes=MAX_TILE_BYTES
            )
            pixels = read_exr(path)
        except (IpfsError, TilefarmError, OSError) as exc:
            return _fail(claim, f"tile {job_tile} ({entry.cid}) cannot be read: {exc}")
        if pixel_hash(pixels) != entry.pixel_hash:
            return _fail(claim, f"tile {job_tile}'s pixels do not hash to its committed pixel hash")
        committed[job_tile] = pixels

    if scene is not None:
        blend = scene(manifest)
    else:
        blend = work_dir / "scene.blend"
        if not blend.exists():
            ipfs.cat_to_file(manifest.scene_cid, blend, max_bytes=max_scene_bytes)
    child.open(blend, manifest)
    frames: dict[int, list[PatchChoice]] = defaultdict(list)
    for c in choices:
        frames[c.frame].append(c)
    checks: list[PatchCheck] = []
    seconds = 0.0
    params = manifest.verification
    rects = manifest.tiles()
    for frame, group in sorted(frames.items()):
        regions = [(f"patch-{i:04d}", c.rect) for i, c in enumerate(group)]
        rendered = child.render_regions(frame, regions, work_dir / "patches" / str(frame))
        for c, region in zip(group, rendered, strict=True):
            seconds += region.seconds
            tile_rect = rects[c.tile]
            local = c.rect.relative_to(tile_rect)
            tile_pixels = committed[c.job_tile]
            if tile_pixels.shape[:2] != (tile_rect.height, tile_rect.width):
                checks.append(
                    PatchCheck(choice=c, passed=False, reason="the tile has the wrong size")
                )
                continue
            crop = tile_pixels[local.y : local.y_end, local.x : local.x_end]
            judged = judge_patch(read_exr(region.path), crop, params)
            checks.append(
                PatchCheck(
                    choice=c, psnr_db=judged.psnr_db, max_error=judged.max_error,
                    differing_fraction=judged.differing_fraction, passed=judged.passed,
                    reason=judged.failed_because(params), render_path=region.path,
                )
            )  # fmt: skip
    failed = [p for p in checks if not p.passed]
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


def drawn_seed(market: JobMarketClient, job_id: int, worker: str) -> bytes | None:
    """The seed of the latest verifier draw for `worker`'s results, if one was drawn."""
    seeds = [
        e.seed
        for e in market.events(job_id=job_id)
        if isinstance(e, VerifierDrawn) and e.worker == worker
    ]
    return bytes.fromhex(seeds[-1].removeprefix("0x")) if seeds else None


def committed_workers(market: JobMarketClient, job_id: int) -> list[str]:
    """Workers that committed results to `job_id`, in commit order."""
    return [e.worker for e in market.events(job_id=job_id) if isinstance(e, ResultsCommitted)]
