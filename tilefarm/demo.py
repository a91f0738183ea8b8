"""The walking skeleton behind `make demo` (until the full marketplace demo exists): a real job
path through every real part, with no chain contract logic yet.

1. the local stack comes up (anvil, Kubo, contracts deployed), or the running one is reused;
2. the built-in demo scene is built procedurally by the Blender child and stored on IPFS;
3. a render manifest pins everything that decides the pixels, and is stored on IPFS too;
4. one long-lived Blender child renders the frame as tiles (scripts off, no network);
5. each tile goes to IPFS; the tiles' Merkle root is what a worker would commit on chain;
6. the tiles are read back from IPFS (every byte checked against its CID), their pixel hashes
   re-checked, stitched, and the frame is written as EXR and PNG and stored on IPFS.
"""

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from tilefarm.blender.launcher import BlenderChild, RenderedRegion
from tilefarm.devnet import Devnet, StackStatus
from tilefarm.errors import TilefarmError
from tilefarm.ipfs import KuboClient, cid_digest
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.merkle import merkle_root, tile_leaf
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.scenes import build_builtin_scene
from tilefarm.settings import TilefarmSettings
from tilefarm.stitch import stitch_tiles, write_frame


class DemoTile(BaseModel):
    index: int
    cid: str
    pixel_hash: str
    seconds: float


class DemoResult(BaseModel):
    """What the demo prints, as text or `--json`."""

    chain_id: int | None
    rpc_url: str | None
    contracts: dict[str, str]
    scene_cid: str
    manifest_cid: str
    frame: int
    resolution: str
    grid: str
    samples: int
    tiles: list[DemoTile]
    results_root: str
    frame_exr: Path
    frame_png: Path
    frame_exr_cid: str
    frame_png_cid: str
    render_seconds: float


def run_demo(
    settings: TilefarmSettings,
    out_dir: Path,
    *,
    width: int = 480,
    height: int = 270,
    columns: int = 4,
    rows: int = 3,
    samples: int = 32,
    seed: int = 7,
    on_tile: Callable[[RenderedRegion], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the walking skeleton once and return where everything went."""
    step = on_step or (lambda _msg: None)
    step("starting the local stack")
    stack: StackStatus = Devnet(settings).up()
    if not stack.running or stack.ipfs_api_url is None:
        raise TilefarmError("the local stack is not healthy: " + "; ".join(stack.problems))
    out_dir.mkdir(parents=True, exist_ok=True)

    with KuboClient(stack.ipfs_api_url) as ipfs:
        with BlenderChild() as child:
            step("building the demo scene")
            blend = build_builtin_scene("demo", out_dir / "demo.blend", child=child)
            scene_cid = ipfs.add_file(blend)
            manifest: RenderManifest = build_manifest(
                scene_cid=scene_cid,
                frames=[1],
                resolution={"width": width, "height": height},
                tile_grid={"columns": columns, "rows": rows},
                samples=samples,
                seed=seed,
            )
            manifest_cid = ipfs.add_bytes(manifest.canonical_json(), name="manifest.json")
            if manifest_cid != manifest.cid():
                raise TilefarmError(f"manifest CID {manifest_cid} != computed {manifest.cid()}")

            step(f"rendering {manifest.tile_count} tiles")
            child.open(blend, manifest)
            frame = manifest.frames[0]
            rendered = child.render_tiles(frame, None, out_dir / "tiles", on_progress=on_tile)

        step("publishing tiles to IPFS")
        tiles = [
            DemoTile(index=i, cid=ipfs.add_file(r.path), pixel_hash=r.pixel_hash, seconds=r.seconds)
            for i, r in enumerate(rendered)
        ]
        leaves = [tile_leaf(t.index, cid_digest(t.cid), bytes.fromhex(t.pixel_hash)) for t in tiles]

        step("reading the tiles back from IPFS and stitching")
        pieces = []
        for tile, rect in zip(tiles, manifest.tiles(), strict=True):
            path = ipfs.cat_to_file(tile.cid, out_dir / "fetched" / f"tile-{tile.index:05d}.exr")
            pixels = read_exr(path)
            if pixel_hash(pixels) != tile.pixel_hash:
                raise TilefarmError(f"tile {tile.index} from IPFS does not match its pixel hash")
            pieces.append((rect, pixels))
        files = write_frame(stitch_tiles(pieces, width, height), out_dir, f"frame-{frame:04d}")
        exr_cid, png_cid = ipfs.add_file(files.exr), ipfs.add_file(files.png)

    return DemoResult(
        chain_id=stack.chain_id,
        rpc_url=stack.rpc_url,
        contracts=stack.contracts,
        scene_cid=scene_cid,
        manifest_cid=manifest_cid,
        frame=frame,
        resolution=f"{width}x{height}",
        grid=f"{columns}x{rows}",
        samples=samples,
        tiles=tiles,
        results_root="0x" + merkle_root(leaves).hex(),
        frame_exr=files.exr,
        frame_png=files.png,
        frame_exr_cid=exr_cid,
        frame_png_cid=png_cid,
        render_seconds=round(sum(t.seconds for t in tiles), 3),
    )
