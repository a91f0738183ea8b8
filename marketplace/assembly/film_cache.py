"""The server's copies of films it serves (`state_dir/films`): a film is served from disk, not
memory, since it can be large and a player asks for it in byte ranges; each copy is fetched from
IPFS once, its bytes checked against its CID, and kept while it is among the few used last.

Bounded both ways:
- one fetch per file at a time: a second request for a file being fetched waits for that fetch
  (`WAIT_SECONDS`), then is told to try again (`Busy`, 503 with Retry-After) rather than fetch
  another copy or hold its thread longer; at most `MAX_FETCHES` fetches at once in all;
- at most `MAX_FILES` copies and `MAX_BYTES` bytes kept: past either, the least recently used
  copies are deleted, except one used in the last `GRACE_SECONDS` (a response about to open
  it). "Used" is the file's modification time, touched at each request, so the order survives
  a restart; parts of fetches a restart cut short are deleted at the first request.
"""

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from marketplace.errors import Busy

MAX_FILES = 4
MAX_BYTES = 8 << 30
MAX_FETCHES = 2
WAIT_SECONDS = 10.0
RETRY_AFTER = 5  # seconds, for a request told to come back
GRACE_SECONDS = 60.0


class FilmCache:
    """Copies of films in `folder`, fetched on demand (`copy`)."""

    _shared: ClassVar[dict[Path, "FilmCache"]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        folder: Path,
        *,
        max_files: int = MAX_FILES,
        max_bytes: int = MAX_BYTES,
        max_fetches: int = MAX_FETCHES,
        wait_seconds: float = WAIT_SECONDS,
        grace_seconds: float = GRACE_SECONDS,
    ) -> None:
        self.folder = folder
        self.max_files, self.max_bytes = max_files, max_bytes
        self.max_fetches, self.wait_seconds = max_fetches, wait_seconds
        self.grace_seconds = grace_seconds
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Event] = {}
        self._swept = False

    @classmethod
    def at(cls, folder: Path) -> "FilmCache":
        """The one cache of `folder` in this process (every request shares its bounds)."""
        key = folder.resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(folder)
            return cls._shared[key]

    def copy(self, name: str, fetch: Callable[[Path], object]) -> Path:
        """The copy `name`, made by `fetch(dest)` when it is not here; `fetch` must make `dest`
        appear only once its bytes are complete and checked (`KuboClient.cat_to_file` does).
        Raises `Busy` when the copy is being fetched for another request and is not done
        within `wait_seconds`, or too many fetches run; `fetch`'s own errors otherwise."""
        dest = self.folder / name
        with self._lock:
            self._sweep_parts()
            if dest.is_file():
                return self._used(dest)
            running = self._fetching.get(name)
            if running is None:
                if len(self._fetching) >= self.max_fetches:
                    raise Busy(
                        f"the server is fetching {len(self._fetching)} films already; try again",
                        retry_after=RETRY_AFTER,
                    )
                self._fetching[name] = threading.Event()
        if running is not None:
            running.wait(self.wait_seconds)
            with self._lock:
                if dest.is_file():
                    return self._used(dest)
            raise Busy(f"{name} is being fetched for another request; try again",
                       retry_after=RETRY_AFTER)  # fmt: skip
        try:
            fetch(dest)
        finally:
            with self._lock:
                self._fetching.pop(name).set()
                if dest.is_file():
                    self._used(dest)
                    self._evict()
        return dest

    def _used(self, path: Path) -> Path:
        with contextlib.suppress(OSError):  # deleted meanwhile by hand: the response says so
            os.utime(path)
        return path

    def _evict(self) -> None:
        """Delete the least recently used copies past the bounds (see the module)."""
        kept = []
        for path in self.folder.glob("*"):
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                kept.append((stat.st_mtime, stat.st_size, path))
        kept.sort()  # least recently used first
        count, total = len(kept), sum(size for _, size, _ in kept)
        recent = time.time() - self.grace_seconds
        for used, size, path in kept:
            if (count <= self.max_files and total <= self.max_bytes) or used >= recent:
                break  # within bounds, or the rest were used even later
            path.unlink(missing_ok=True)
            count, total = count - 1, total - size

    def _sweep_parts(self) -> None:
        """Once: delete what fetches a restart cut short left (`.<name>.*.part`)."""
        if self._swept:
            return
        self._swept = True
        if self.folder.is_dir():
            for part in self.folder.glob(".*.part"):
                part.unlink(missing_ok=True)
