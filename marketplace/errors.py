"""The marketplace's one exception root. Each error carries the HTTP status, a stable machine code
and a message a person can act on; the API turns it into the one error body every route uses:
`{"error": {"code": ..., "message": ..., "details": ...}}`."""

from typing import Any

from tilefarm.errors import TilefarmError


class MarketplaceError(TilefarmError):
    """An error the API reports to its caller."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, details: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        # Seconds after which the same request may succeed: sent as the Retry-After header.
        self.retry_after = retry_after


class NotFound(MarketplaceError):
    status = 404
    code = "not_found"


class PayloadTooLarge(MarketplaceError):
    status = 413
    code = "payload_too_large"


class UnsupportedFile(MarketplaceError):
    status = 415
    code = "unsupported_file"


class Unprocessable(MarketplaceError):
    status = 422
    code = "unprocessable"


class UpstreamUnavailable(MarketplaceError):
    status = 503
    code = "upstream_unavailable"


class Busy(MarketplaceError):
    """The server is doing as much of this as it allows at once; the same request may succeed
    later (`retry_after`)."""

    status = 503
    code = "busy"


class UnreadableCid(Unprocessable):
    """A CID whose bytes this server cannot check (not a CIDv1 with a sha2-256 digest), so it
    never reads them."""

    code = "unreadable_cid"


class MissingFiles(Unprocessable):
    """A scene names outside files (textures, libraries, caches...) it does not carry: no worker
    would have them. `details`: `{"missing_files": [...], "more": n}`."""

    code = "missing_files"


class EngineNotCycles(Unprocessable):
    """A scene saved for another render engine than Cycles, the only one workers render with.
    `details`: `{"engine": "<Blender's id>"}`."""

    code = "engine_not_cycles"
