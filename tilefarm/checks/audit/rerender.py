"""Re-rendering every tile of a job whole (`tilefarm audit job ID --rerender --all-tiles`): as
costly as the job itself, and the strongest check an auditor can make. Each committed tile must
match its re-render within the manifest's verification thresholds for the pair of backends (the
one its results list names, the one the auditor renders on: `tilefarm.envelope`), judged as a
verifier judges a patch (`tilefarm.patch_judge`: tone-mapped PSNR, largest error, share of
differing pixels)."""

from pathlib import Path

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.audit.report import Check
from tilefarm.hardware import BackendClass
from tilefarm.manifest import RenderManifest
from tilefarm.patch_judge import judge_patch
from tilefarm.pixels import read_exr

MAX_SCENE_BYTES = 2 << 30


def rerender_tiles(
    manifest: RenderManifest,
    tiles: dict[int, Path],
    ipfs: KuboClient,
    child: BlenderChild,
    work: Path,
    backends: dict[int, BackendClass] | None = None,
) -> list[Check]:
    """One check per frame: its checked tiles (job tile index -> EXR) against a re-render;
    `backends` says what rendered each tile (the CPU when it does not say)."""
    scene = work / "scene-all-tiles.blend"
    ipfs.cat_to_file(manifest.scene_cid, scene, max_bytes=MAX_SCENE_BYTES)
    # A check, not the job's tiles: a failed GPU's tiles are re-rendered on the CPU (and judged
    # as such) whatever the job allows its workers.
    child.open(scene, manifest, cpu_fallback="always")
    params = manifest.verification
    per = manifest.tile_count
    checks = []
    for position, frame in enumerate(manifest.frames):
        wanted = [i for i in range(per) if position * per + i in tiles]
        if not wanted:
            continue
        rendered = child.render_tiles(frame, wanted, work / "all-tiles" / str(frame))
        worst = float("inf")
        bad = []
        for i, region in zip(wanted, rendered, strict=True):
            tile = position * per + i
            committed = read_exr(tiles[tile])
            again = read_exr(region.path)
            if committed.shape != again.shape:
                bad.append(f"tile {tile} has the wrong size")
                continue
            claimed = (backends or {}).get(tile, "CPU")
            refused = manifest.requirements.refuses_claim(claimed)
            if refused:
                bad.append(f"tile {tile}: {refused}")
                continue
            # The backend of this very re-render: a GPU that failed mid-audit leaves the CPU.
            limits = params.thresholds_for(claimed, region.rendered_on.backend)
            judgement = judge_patch(again, committed, limits)
            worst = min(worst, judgement.psnr_db)
            if not judgement.passed:
                bad.append(f"tile {tile} differs: {judgement.failed_because(limits)}")
        checks.append(
            Check(
                kind="rerender",
                name=f"full re-render of frame {frame}",
                ok=not bad,
                detail="; ".join(bad)
                or f"{len(wanted)} tile(s) match their re-render (worst {worst:.1f} dB, "
                f"CPU-pair threshold {params.psnr_threshold_db} dB)",
            )
        )
    return checks
