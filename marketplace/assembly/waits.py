"""What the assembler's loops put off until later (a frame, a seat, a film): each key waits
until a moment, and is forgotten once that moment has passed and a scan has seen it.

Forgetting matters as much as waiting: a loop skips its scan when nothing was indexed since the
last one and nothing it put off has come due (`take_due`). An entry kept past its moment would
be due forever, and every job would be scanned again at every poll.
"""

import time
from typing import Generic, TypeVar

K = TypeVar("K")


class Waits(Generic[K]):
    """Keys put off until a moment (`time.monotonic`)."""

    def __init__(self) -> None:
        self._until: dict[K, float] = {}

    def wait(self, key: K, seconds: float) -> None:
        """Put `key` off for `seconds` from now (replacing any earlier wait)."""
        self._until[key] = time.monotonic() + seconds

    def waiting(self, key: K) -> bool:
        """Whether `key` is still put off."""
        at = self._until.get(key)
        return at is not None and at > time.monotonic()

    def clear(self, key: K) -> None:
        """`key` is no longer put off (done, or no longer owed)."""
        self._until.pop(key, None)

    def take_due(self) -> bool:
        """Whether any wait has ended since the last call; the ended ones are forgotten, so the
        scan this answer starts is the only one they cause."""
        now = time.monotonic()
        ended = [key for key, at in self._until.items() if at <= now]
        for key in ended:
            del self._until[key]
        return bool(ended)

    def __len__(self) -> int:
        return len(self._until)
