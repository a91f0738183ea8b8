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


class DownloadTooSlow(IpfsUnavailable):
    """A download did not finish within its deadline: the node answers, but the content comes
    too slowly (or the peers serving it do). Retried later, like an unreachable node."""

    def __init__(self, api_url: str, cid: str, seconds: float, size: int) -> None:
        IpfsError.__init__(
            self,
            f"{cid} did not arrive within its {seconds:g} s deadline from the IPFS node at "
            f"{api_url} ({size} bytes came): the node or the peers serving it are too slow now",
        )
        self.api_url = api_url
        self.reason = "too slow"


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
