"""Content identifiers, computed locally with aleph-cid: the same CIDs Kubo makes for
`add?cid-version=1&raw-leaves=true` (sha2-256, 256 KiB chunks), so any bytes can be checked
without trusting whoever served them; and the 32-byte digest inside a CID, which is what the chain
stores of a tile's CID (the Merkle leaf, `tilefarm.merkle.tile_leaf`)."""

import base64
from collections.abc import Iterable
from pathlib import Path

from aleph_cid import CidHasher

from tilefarm.errors import TilefarmError


class CidError(TilefarmError, ValueError):
    """A string that is not a CID whose digest can be checked (a base32 CIDv1 with sha2-256)."""


CHUNK = 256 * 1024


def cid_of_bytes(data: bytes) -> str:
    """The CIDv1 (raw leaves) Kubo assigns to `data`."""
    hasher = CidHasher.for_ipfs_v1_raw_leaves()
    hasher.update(data)
    return str(hasher.finalize())


def cid_of_chunks(chunks: Iterable[bytes]) -> str:
    """The CIDv1 (raw leaves) of the concatenation of `chunks`, without holding them all."""
    hasher = CidHasher.for_ipfs_v1_raw_leaves()
    for chunk in chunks:
        hasher.update(chunk)
    return str(hasher.finalize())


def cid_of_file(path: Path) -> str:
    """The CIDv1 (raw leaves) of a file, read in chunks."""
    with path.open("rb") as handle:
        return cid_of_chunks(iter(lambda: handle.read(CHUNK), b""))


SHA2_256 = 0x12


def cid_digest(cid: str) -> bytes:
    """The 32-byte sha2-256 digest inside a CIDv1 in base32 (what the chain stores of a CID)."""
    if not cid.startswith("b"):
        raise CidError(f"{cid!r} is not a base32 CIDv1 (it should start with 'b')")
    body = cid[1:].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError as exc:
        raise CidError(f"{cid!r} is not valid base32: {exc}") from exc
    # version 1 (one byte), codec (raw 0x55 or dag-pb 0x70, one byte), multihash code, length.
    if len(raw) != 36 or raw[0] != 1 or raw[2] != SHA2_256 or raw[3] != 32:
        raise CidError(f"{cid!r} is not a CIDv1 with a sha2-256 digest")
    return raw[4:]
