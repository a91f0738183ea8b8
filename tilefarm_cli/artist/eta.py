"""An estimate of when a job's tiles are all verified, from how fast they have gone so far.

Each tile is two steps of work: committed (rendered and its root on chain), then verified. The
rate is measured from the first step seen done while watching, so the auction's windows before
any rendering do not slow the estimate down; there is none until a second step is seen done.
"""


class Eta:
    """Seconds left, updated on each look at the job."""

    def __init__(self) -> None:
        self._start: tuple[float, int] | None = None  # (when, steps) at the first progress seen
        self._last_steps: int | None = None

    def update(self, now: float, committed: int, verified: int, tiles: int) -> float | None:
        """The estimate at monotonic time `now`, or None while there is not enough to go on."""
        steps, total = committed + verified, 2 * tiles
        if steps >= total:
            return 0.0
        previous, self._last_steps = self._last_steps, steps
        if self._start is None:
            if previous is not None and steps > previous:
                self._start = (now, steps)
            return None
        began, base = self._start
        if steps <= base or now <= began:
            return None
        rate = (steps - base) / (now - began)
        return (total - steps) / rate
