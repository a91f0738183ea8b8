"""The verifier's evidence: the seed's patches re-rendered from the manifest, published on IPFS
and sealed on chain before the verifier may see a single tile of the worker's (blind
verification, docs/protocol.md). The patches depend only on the manifest, the seat's tile range
and the seed, so the evidence needs nothing the worker has revealed."""

import json
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tilefarm.adapters.blender.launcher import BlenderChild, RenderedRegion
from tilefarm.adapters.ipfs import KuboClient, ManifestSource, fetch_manifest
from tilefarm.hardware import RenderedOn
from tilefarm.manifest import RenderManifest, canonical_json
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.results import Claim
from tilefarm.types import Hex32

EVIDENCE_KIND: Literal["tilefarm-evidence/1"] = "tilefarm-evidence/1"
MAX_EVIDENCE_BYTES = 4 << 20
MAX_PATCH_BYTES = 64 << 20


class EvidencePatch(BaseModel):
    choice: PatchChoice
    render_cid: str  # the re-rendered patch, an EXR of the patch's rectangle
    seconds: float = 0.0


class Evidence(BaseModel):
    """Which results it checks (everything but the results list, which it must not know yet), the
    seed, and every patch the seed selects, re-rendered."""

    kind: Literal["tilefarm-evidence/1"] = EVIDENCE_KIND
    job_id: int
    worker: str
    manifest_cid: str
    merkle_root: Hex32
    first_tile: int
    tile_count: int
    seed: Hex32
    patches: list[EvidencePatch]
    # The machine the patches were re-rendered on (None in evidence that does not say: the CPU).
    rendered_on: RenderedOn | None = None

    def render_seconds(self) -> float:
        return sum(p.seconds for p in self.patches)

    def publish(self, ipfs: KuboClient) -> str:
        return ipfs.add_bytes(canonical_json(self.model_dump(mode="json")), name="evidence.json")

    def names(self, claim: Claim) -> str:
        """Why this evidence is not evidence on `claim` ("" when it is)."""
        mine = (self.job_id, self.worker.lower(), self.manifest_cid, self.merkle_root,
                self.first_tile, self.tile_count, self.seed)  # fmt: skip
        theirs = (claim.job_id, claim.worker.lower(), claim.manifest_cid, claim.merkle_root,
                  claim.first_tile, claim.tile_count, claim.seed)  # fmt: skip
        return "" if mine == theirs else "the evidence names other results, tiles or seed"


def load_evidence(ipfs: KuboClient, cid: str) -> Evidence:
    """The evidence bundle at `cid` (raises `IpfsError` or `ValueError` when unusable)."""
    return Evidence.model_validate(json.loads(ipfs.cat(cid, max_bytes=MAX_EVIDENCE_BYTES)))


def render_evidence(
    claim: Claim,
    ipfs: KuboClient,
    work_dir: Path,
    child: BlenderChild,
    max_scene_bytes: int = 2 << 30,
    scene: Callable[[RenderManifest], Path] | None = None,
    manifest_of: ManifestSource | None = None,
) -> Evidence:
    """Re-render the patches `claim`'s seed selects, add each to IPFS and return the evidence
    (unpublished). `scene` gives the manifest's .blend on disk (checked against its CID); by
    default it is fetched into `work_dir`. `manifest_of` gives the manifest (by default fetched
    from `ipfs`). Reads nothing of the worker's but the chain's claim. A patch whose GPU fails is
    rendered on the CPU whatever the job allows, unless `child`'s machine never renders on its
    CPU (then it raises `GpuRenderFailed`)."""
    manifest = (manifest_of or partial(fetch_manifest, ipfs))(claim.manifest_cid)
    # Frame by frame (one render request each), in the seed's order within a frame.
    choices = sorted(select_patches(claim.seed_bytes(), manifest, claim.assigned()), key=_frame)
    if scene is not None:
        blend = scene(manifest)
    else:
        blend = work_dir / "scene.blend"
        if not blend.exists():
            ipfs.cat_to_file(manifest.scene_cid, blend, max_bytes=max_scene_bytes)
    # A CPU re-render is evidence as good as a GPU one (judged by its own pair of backends),
    # also on a job whose own tiles must be the GPU's: a verifier whose GPU fails renders on.
    opened = child.open(blend, manifest, cpu_fallback="always")
    rendered = _render_patches(child, choices, work_dir / "patches")
    rendered_on = rendered[-1].rendered_on if rendered else opened.rendered_on
    # A GPU that failed mid-evidence left the later patches to the CPU, where the child then
    # stays: the patches rendered before it are rendered again there, so that every patch was
    # rendered on what the evidence records, and the judge holds each to the thresholds of its
    # own pair of backends (a GPU patch judged as a CPU one could fail an honest CPU worker).
    again = [i for i, r in enumerate(rendered) if r.rendered_on.backend != rendered_on.backend]
    if again:
        redone = _render_patches(child, [choices[i] for i in again], work_dir / "patches-again")
        for i, region in zip(again, redone, strict=True):
            rendered[i] = region
    patches = [
        EvidencePatch(choice=c, render_cid=ipfs.add_file(r.path), seconds=r.seconds)
        for c, r in zip(choices, rendered, strict=True)
    ]
    return Evidence(
        job_id=claim.job_id, worker=claim.worker, manifest_cid=claim.manifest_cid,
        merkle_root=claim.merkle_root, first_tile=claim.first_tile,
        tile_count=claim.tile_count, seed=claim.seed, patches=patches, rendered_on=rendered_on,
    )  # fmt: skip


def _frame(choice: PatchChoice) -> int:
    return choice.frame


def _render_patches(
    child: BlenderChild, choices: list[PatchChoice], out: Path
) -> list[RenderedRegion]:
    """Render `choices` in `child`, one request per frame; the regions in `choices`' order."""
    frames: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(choices):
        frames[c.frame].append(i)
    rendered: dict[int, RenderedRegion] = {}
    for frame, group in sorted(frames.items()):
        regions = [(f"patch-{i:04d}", choices[i].rect) for i in group]
        done = child.render_regions(frame, regions, out / str(frame))
        rendered.update(zip(group, done, strict=True))
    return [rendered[i] for i in range(len(choices))]
