"""The assembler's background thread: assembled frames first, then previews of the frames still
rendering, then films, one bounded step of each at a time."""

import logging
import threading
from collections.abc import Callable

from marketplace.assembly.assembler import Assembler
from marketplace.assembly.film import FilmMaker
from marketplace.assembly.preview import Previewer

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


class AssemblerRunner:
    """Runs an assembler, with its previewer and film maker, in a background thread until
    `stop`."""

    def __init__(
        self,
        assembler: Assembler,
        poll_interval: float = 1.0,
        news: threading.Event | None = None,
        *,
        previewer: Previewer | None = None,
        films: FilmMaker | None = None,
    ) -> None:
        """`news`, when given, is set when new chain events are indexed: a step runs at once
        (a frame is stored as soon as its last seat is accepted), else every `poll_interval`.
        `previewer` and `films` default to ones beside the assembler."""
        self.assembler = assembler
        self.previewer = previewer or Previewer.beside(assembler)
        self.films = films or FilmMaker.beside(assembler)
        self.poll_interval = poll_interval
        self.news = news or threading.Event()
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-assembler", daemon=True)

    def start(self) -> "AssemblerRunner":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.news.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.films.close()  # a film cut short is begun again by the next server

    def _run(self) -> None:
        backoff = self.poll_interval
        steps: tuple[tuple[str, Callable[[], object]], ...] = (
            ("assembly", self.assembler.step),
            ("preview", self.previewer.step),
            ("film", self.films.step),
        )
        while not self._stop.is_set():
            failed = None
            for name, step in steps:
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
            if self.previewer.more or self.films.more:
                continue  # more owed: go on once the assembler has had its turn
            self.news.wait(self.poll_interval)
            self.news.clear()
