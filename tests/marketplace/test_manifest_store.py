"""The server's manifests: each stored once under its CID (posted, or read from IPFS), parsed
once, and a CID the IPFS client cannot check is never fetched."""

from pathlib import Path
from typing import Any, cast

import pytest

from marketplace.db.models import ManifestRecord
from marketplace.db.session import Database
from marketplace.errors import UnreadableCid
from marketplace.manifests import Manifests
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import RenderManifest, build_manifest, parse_manifest

SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _manifest(seed: int) -> RenderManifest:
    return build_manifest(
        scene_cid=SCENE_CID, frames=[1, 2], resolution={"width": 64, "height": 32},
        tile_grid={"columns": 4, "rows": 2}, samples=4, seed=seed,
    )  # fmt: skip


class _Node:
    """An IPFS node serving `manifests` by CID, counting the reads."""

    def __init__(self, *manifests: RenderManifest) -> None:
        self.bodies = {m.cid(): m.canonical_json() for m in manifests}
        self.reads: list[str] = []

    def cat(
        self, cid: str, *, max_bytes: int | None = None, deadline: float | None = None
    ) -> bytes:
        self.reads.append(cid)
        return self.bodies[cid]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'market.db'}")


def _store(db: Database, node: _Node, size: int = 8) -> Manifests:
    return Manifests(db, cast(KuboClient, node), cache_size=size)


def test_a_jobs_manifest_is_read_from_ipfs_once_and_stored(db: Database) -> None:
    manifest = _manifest(1)
    node = _Node(manifest)
    store = _store(db, node)
    assert store.get(manifest.cid()) is None  # IPFS is not asked
    first = store.fetch(manifest.cid())
    assert store.fetch(manifest.cid()) is first and first.manifest == manifest
    with db.session() as session:
        record = session.get(ManifestRecord, manifest.cid())
        assert record is not None and record.body == manifest.canonical_json().decode()
        assert record.scene_cid == SCENE_CID
    # Another process on the same database: from the table, not from IPFS.
    again = _store(db, node).fetch(manifest.cid())
    assert again.manifest == manifest and again.created_at == first.created_at
    assert node.reads == [manifest.cid()]


def test_a_posted_manifest_is_stored_once(db: Database) -> None:
    manifest = _manifest(2)
    store = _store(db, _Node())
    first = store.add(manifest.cid(), manifest)
    assert store.add(manifest.cid(), manifest).created_at == first.created_at
    assert _store(db, _Node()).get(manifest.cid()) == first


def test_a_cid_the_client_cannot_check_is_never_fetched(db: Database) -> None:
    node = _Node()
    with pytest.raises(UnreadableCid, match="'not-a-cid'"):
        _store(db, node).fetch("not-a-cid")
    assert node.reads == []


def test_parsed_manifests_are_kept_up_to_the_cache_size(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = [_manifest(seed) for seed in range(3)]
    for m in manifests:
        _store(db, _Node()).add(m.cid(), m)
    parsed: list[Any] = []

    def counting(data: bytes | str) -> RenderManifest:
        parsed.append(data)
        return parse_manifest(data)

    monkeypatch.setattr("marketplace.manifests.parse_manifest", counting)
    store = _store(db, _Node(), size=2)
    for m in manifests[:2]:
        store.get(m.cid())
        store.get(m.cid())
    assert len(parsed) == 2  # each parsed once
    store.get(manifests[2].cid())  # the least recently used one leaves the cache
    store.get(manifests[1].cid())
    store.get(manifests[0].cid())
    assert len(parsed) == 4
