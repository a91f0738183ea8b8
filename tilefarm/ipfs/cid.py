"""Local CID computation with aleph-cid: the same CIDs Kubo makes for `add?cid-version=1&
raw-leaves=true` (sha2-256, 256 KiB chunks), so any download can be checked without trusting the
node that served it."""

from collections.abc import Iterable
from pathlib import Path

from aleph_cid import CidHasher

from tilefarm.ipfs.errors import CidMismatch

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


class CidVerifier:
    """Hashes bytes as they stream in and checks them against an expected CID at the end."""

    def __init__(self, expected: str) -> None:
        try:
            self._hasher = CidHasher.for_expected(expected)
        except ValueError as exc:
            raise CidMismatch(expected, f"<unverifiable CID: {exc}>") from exc
        self.expected = expected
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._hasher.update(chunk)

    def finish(self) -> None:
        """Raise `CidMismatch` unless the bytes seen so far hash to the expected CID."""
        actual = str(self._hasher.finalize())
        if actual != self.expected:
            raise CidMismatch(self.expected, actual)
