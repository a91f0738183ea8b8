"""A job's manifest is fetched from IPFS once: bidding, warming the scene and rendering read the
same parsed manifest, and the worker keeps only the newest few."""

from typing import Any

import pytest

from render_worker.work.manifests import Manifests
from tilefarm.adapters.ipfs import IpfsError
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import MAX_MANIFEST_BYTES, RenderManifest, build_manifest


def _manifest(samples: int) -> RenderManifest:
    return build_manifest(scene_cid=cid_of_bytes(b"scene"), frames=[1], samples=samples,
                          resolution={"width": 8, "height": 8},
                          tile_grid={"columns": 2, "rows": 2})  # fmt: skip


class CountingIpfs:
    """Serves manifests by CID and counts what it is asked for."""

    def __init__(self, *manifests: RenderManifest) -> None:
        self.files = {m.cid(): m.canonical_json() for m in manifests}
        self.fetched: list[str] = []
        self.down = False

    def cat(
        self, cid: str, *, max_bytes: int | None = None, deadline: float | None = None
    ) -> bytes:
        assert max_bytes == MAX_MANIFEST_BYTES  # the size cap of `fetch_manifest`
        self.fetched.append(cid)
        if self.down:
            raise IpfsError("the IPFS node is away")
        return self.files[cid]


def _cache(ipfs: CountingIpfs, size: int = 64) -> Manifests:
    client: Any = ipfs
    return Manifests(client, size)


def test_a_second_use_of_a_manifest_does_not_fetch_it_again() -> None:
    manifest = _manifest(4)
    ipfs = CountingIpfs(manifest)
    manifests = _cache(ipfs)
    assert manifests.get(manifest.cid()) == manifest  # bidding
    assert manifests.get(manifest.cid()) is manifests.get(manifest.cid())  # warm-up, render
    assert ipfs.fetched == [manifest.cid()]


def test_only_the_newest_manifests_are_kept() -> None:
    first, second, third = (_manifest(n) for n in (1, 2, 3))
    ipfs = CountingIpfs(first, second, third)
    manifests = _cache(ipfs, size=2)
    for m in (first, second, first, third):  # `first` used again: `second` is the oldest
        manifests.get(m.cid())
    manifests.get(first.cid())
    assert ipfs.fetched == [first.cid(), second.cid(), third.cid()]
    manifests.get(second.cid())  # dropped: fetched again
    assert ipfs.fetched[-1] == second.cid() and len(ipfs.fetched) == 4


def test_a_failed_fetch_is_not_kept() -> None:
    manifest = _manifest(4)
    ipfs = CountingIpfs(manifest)
    manifests = _cache(ipfs)
    ipfs.down = True
    with pytest.raises(IpfsError):
        manifests.get(manifest.cid())
    ipfs.down = False
    assert manifests.get(manifest.cid()) == manifest
    assert ipfs.fetched == [manifest.cid()] * 2
