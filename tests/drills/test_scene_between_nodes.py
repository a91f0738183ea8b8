"""Drill: content moves between the parties' own Kubo nodes, and the node that added the scene is
stopped and started again while workers fetch it; the job still completes.

The artist, the server and each of two workers have a Kubo node of their own (own repo, own swarm
port on loopback, peered with each other by hand, not `--offline`: `tilefarm_cli/devnet/nodes.py`).
The artist's node adds the scene (a real .blend padded to ~100 MiB, so that its transfer takes a
while) and the manifest; each worker fetches them over libp2p through its normal path (the scene
is fetched and opened while the auction runs), publishes its tiles to its own node, and the other
worker fetches them from there to verify them. The artist's node is stopped once a worker has part
of the scene on disk and the worker's node holds only part of its blocks, then started again on
the same repo and ports: peering dials the workers again, the fetch goes on, and the job completes
with each seat paid once. The server, following the chain, assembles the frame from the tiles on
the workers' nodes.
"""

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from render_worker.settings import PricingPolicy
from tests.drills.ledger import assert_each_seat_paid_at_most_once, completed_once_released
from tests.marketplace.finished_job import frames_of, server_settings_for
from tests.worker.conftest import Stack, running_worker, wait_until
from tilefarm.adapters.chain import events as ev
from tilefarm.cids import cid_of_file
from tilefarm.manifest import build_manifest
from tilefarm_cli.devnet.nodes import KuboNode, peer, wait_connected
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs]

PADDING_MIB = 96  # enough that the artist's node can be stopped with most of the scene unsent
STOP_AFTER = 4 << 20  # bytes a worker has written when the artist's node is stopped
HALF = PricingPolicy(max_queue_tiles=2)  # each worker wins half the tiles: both render and verify
PARAMS = ev.JobParams(
    tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=6, reveal_window=60, render_window=600, verify_window=600,
)  # fmt: skip


@pytest.fixture
def nodes(own_stack: Stack, tmp_path: Path) -> Iterator[dict[str, KuboNode]]:
    """The artist's node, the server's and one for each worker (dev accounts 2 and 3), every pair
    peered."""
    ipfs_bin = own_stack.settings.ipfs_bin
    started: dict[str, KuboNode] = {}
    try:
        for party in ("artist", "server", "worker2", "worker3"):
            started[party] = KuboNode.start(tmp_path / "kubo" / party, ipfs_bin, name=party)
        names = list(started)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                peer(started[a], started[b])
                wait_connected(started[a], started[b])
        yield started
    finally:
        for node in started.values():
            node.stop()


def padded_scene(path: Path) -> Path:
    """The built-in tiny scene with random bytes after its last block (Blender stops reading at
    its ENDB block, so the file still opens and renders)."""
    build_builtin_scene("tiny", path)
    with path.open("ab") as out:
        for _ in range(PADDING_MIB):
            out.write(os.urandom(1 << 20))
    return path


def post_job(stack: Stack, artist: KuboNode, scene: Path) -> tuple[int, str]:
    """The job (its id) and its scene's CID, both added on the artist's node."""
    with artist.client() as ipfs:
        scene_cid = ipfs.add_file(scene)
        manifest = build_manifest(
            scene_cid=scene_cid, frames=[1], resolution={"width": 32, "height": 24},
            tile_grid={"columns": 2, "rows": 2}, samples=2,
            verification={"patch_size": 8, "patch_count": 4},
        )  # fmt: skip
        manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = stack.market.post_job(accounts[1], PARAMS, manifest_cid)
    return job_id, scene_cid


def blocks_held(node: KuboNode, cid: str) -> tuple[int, int]:
    """(bytes of `cid` the node has locally, its whole size), asked without fetching anything."""
    with httpx.Client(base_url=f"{node.api_url}/api/v0", timeout=10.0) as rpc:
        answer = rpc.post(
            "/files/stat", params={"arg": f"/ipfs/{cid}", "with-local": "true", "offline": "true"}
        )
    stat = answer.json()
    return int(stat["SizeLocal"]), int(stat["CumulativeSize"])


def part_file(tmp: Path, party: str) -> int:
    """Bytes in the worker's partial scene download, 0 while it has none."""
    sizes = [0]
    for part in (tmp / party / "work" / "scenes").glob(".*.part"):
        with contextlib.suppress(FileNotFoundError):  # just completed (renamed) or given up
            sizes.append(part.stat().st_size)
    return max(sizes)


def test_the_job_completes_though_the_artists_node_restarts_while_workers_fetch_the_scene(
    own_stack: Stack, block_producer: None, nodes: dict[str, KuboNode], tmp_path: Path
) -> None:
    artist = nodes["artist"]
    scene = padded_scene(tmp_path / "scene.blend")
    server = server_settings_for(own_stack, tmp_path / "server").model_copy(
        update={"ipfs_api_url": nodes["server"].api_url}
    )
    with (
        TestClient(create_app(server)) as api,
        running_worker(own_stack, tmp_path, 2, pricing=HALF,
                       ipfs_api_url=nodes["worker2"].api_url) as first,
        running_worker(own_stack, tmp_path, 3, pricing=HALF,
                       ipfs_api_url=nodes["worker3"].api_url) as second,
    ):  # fmt: skip
        job_id, scene_cid = post_job(own_stack, artist, scene)
        fetching: list[str] = []

        def a_worker_is_fetching() -> bool:
            fetching[:] = [
                w for w in ("worker2", "worker3") if part_file(tmp_path, w) >= STOP_AFTER
            ]
            return bool(fetching)

        deadline = time.monotonic() + 60
        while not a_worker_is_fetching():  # finer than wait_until: the transfer takes ~1 s
            assert time.monotonic() < deadline, "no worker started fetching the scene"
            time.sleep(0.005)
        artist.stop()
        held, total = blocks_held(nodes[fetching[0]], scene_cid)
        assert held < total, "the artist's node stopped after the worker had the whole scene"
        artist.run()  # same repo and ports: peering dials the workers again

        wait_until(
            lambda: completed_once_released(own_stack.market, job_id), 120, "the job to complete"
        )
        wait_until(
            lambda: all(f["status"] == "assembled" for f in frames_of(api, job_id)),
            60,
            "the server to assemble the frame from tiles on the workers' nodes",
        )
    for party in ("worker2", "worker3"):
        fetched = tmp_path / party / "work" / "scenes" / f"{scene_cid}.blend"
        assert cid_of_file(fetched) == scene_cid
    accepted = sorted(e.worker for e in own_stack.market.events(job_id=job_id)
                      if isinstance(e, ev.PaymentReleased))  # fmt: skip
    assert accepted == sorted(w.me for w in (first, second))  # both seats rendered and verified
    assert_each_seat_paid_at_most_once(own_stack.market, job_id)
