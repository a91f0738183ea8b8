"""The manifests of the jobs the worker works on, fetched once each.

A job's manifest is read when the worker prices its bid, warms its scene while the auction runs,
renders the tiles it won and verifies others' seats: one fetch from IPFS (size cap, CID check,
schema: `tilefarm.adapters.ipfs.fetch_manifest`), then the parsed manifest from memory. A manifest
is named by its CID, so a kept one can never be out of date; the `size` most recently used are
kept (`functools.lru_cache`, which keeps no failed fetch: the next use fetches again).
"""

from functools import lru_cache, partial

from tilefarm.adapters.ipfs import KuboClient, ManifestSource, fetch_manifest

DEFAULT_SIZE = 64


class Manifests:
    """The parsed manifests of recent jobs, by manifest CID (shared by the worker's threads)."""

    def __init__(self, ipfs: KuboClient, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("a manifest cache holds at least one manifest")
        # `get(cid)`: the manifest at `cid`, fetched and checked on first use; raises what
        # `fetch_manifest` raises (`IpfsError`, `ValueError`) when it cannot be read.
        self.get: ManifestSource = lru_cache(maxsize=size)(partial(fetch_manifest, ipfs))
