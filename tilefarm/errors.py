"""The one exception root of tilefarm's core. Every error a user can hit says what was wrong and
what to do about it."""


class TilefarmError(Exception):
    """Root of every error tilefarm raises on purpose."""
