"""A job's manifest from IPFS: the one way every party reads it (size cap, CID check, schema)."""

from collections.abc import Callable

from tilefarm.adapters.ipfs.client import KuboClient
from tilefarm.manifest import MAX_MANIFEST_BYTES, RenderManifest, parse_manifest

# Where a caller gets a manifest by its CID: `fetch_manifest` itself, or a cache in front of it.
ManifestSource = Callable[[str], RenderManifest]


def fetch_manifest(ipfs: KuboClient, cid: str, *, deadline: float | None = None) -> RenderManifest:
    """The manifest at `cid`: at most `MAX_MANIFEST_BYTES`, its bytes checked against the CID,
    then parsed (ContentTooLarge, CidMismatch or ManifestError otherwise); `deadline`: seconds
    the whole read may take."""
    return parse_manifest(ipfs.cat(cid, max_bytes=MAX_MANIFEST_BYTES, deadline=deadline))
