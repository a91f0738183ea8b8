"""Waking the live streams when the indexer commits new events.

The indexer runs in a thread; Server-Sent Event streams wait in the server's event loop. The hub
bridges the two: `publish` (any thread) sets an `asyncio.Event` of every subscribed stream through
its loop. Streams then read the new rows from the database themselves, so nothing a stream shows
was not committed, and a reorganisation only has to be announced (`reorged_from`).
"""

import asyncio
import threading


class EventHub:
    """Fan-out of "new events were indexed" to the waiting streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._thread_waiters: list[threading.Event] = []
        self.version = 0
        self.reorgs = 0
        # The first dropped block of every reorganisation so far, in order (a few per day at
        # most): a stream that slept through several rewinds to the earliest.
        self._reorged_from: list[int] = []

    def subscribe(self) -> asyncio.Event:
        """A fresh event of the running loop, set at every publish until `unsubscribe`."""
        event = asyncio.Event()
        with self._lock:
            self._waiters.add((asyncio.get_running_loop(), event))
        return event

    def subscribe_thread(self) -> threading.Event:
        """An event set at every publish, for a background thread (the frame assembler) that
        clears it and waits on it; it lives as long as the hub."""
        event = threading.Event()
        with self._lock:
            self._thread_waiters.append(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters = {w for w in self._waiters if w[1] is not event}

    def publish(self, reorged_from: int | None = None) -> None:
        """Called by the indexer after each committed batch (from its own thread)."""
        with self._lock:
            self.version += 1
            if reorged_from is not None:
                self.reorgs += 1
                self._reorged_from.append(reorged_from)
            waiters = list(self._waiters)
            for waiter in self._thread_waiters:
                waiter.set()
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the stream's loop is closed: it is gone
                self.unsubscribe(event)

    def reorged_since(self, seen: int) -> tuple[int, int | None]:
        """How many reorganisations there were, and the lowest first-dropped block of those
        after the first `seen` (None if there were none), read together."""
        with self._lock:
            return len(self._reorged_from), min(self._reorged_from[seen:], default=None)
