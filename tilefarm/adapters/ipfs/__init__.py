"""IPFS adapter: a small typed client for Kubo's RPC that checks every download against its CID
(the CIDs themselves are computed by `tilefarm.cids`).

Why not `ipfshttpclient`: its last release (0.7.0, 2021) refuses every Kubo newer than 0.7 in
`connect()`. Kubo's RPC is a handful of POST endpoints, so a typed client over httpx is smaller than
a shim around an abandoned library, and it lets us re-hash every byte we read (the node is
untrusted).
"""

from tilefarm.adapters.ipfs.cid import CidVerifier
from tilefarm.adapters.ipfs.client import KuboClient
from tilefarm.adapters.ipfs.errors import (
    CidMismatch,
    ContentTooLarge,
    DownloadTooSlow,
    IpfsError,
    IpfsUnavailable,
)
from tilefarm.adapters.ipfs.manifests import ManifestSource, fetch_manifest

__all__ = [
    "CidMismatch",
    "CidVerifier",
    "ContentTooLarge",
    "DownloadTooSlow",
    "IpfsError",
    "IpfsUnavailable",
    "KuboClient",
    "ManifestSource",
    "fetch_manifest",
]
