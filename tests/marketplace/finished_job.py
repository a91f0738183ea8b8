"""One job run to the end on a stack of its own, by two real workers (Blender renders, IPFS,
chain), with the marketplace server following it: shared by the assembly and audit tests.

The job has two frames of 2x2 tiles; the cheaper worker takes 5 tiles and the other the last 3,
so frame 2 is stitched from two workers' results. Once a verdict accepted every seat, the contest
windows are closed (time moved on) and a stranger releases the pay, which completes the job. The
workers are stopped once the job is done; the server keeps running for the tests.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from render_worker.settings import PricingPolicy
from tests.conftest import fresh_stack_settings
from tests.worker.conftest import Stack, running_worker, wait_until
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ChainError
from tilefarm.adapters.chain.events import JobParams, TilesAssigned
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.scenes import build_builtin_scene

TILES = 8


def _accounts(w3: Web3) -> Sequence[str]:
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    return accounts


@dataclass
class FinishedJob:
    stack: Stack
    api: TestClient
    server_settings: MarketplaceSettings
    ipfs: KuboClient
    job_id: int
    manifest: RenderManifest
    manifest_cid: str
    params: JobParams
    artist: str
    scene: Path
    tmp: Path


def server_settings_for(stack: Stack, state_dir: Path) -> MarketplaceSettings:
    assert stack.status.ipfs_api_url and stack.status.rpc_url
    return MarketplaceSettings(
        state_dir=state_dir,
        ipfs_api_url=stack.status.ipfs_api_url,
        rpc_url=stack.status.rpc_url,
        deployments_file=stack.deployments_file,
        poll_interval=0.2,
    )


def post(stack: Stack, ipfs: KuboClient, manifest: RenderManifest) -> tuple[int, JobParams]:
    """Post `manifest` as a job from the artist (dev account 1)."""
    manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    tiles = len(manifest.frames) * manifest.tile_count
    params = JobParams(
        tile_count=tiles, frame_count=len(manifest.frames), max_price_per_tile=10**15,
        verify_fee_per_tile=10**12, bid_bond=10**14, bid_window=8, reveal_window=60,
        render_window=600, verify_window=600,
    )  # fmt: skip
    job_id, _ = stack.market.post_job(_accounts(stack.w3)[1], params, manifest_cid)
    return job_id, params


def seats(market: JobMarketClient, job_id: int) -> list[str]:
    """The workers who won tiles of the job."""
    return [e.worker for e in market.events(job_id=job_id) if isinstance(e, TilesAssigned)]


def verified(market: JobMarketClient, job_id: int) -> bool:
    """Whether a verdict accepted every seat of the job (its pay may still be held)."""
    won = seats(market, job_id)
    return bool(won) and all(market.seat(job_id, w).state_name in ("Accepted", "Paid") for w in won)


def release_all(stack: Stack, job_id: int) -> None:
    """Close the contest windows and release every accepted seat, as any stranger may."""
    market = stack.market
    window = market.job(job_id).verify_window
    stack.w3.provider.make_request("evm_increaseTime", [window + 1])  # type: ignore[arg-type]
    stack.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    stranger = _accounts(stack.w3)[9]
    for worker in seats(market, job_id):
        if market.seat(job_id, worker).state_name == "Accepted":
            try:
                market.release(stranger, job_id, worker)
            except ChainError:  # a worker released its own pay meanwhile (refused or mined first)
                assert market.seat(job_id, worker).state_name == "Paid"


def frames_of(api: TestClient, job_id: int) -> list[dict[str, object]]:
    answer = api.get(f"/api/jobs/{job_id}/frames")
    assert answer.status_code == 200, answer.text
    frames: list[dict[str, object]] = answer.json()["frames"]
    return frames


@pytest.fixture(scope="session")
def finished_job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FinishedJob]:
    tmp = tmp_path_factory.mktemp("finished-job")
    settings = fresh_stack_settings(tmp / "stack")
    supervisor = Devnet(settings)
    status = supervisor.up()
    w3 = Web3(Web3.HTTPProvider(status.rpc_url))
    market = JobMarketClient.from_build(w3, status.contracts["JobMarket"], settings.build_dir)
    stack = Stack(status=status, settings=settings, w3=w3, market=market)
    stop_mining = threading.Event()

    def mine() -> None:  # a block every half second, as a real chain makes them
        while not stop_mining.wait(0.5):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine, daemon=True)
    miner.start()
    assert status.ipfs_api_url
    ipfs = KuboClient(status.ipfs_api_url)
    server = server_settings_for(stack, tmp / "server")
    try:
        with TestClient(create_app(server)) as api:
            scene = build_builtin_scene("tiny", tmp / "tiny.blend")
            manifest = build_manifest(
                scene_cid=ipfs.add_file(scene), frames=[1, 2],
                resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 2},
                samples=2, verification={"patch_size": 8, "patch_count": 4},
            )  # fmt: skip
            with ExitStack() as workers:
                cheap = PricingPolicy(wei_per_render_second=10**12, max_queue_tiles=5)
                dear = PricingPolicy(wei_per_render_second=3 * 10**12, max_queue_tiles=64)
                workers.enter_context(running_worker(stack, tmp, 2, pricing=cheap))
                workers.enter_context(running_worker(stack, tmp, 3, pricing=dear))
                job_id, params = post(stack, ipfs, manifest)
                wait_until(
                    lambda: verified(market, job_id), 300, "every seat's tiles to be accepted"
                )
                release_all(stack, job_id)
                wait_until(
                    lambda: market.job(job_id).status_name == "Completed", 60, "the job to end"
                )
            wait_until(
                lambda: all(f["status"] == "assembled" for f in frames_of(api, job_id)),
                120,
                "the server to assemble both frames",
            )
            yield FinishedJob(
                stack=stack, api=api, server_settings=server, ipfs=ipfs, job_id=job_id,
                manifest=manifest, manifest_cid=manifest.cid(), params=params,
                artist=_accounts(w3)[1], scene=scene, tmp=tmp,
            )  # fmt: skip
    finally:
        stop_mining.set()
        miner.join()
        ipfs.close()
        supervisor.down()
