"""Checking downloads against their CID as the bytes stream in (the CIDs themselves are
`tilefarm.cids`): the node that served them is not trusted."""

from aleph_cid import CidHasher

from tilefarm.adapters.ipfs.errors import CidMismatch


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
