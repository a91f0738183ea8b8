"""Errors of the devnet supervisor."""

from tilefarm.errors import TilefarmError


class DevnetError(TilefarmError):
    """The local stack could not be started, probed or stopped."""


class PortInUse(DevnetError):
    """A port the stack needs is taken by another program."""

    def __init__(self, service: str, host: str, port: int, setting: str, owner: str) -> None:
        super().__init__(
            f"cannot start {service}: {host}:{port} is already in use{owner}; stop that program "
            f"or choose another port with {setting}"
        )
        self.port = port


class StackCrashed(DevnetError):
    """A stack was started but some of its processes are gone."""
