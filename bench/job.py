"""One job through the whole market on this machine: `python -m bench.job` prints JSON.

A devnet of its own (anvil + Kubo + the market), two worker daemons (threads of this process,
each with its own key, database and Blender child), a scripted artist posting a 16-tile job of
the built-in demo scene (320x240, 16 samples) and a chain that mines a block every second. It
reports the time from post to payment and where it went: bidding windows, rendering, commits,
verification (patch re-renders) and withdrawals.
"""

import json
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from render_worker.daemon import WorkerDaemon
from render_worker.keystore import create_keystore
from render_worker.node import connect
from render_worker.settings import DaemonSettings, PricingPolicy
from render_worker.work.machine import MachineProfile
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import (
    BidsSettled,
    JobParams,
    PaymentReleased,
    ResultsAccepted,
    ResultsCommitted,
    Withdrawn,
)
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm_cli.demo.artist import release_accepted
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.scenes import build_builtin_scene
from tilefarm_cli.settings import TilefarmSettings

PASSWORD = "bench"
BID_WINDOW = REVEAL_WINDOW = 4


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stack = TilefarmSettings(
            state_dir=tmp / "stack", chain_port=free_port(), ipfs_api_port=free_port(),
            ipfs_gateway_port=free_port(),
        )  # fmt: skip
        devnet = Devnet(stack)
        status = devnet.up()
        try:
            print(
                json.dumps(
                    run(stack, status.rpc_url or "", status.ipfs_api_url or "", tmp), indent=2
                )
            )
        finally:
            devnet.down()


def run(stack: TilefarmSettings, rpc_url: str, ipfs_url: str, tmp: Path) -> dict[str, Any]:
    stop = threading.Event()
    daemons, threads = [], []
    deployments = stack.deployments_dir / "31337.json"
    for index, (rate, queue) in enumerate([(10**12, 8), (2 * 10**12, 64)], start=2):
        key = dev_account(index)
        settings = DaemonSettings(
            state_dir=tmp / f"worker{index}", password=PASSWORD, rpc_url=rpc_url,
            ipfs_api_url=ipfs_url, deployments_file=deployments, confirmations=0,
            poll_seconds=0.2, pixel_samples_per_minute=2_000_000.0, threads=1,
            pricing=PricingPolicy(wei_per_render_second=rate, max_queue_tiles=queue),
            auto_withdraw_wei=1,
        )  # fmt: skip
        create_keystore(settings.keystore_path, PASSWORD, key.key.hex())
        node = connect(settings, PASSWORD)
        node.market.stake(node.account, node.market.config().min_stake)
        daemon = WorkerDaemon(
            settings, node.account, node.w3, node.market, node.ipfs, node.state,
            start_block=node.start_block, machine=MachineProfile.configured(2_000_000.0),
        )  # fmt: skip
        daemons.append(daemon)
        threads.append(threading.Thread(target=daemon.run, args=(stop,), daemon=True))
    market: JobMarketClient = daemons[0].market
    w3 = daemons[0].w3

    def mine() -> None:
        while not stop.wait(1.0):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    threads.append(threading.Thread(target=mine, daemon=True))
    for thread in threads:
        thread.start()

    ipfs = KuboClient(ipfs_url)
    scene = build_builtin_scene("demo", tmp / "demo.blend")
    manifest = build_manifest(
        scene_cid=ipfs.add_file(scene), frames=[1], resolution={"width": 320, "height": 240},
        tile_grid={"columns": 4, "rows": 4}, samples=16,
    )  # fmt: skip
    params = JobParams(
        tile_count=16, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
        bid_bond=10**14, bid_window=BID_WINDOW, reveal_window=REVEAL_WINDOW, render_window=600,
        verify_window=600,
    )  # fmt: skip
    marks: dict[str, float] = {}
    t0 = time.monotonic()
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = market.post_job(accounts[1], params, ipfs.add_bytes(manifest.canonical_json()))
    workers = {d.me for d in daemons}
    while time.monotonic() - t0 < 600:
        events = market.events()
        mine_ = [e for e in events if getattr(e, "job_id", job_id) == job_id]
        now = time.monotonic() - t0
        if any(isinstance(e, BidsSettled) for e in mine_):
            marks.setdefault("settled", now)
        if {e.worker for e in mine_ if isinstance(e, ResultsCommitted)} == workers:
            marks.setdefault("all_committed", now)
        if {e.worker for e in mine_ if isinstance(e, ResultsAccepted)} == workers:
            marks.setdefault("all_accepted", now)
            # The artist pays at once instead of waiting for its contest window (as the demo's).
            release_accepted(market, accounts[1], job_id)
        released = {e.worker: e.block_number for e in mine_ if isinstance(e, PaymentReleased)}
        if set(released) == workers:
            marks.setdefault("all_paid", now)
        withdrawn_after = {
            e.account
            for e in events
            if isinstance(e, Withdrawn) and e.block_number >= released.get(e.account, 1 << 62)
        }
        if withdrawn_after == workers:
            marks.setdefault("workers_paid_out", now)
            break
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    render = {
        d.me: round(sum(t.seconds for t in d.state.tiles(job_id).values()), 2) for d in daemons
    }
    tiles = {d.me: len(d.state.tiles(job_id)) for d in daemons}
    return {
        "job": "16 tiles (4x4), 320x240, 16 samples, built-in demo scene, 2 workers, 1 s blocks",
        "seconds_from_post": {k: round(v, 2) for k, v in marks.items()},
        "bid_and_reveal_windows_s": BID_WINDOW + REVEAL_WINDOW,
        "tiles_per_worker": tiles,
        "render_seconds_per_worker": render,
        "verification_and_acceptance_s": round(
            marks.get("all_accepted", 0) - marks.get("all_committed", 0), 2
        ),
    }


if __name__ == "__main__":
    main()
