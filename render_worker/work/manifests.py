"""The manifests of the jobs the worker works on, fetched once each.

A job's manifest is read when the worker prices its bid, warms its scene while the auction runs,
and renders the tiles it won: one fetch from IPFS (size cap, CID check, schema:
`tilefarm.adapters.ipfs.fetch_manifest`), then the parsed manifest from memory. A manifest is
named by its CID, so a kept one can never be out of date; the newest `size` are kept. A fetch that
fails is not kept: the next use fetches again.
"""

import threading
from collections import OrderedDict

from tilefarm.adapters.ipfs import KuboClient, fetch_manifest
from tilefarm.manifest import RenderManifest

DEFAULT_SIZE = 64


class Manifests:
    """The parsed manifests of recent jobs, by manifest CID (shared by the worker's threads)."""

    def __init__(self, ipfs: KuboClient, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("a manifest cache holds at least one manifest")
        self.ipfs = ipfs
        self.size = size
        self._kept: OrderedDict[str, RenderManifest] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cid: str) -> RenderManifest:
        """The manifest at `cid`, fetched and checked on first use. Raises what
        `fetch_manifest` raises (`IpfsError`, `ValueError`) when it cannot be read."""
        with self._lock:
            if cid in self._kept:
                self._kept.move_to_end(cid)
                return self._kept[cid]
        # Fetched outside the lock: a slow IPFS node must not hold up the other thread.
        manifest = fetch_manifest(self.ipfs, cid)
        with self._lock:
            self._kept[cid] = manifest
            self._kept.move_to_end(cid)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return manifest
