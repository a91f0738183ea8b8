"""The add-on's one exception root: every error it shows the artist says what went wrong and
what to do next."""

from __future__ import annotations


class AddonError(Exception):
    """Something stopped a submission or a progress check; the message is shown as is."""


class ServerError(AddonError):
    """The tilefarm server answered with an error body (`{"error": {code, message, details}}`),
    or with no body it could explain; `code` is the server's (e.g. "missing_files")."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details
