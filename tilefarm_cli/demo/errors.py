"""The demo's one error type: what went wrong, and where its logs are."""

from tilefarm.errors import TilefarmError


class DemoError(TilefarmError):
    """The demo could not run or finish; the message says why and what to do."""
