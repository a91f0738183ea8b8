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


class BadAnswer(ArtistError):
    """The server (`server`) answered `what` with a body this command cannot read: a key
    missing, a value of the wrong type. Said as such, never as a traceback."""

    def __init__(self, server: str, what: str, problem: str) -> None:
        super().__init__(
            f"the server at {server} answered {what} with something this command cannot read "
            f"({problem}): is it a tilefarm server of this version?"
        )
        self.server, self.what, self.problem = server, what, problem


class MarketRefused(ArtistError):
    """The market, chain or deposit the server named is not one to sign for: the message says
    which check failed; nothing was signed."""


class PostNotConfirmed(ArtistError):
    """`postJob` was sent, but whether it was mined is not known (no receipt in time, the node
    gone) or it failed on chain: `tx_hash` is what to look up before doing anything else."""

    def __init__(self, message: str, *, tx_hash: str | None, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.tx_hash, self.details = tx_hash, details


class TransactionRefused(ArtistError):
    """The transaction built for the artist to sign is not one to sign (its gas may cost more
    than the artist allows, it names another chain): the message says which; nothing was
    signed."""
