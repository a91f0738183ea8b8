"""Kubo nodes of their own (`tilefarm_cli/devnet/nodes.py`): content moves between peered nodes
over libp2p on loopback, only between them, and through the project's client without being held
in memory."""

import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tilefarm.adapters.ipfs import IpfsUnavailable
from tilefarm.cids import cid_of_file
from tilefarm_cli.devnet.nodes import KuboNode, peer, wait_connected
from tilefarm_cli.settings import TilefarmSettings

pytestmark = pytest.mark.ipfs

MIB = 1 << 20


@pytest.fixture(scope="module")
def artist_and_worker(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KuboNode, KuboNode]]:
    root = tmp_path_factory.mktemp("nodes")
    ipfs_bin = TilefarmSettings().ipfs_bin
    artist = KuboNode.start(root / "artist" / "repo", ipfs_bin, name="artist-kubo")
    worker = KuboNode.start(root / "worker" / "repo", ipfs_bin, name="worker-kubo")
    try:
        peer(artist, worker)
        wait_connected(worker, artist)
        yield artist, worker
    finally:
        worker.stop()
        artist.stop()


def test_each_node_listens_on_loopback_only_and_names_its_peer_in_its_config(
    artist_and_worker: tuple[KuboNode, KuboNode],
) -> None:
    artist, worker = artist_and_worker
    assert artist.announced_addresses() == [artist.swarm_address]
    config = json.loads((artist.repo / "config").read_text())
    assert config["Peering"]["Peers"] == [
        {"ID": worker.peer_id, "Addrs": [f"/ip4/127.0.0.1/tcp/{worker.ports.swarm}"]}
    ]
    assert artist.connected_peers() == {worker.peer_id}
    assert worker.connected_peers() == {artist.peer_id}


def test_a_peered_node_fetches_what_the_other_added(
    artist_and_worker: tuple[KuboNode, KuboNode],
) -> None:
    artist, worker = artist_and_worker
    data = os.urandom(300_000)
    with artist.client() as ipfs:
        cid = ipfs.add_bytes(data)
    with worker.client() as ipfs:
        assert ipfs.cat(cid, deadline=30) == data


def test_a_node_nobody_peered_with_finds_nothing(
    artist_and_worker: tuple[KuboNode, KuboNode], tmp_path: Path
) -> None:
    artist, _ = artist_and_worker
    with artist.client() as ipfs:
        cid = ipfs.add_bytes(os.urandom(1000))
    stranger = KuboNode.start(tmp_path / "repo", TilefarmSettings().ipfs_bin, name="stranger")
    try:
        with stranger.client() as ipfs, pytest.raises(IpfsUnavailable):
            ipfs.cat(cid, deadline=2)  # no DHT, no mDNS, no bootstrap: nowhere to look
        assert stranger.connected_peers() == set()
    finally:
        stranger.stop()


def test_a_file_moves_between_nodes_without_being_held_in_memory(
    artist_and_worker: tuple[KuboNode, KuboNode], tmp_path: Path
) -> None:
    artist, worker = artist_and_worker
    source = tmp_path / "scene.blend"
    with source.open("wb") as out:
        for _ in range(64):
            out.write(os.urandom(MIB))
    tracemalloc.start()
    try:
        with artist.client() as ipfs:
            cid = ipfs.add_file(source)
        with worker.client() as ipfs:
            copy = ipfs.cat_to_file(cid, tmp_path / "fetched.blend")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cid_of_file(copy) == cid == cid_of_file(source)
    assert peak < 4 * MIB, f"the client held {peak / MIB:.1f} MiB moving a 64 MiB file"
