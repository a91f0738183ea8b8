"""The IPFS adapter against a real Kubo daemon, and against a hostile node in front of it."""

import os
from pathlib import Path

import pytest

from tests.ipfs.hostile_node import announce_other_cid, flip_first_byte, hostile_node
from tilefarm.adapters.ipfs import (
    CidMismatch,
    ContentTooLarge,
    IpfsUnavailable,
    KuboClient,
)
from tilefarm.cids import CidError, cid_digest, cid_of_bytes, cid_of_file
from tilefarm_cli.devnet.ports import free_port

pytestmark = pytest.mark.ipfs


def test_stored_bytes_come_back_under_the_cid_computed_locally(kubo: KuboClient) -> None:
    data = b"a tile of pixels" * 1000
    cid = kubo.add_bytes(data)
    assert cid == cid_of_bytes(data)
    assert cid.startswith("bafk")  # CIDv1, raw leaf
    assert kubo.cat(cid) == data


def test_a_file_larger_than_one_chunk_streams_in_and_out(kubo: KuboClient, tmp_path: Path) -> None:
    source = tmp_path / "scene.blend"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    cid = kubo.add_file(source)
    assert cid == cid_of_file(source)
    assert cid.startswith("bafy")  # several raw leaves under a dag-pb root
    copy = kubo.cat_to_file(cid, tmp_path / "copy.blend")
    assert copy.read_bytes() == source.read_bytes()


def test_a_corrupted_download_is_refused_naming_both_cids(kubo: KuboClient, tmp_path: Path) -> None:
    data = os.urandom(4096)
    cid = kubo.add_bytes(data)
    with hostile_node(kubo.api_url, flip_first_byte) as url, KuboClient(url) as liar:
        with pytest.raises(CidMismatch) as refused:
            liar.cat(cid)
        assert refused.value.expected == cid
        assert refused.value.actual == cid_of_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
        assert cid in str(refused.value) and refused.value.actual in str(refused.value)
        with pytest.raises(CidMismatch):
            liar.cat_to_file(cid, tmp_path / "tile.exr")
    assert not (tmp_path / "tile.exr").exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_a_node_announcing_a_wrong_cid_for_an_upload_is_refused(kubo: KuboClient) -> None:
    with hostile_node(kubo.api_url, announce_other_cid) as url, KuboClient(url) as liar:
        with pytest.raises(CidMismatch, match="upload refused"):
            liar.add_bytes(b"honest bytes")


def test_a_download_over_the_limit_is_cut_off(kubo: KuboClient) -> None:
    cid = kubo.add_bytes(os.urandom(600_000))
    with pytest.raises(ContentTooLarge, match="100000-byte limit"):
        kubo.cat(cid, max_bytes=100_000)


def test_pins_can_be_added_and_removed(kubo: KuboClient) -> None:
    cid = kubo.add_bytes(b"pin me", pin=False)
    assert cid not in kubo.pins()
    kubo.pin_add(cid)
    assert cid in kubo.pins()
    kubo.pin_rm(cid)
    assert cid not in kubo.pins()


def test_an_unreachable_node_gives_an_actionable_error() -> None:
    with KuboClient(f"http://127.0.0.1:{free_port()}", timeout=2) as nowhere:
        with pytest.raises(IpfsUnavailable, match=r"not reachable.*devnet up"):
            nowhere.version()


def test_the_digest_inside_a_cid_is_what_the_chain_stores(kubo: KuboClient) -> None:
    import hashlib

    data = b"one raw leaf"
    cid = kubo.add_bytes(data)
    assert cid_digest(cid) == hashlib.sha256(data).digest()
    with pytest.raises(CidError, match="not a base32 CIDv1"):
        cid_digest("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")
