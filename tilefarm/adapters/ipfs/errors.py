"""Errors of the IPFS adapter."""

from tilefarm.errors import TilefarmError


class IpfsError(TilefarmError):
    """Something went wrong talking to the IPFS node."""


class IpfsUnavailable(IpfsError):
    """The node did not answer at all."""

    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(
            f"the IPFS node at {api_url} is not reachable ({reason}); "
            "start it with `tilefarm devnet up` or point TILEFARM_IPFS_API_PORT at a running Kubo"
        )
        self.api_url = api_url
        self.reason = reason


class CidMismatch(IpfsError):
    """Bytes do not hash to the CID they were asked for or announced as."""

    def __init__(self, expected: str, actual: str, *, context: str = "download") -> None:
        super().__init__(
            f"{context} refused: the bytes hash to {actual}, not to the requested CID {expected}; "
            "the IPFS node returned wrong or corrupted content"
        )
        self.expected = expected
        self.actual = actual


class ContentTooLarge(IpfsError):
    """The node sent more bytes than the caller allows."""

    def __init__(self, cid: str, limit: int) -> None:
        super().__init__(f"{cid} is larger than the {limit}-byte limit for this download")
        self.cid = cid
        self.limit = limit
