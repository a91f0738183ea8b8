"""The assembler's background threads: one stores assembled frames, then writes films, one
bounded step of each at a time; previews of the frames still rendering have a thread of their
own, so that a preview waiting on a tile nobody serves never holds up a frame or a film."""

import logging
import threading
from collections.abc import Callable

from marketplace.assembly.assembler import Assembler
from marketplace.assembly.film import FilmMaker
from marketplace.assembly.preview import Previewer
from marketplace.assembly.remote_pins import RemotePins
from marketplace.assembly.retention import PinRetention

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0

Steps = tuple[tuple[str, Callable[[], object]], ...]


class _Loop:
    """A thread running `steps` in turn until stopped: at once when `news` is set, while `more`
    says work is left, else every `poll_interval`; after a failure, with backoff."""

    def __init__(
        self,
        name: str,
        steps: Steps,
        poll_interval: float,
        news: threading.Event,
        more: Callable[[], bool],
    ) -> None:
        self.steps, self.poll_interval, self.news, self.more = steps, poll_interval, news, more
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.news.set()

    def join(self, timeout: float) -> bool:
        """Whether the thread has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            failed = None
            for name, step in self.steps:
                try:
                    step()
                except Exception as exc:  # keep the server up; try again later
                    failed = f"{name}: {type(exc).__name__}: {exc}"
                    log.warning("%s step failed (%s); retrying in %.1f s", name, exc, backoff)
            self.error = failed
            if failed is not None:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = self.poll_interval
            if self.more():
                continue  # more owed: go on (the other steps of this loop had their turn)
            self.news.wait(self.poll_interval)
            self.news.clear()


class AssemblerRunner:
    """Runs an assembler with its film maker in one background thread, and its previewer in
    another, until `stop`."""

    def __init__(
        self,
        assembler: Assembler,
        poll_interval: float = 1.0,
        news: threading.Event | None = None,
        *,
        previewer: Previewer | None = None,
        films: FilmMaker | None = None,
        retention: PinRetention | None = None,
        remote_pins: RemotePins | None = None,
    ) -> None:
        """`news`, when given, is set when new chain events are indexed: a step runs at once
        (a frame is stored as soon as its last seat is accepted), else every `poll_interval`;
        the previews' thread subscribes to the assembler's hub itself. `previewer` and `films`
        default to ones beside the assembler; `retention`, when given, unpins ended jobs'
        material in the frames' thread, and `remote_pins` keeps frames and films pinned on a
        remote pinning service from the same thread."""
        self.assembler = assembler
        self.previewer = previewer or Previewer.beside(assembler)
        self.films = films or FilmMaker.beside(assembler)
        self.remote_pins = remote_pins
        self.poll_interval = poll_interval
        self.news = news or threading.Event()
        hub = assembler.hub
        preview_news = hub.subscribe_thread() if hub is not None else threading.Event()
        self._frames = _Loop(
            "frame-assembler",
            (
                ("assembly", assembler.step),
                ("film", self.films.step),
                *((("retention", retention.step),) if retention is not None else ()),
                *((("remote pins", remote_pins.step),) if remote_pins is not None else ()),
            ),
            poll_interval, self.news, lambda: self.films.more,
        )  # fmt: skip
        self._previews = _Loop(
            "frame-previews", (("preview", self.previewer.step),), poll_interval, preview_news,
            lambda: self.previewer.more,
        )  # fmt: skip

    @property
    def error(self) -> str | None:
        """Why the last step of either thread failed (None when both went well)."""
        return self._frames.error or self._previews.error

    def start(self) -> "AssemblerRunner":
        self._frames.start()
        self._previews.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._frames.stop()
        self._previews.stop()
        if self._frames.join(timeout):
            self.films.close()  # a film cut short is begun again by the next server
            self.assembler.close()
            if self.remote_pins is not None:
                self.remote_pins.close()
        if self._previews.join(timeout):
            self.previewer.close()
