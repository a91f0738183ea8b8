"""The render worker's one exception root."""

from tilefarm.errors import TilefarmError


class WorkerError(TilefarmError):
    """Something the operator must act on."""
