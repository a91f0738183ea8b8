"""What the assembler's loops put off until later (a frame, a seat, a film): each key waits
until a moment, and is forgotten once that moment has passed and a scan has seen it; a key that
keeps failing (a seat nobody serves) waits longer each time (`BackOff`).

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


class BackOff(Waits[K]):
    """Waits that grow with failures: a key that failed `n` times in a row is put off for
    `first * 2**(n-1)` seconds, at most `longest`; a success forgets its failures."""

    def __init__(self, first: float, longest: float) -> None:
        super().__init__()
        self.first, self.longest = first, longest
        self._failures: dict[K, int] = {}

    def failed(self, key: K) -> float:
        """One more failure of `key`: put it off; returns for how many seconds."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        seconds = min(self.first * 2.0 ** min(failures - 1, 16), self.longest)
        self.wait(key, seconds)
        return seconds

    def succeeded(self, key: K) -> None:
        """`key` worked: its next failure waits `first` again."""
        self._failures.pop(key, None)

    def keep_only(self, keys: set[K]) -> None:
        """Forget the failures of every key but `keys` (those no longer asked for)."""
        self._failures = {key: n for key, n in self._failures.items() if key in keys}
