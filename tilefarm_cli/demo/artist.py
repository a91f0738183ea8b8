"""The demo's artist: builds the scene, posts it through the same API the page uses (scene
upload, manifest), then signs `postJob` with its own key; the server never holds that key. The
upload, manifest and posting are `tilefarm submit`'s own (`tilefarm_cli.artist`)."""

from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from tilefarm.adapters.chain.bindings import JobMarketClient, Sender
from tilefarm.adapters.chain.errors import ChainError
from tilefarm.adapters.chain.events import TilesAssigned
from tilefarm.adapters.chain.records import Receipt
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm_cli.artist import chain, client
from tilefarm_cli.artist.client import answer as api_answer
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.scenes import build_builtin_scene

__all__ = ["api_answer", "build_scene", "post_job", "release_accepted", "upload"]


def build_scene(options: DemoOptions) -> Path:
    return build_builtin_scene(
        options.scene, options.state_dir / "artist" / f"{options.scene}.blend"
    )


def upload(
    api: httpx.Client, blend: Path, options: DemoOptions
) -> tuple[dict[str, Any], RenderManifest]:
    """POST the .blend to /api/scenes and the manifest to /api/manifests."""
    scene = client.upload_scene(api, blend)
    manifest = build_manifest(
        scene_cid=scene["cid"],
        frames=options.frames,
        resolution={"width": options.width, "height": options.height},
        tile_grid={"columns": options.columns, "rows": options.rows},
        samples=options.samples,
        seed=options.seed,
    )
    client.store_manifest(api, manifest)
    return scene, manifest


def post_job(
    market: JobMarketClient, artist: LocalAccount, options: DemoOptions, manifest_cid: str
) -> tuple[int, Receipt]:
    """Sign and send postJob, paying the market's quote for the job."""
    least = market.config().min_bid_bond(options.tile_count, options.price_cap)
    params = options.job_params(least, chain.chain_now(market))
    return chain.post_job(market, artist, params, manifest_cid)


def release_accepted(market: JobMarketClient, artist: Sender, job_id: int) -> int:
    """The artist has its frames and waives its contest window: every accepted seat of the job
    is paid now (`acceptResults` on an accepted seat). Returns how many seats it released."""
    released = 0
    winners = [e.worker for e in market.events(job_id=job_id) if isinstance(e, TilesAssigned)]
    for worker in winners:
        if market.seat(job_id, worker).state_name != "Accepted":
            continue
        try:
            market.accept_results(artist, job_id, worker)
        except ChainError:
            if market.seat(job_id, worker).state_name == "Accepted":
                raise
            continue  # its worker released it meanwhile
        released += 1
    return released
