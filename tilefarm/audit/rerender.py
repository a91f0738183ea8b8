"""Re-rendering every tile of a job whole (`tilefarm audit job ID --rerender --all-tiles`): as
costly as the job itself, and the strongest check an auditor can make. Each committed tile must
match its re-render within the manifest's verification thresholds (tone-mapped PSNR and largest
error), the same test a verifier applies to its patches."""

from pathlib import Path

from tilefarm.audit.report import Check
from tilefarm.blender.launcher import BlenderChild
from tilefarm.ipfs import KuboClient
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import compare_pixels, read_exr

MAX_SCENE_BYTES = 2 << 30


def rerender_tiles(
    manifest: RenderManifest,
    tiles: dict[int, Path],
    ipfs: KuboClient,
    child: BlenderChild,
    work: Path,
) -> list[Check]:
    """One check per frame: its checked tiles (job tile index -> EXR) against a re-render."""
    scene = work / "scene-all-tiles.blend"
    ipfs.cat_to_file(manifest.scene_cid, scene, max_bytes=MAX_SCENE_BYTES)
    child.open(scene, manifest)
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
            committed = read_exr(tiles[position * per + i])
            again = read_exr(region.path)
            if committed.shape != again.shape:
                bad.append(f"tile {position * per + i} has the wrong size")
                continue
            metrics = compare_pixels(again, committed)
            worst = min(worst, metrics.psnr_db)
            if not metrics.passes(params.psnr_threshold_db, params.max_error):
                bad.append(
                    f"tile {position * per + i} differs ({metrics.psnr_db:.1f} dB, max error "
                    f"{metrics.max_error:.3f})"
                )
        checks.append(
            Check(
                kind="rerender",
                name=f"full re-render of frame {frame}",
                ok=not bad,
                detail="; ".join(bad)
                or f"{len(wanted)} tile(s) match their re-render (worst {worst:.1f} dB, "
                f"threshold {params.psnr_threshold_db} dB)",
            )
        )
    return checks
