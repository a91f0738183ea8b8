"""The artist commands' one error root, and the server's refusals as errors that keep what the
server said (its status, machine code, message and details) for the command to explain."""

from typing import Any

from tilefarm.errors import TilefarmError


class ArtistError(TilefarmError):
    """An artist command could not do what was asked; the message says why and what to do."""


class ApiError(ArtistError):
    """The server refused `what` (e.g. "uploading the scene"): `status` and `code` as it sent
    them (`code` is "" when the answer was not the server's error body), `message` its own
    words, `details` its structured details."""

    def __init__(
        self, what: str, *, status: int, message: str, code: str = "", details: Any = None
    ) -> None:
        super().__init__(f"{what} failed: HTTP {status}: {message}")
        self.status, self.message, self.code, self.details = status, message, code, details
