"""The manifests this server knows: each stored once, under its CID, and parsed once.

A manifest arrives in one of two ways: an artist posts it (`POST /api/manifests`, which stores
it on IPFS), or the server reads a job's manifest from IPFS with
`tilefarm.adapters.ipfs.fetch_manifest` (at most `MAX_MANIFEST_BYTES`, its bytes checked against
the CID). Either way its canonical JSON is kept in the `manifests` table under its CID, and the
parsed `RenderManifest` in a small in-process cache. What is under a CID never changes, so
neither copy can go stale.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from marketplace.db.models import ManifestRecord
from marketplace.db.session import Database
from marketplace.errors import UnreadableCid
from tilefarm.adapters.ipfs import KuboClient, fetch_manifest
from tilefarm.cids import CidError, cid_digest
from tilefarm.manifest import RenderManifest, parse_manifest

CACHE_SIZE = 256  # parsed manifests kept; each is at most MAX_MANIFEST_BYTES of JSON


@dataclass(frozen=True)
class StoredManifest:
    """A manifest stored here, and when this server first stored it."""

    cid: str
    manifest: RenderManifest
    created_at: datetime


class Manifests:
    """The `manifests` table behind a bounded cache of parsed manifests, shared by threads."""

    def __init__(self, db: Database, ipfs: KuboClient, cache_size: int = CACHE_SIZE) -> None:
        self.db = db
        self.ipfs = ipfs
        self.cache_size = cache_size
        self._parsed: OrderedDict[str, StoredManifest] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cid: str) -> StoredManifest | None:
        """The manifest stored here under `cid`, or None; IPFS is not asked."""
        with self._lock:
            found = self._parsed.get(cid)
            if found is not None:
                self._parsed.move_to_end(cid)
                return found
        with self.db.session() as session:
            record = session.get(ManifestRecord, cid)
            if record is None:
                return None
            stored = StoredManifest(cid, parse_manifest(record.body), record.created_at)
        return self._remember(stored)

    def fetch(
        self, cid: str, *, through: KuboClient | None = None, deadline: float | None = None
    ) -> StoredManifest:
        """The manifest under `cid`: stored here, else read from IPFS (through `through`, the
        server's client by default, within `deadline` seconds) and stored. Raises
        `UnreadableCid` or `ManifestError` when it can never be used, `IpfsError` when IPFS
        cannot serve it now (unreachable, not provided, too slow, too large, bytes not
        matching)."""
        found = self.get(cid)
        if found is not None:
            return found
        if not readable_cid(cid):
            raise UnreadableCid(
                f"the manifest CID {cid!r} is not a CIDv1 (sha2-256) this market can fetch"
            )
        return self.add(cid, fetch_manifest(through or self.ipfs, cid, deadline=deadline))

    def add(self, cid: str, manifest: RenderManifest) -> StoredManifest:
        """Store `manifest` under `cid`, the CID of its bytes on IPFS (kept if already stored)."""
        try:
            with self.db.session() as session:
                if session.get(ManifestRecord, cid) is None:
                    body = manifest.canonical_json().decode()
                    session.add(ManifestRecord(cid=cid, scene_cid=manifest.scene_cid, body=body))
        except IntegrityError:
            pass  # stored meanwhile by another thread: the same manifest, as the CID is the same
        with self.db.session() as session:
            record = session.get(ManifestRecord, cid)
            assert record is not None
            created_at = record.created_at
        return self._remember(StoredManifest(cid, manifest, created_at))

    def _remember(self, stored: StoredManifest) -> StoredManifest:
        with self._lock:
            self._parsed[stored.cid] = stored
            self._parsed.move_to_end(stored.cid)
            while len(self._parsed) > self.cache_size:
                self._parsed.popitem(last=False)
        return stored


def readable_cid(cid: str) -> bool:
    """Whether `cid` is a CID whose bytes the IPFS client can check (CIDv1, sha2-256)."""
    try:
        cid_digest(cid)
    except CidError:
        return False
    return True
