"""The worker's two background threads, beside its chain loop:

- the render thread renders won tiles and the patches of evidence and panel checks, and warms the
  next job's scene; they share the CPU and the Blender child (`render_worker/work/children.py`),
  so they run one after another;
- the judging thread judges evidence against revealed tiles (its own verdicts, rechecks of others'
  passes, panel votes on challenges): render-free, so a long render never delays a verdict.

Work is queued under a key, once at a time; the chain loop wakes as soon as a piece is done. The
threads store what they find in the database and send no transaction: the chain loop does.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# Run `work` in the background under a key, once at a time: (key, work, render-free?) -> whether
# it was queued now (`Threads.start`).
Background = Callable[[str, Callable[[], None], bool], bool]
# Background work whose outcome is not read back: forgotten once done.
CHORES = ("warm:", "close-child")


class Threads:
    """The render thread and the judging thread of one worker."""

    def __init__(self, wake: Callable[[], None]) -> None:
        """`wake` wakes the chain loop; it is called when a piece of work is done."""
        self._wake = wake
        self._render = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._judging = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge")
        self._rendering: dict[str, Future[Any]] = {}
        self._judged: dict[str, Future[Any]] = {}

    def render(self, key: str, work: Callable[[], None]) -> None:
        """Queue `work` on the render thread under `key`."""
        for done in [k for k, f in self._rendering.items() if f.done() and k.startswith(CHORES)]:
            del self._rendering[done]
        future = self._render.submit(work)
        future.add_done_callback(self._done)
        self._rendering[key] = future

    def start(self, key: str, work: Callable[[], None], render_free: bool) -> bool:
        """Run `work` under `key` on the render thread, or the judging thread if `render_free`,
        unless it is running or queued already; once it has finished, the next call for `key`
        only forgets it (the row it worked on has moved on, or asks again at the next pass).
        True when `work` was queued now."""
        busy = self._judged if render_free else self._rendering
        if key in busy:
            if busy[key].done():
                del busy[key]
            return False
        if render_free:
            future = self._judging.submit(work)
            future.add_done_callback(self._done)
            self._judged[key] = future
        else:
            self.render(key, work)
        return True

    def claimed(self, key: str) -> bool:
        """Whether `key` is running or queued on either thread, or has just finished (then it is
        forgotten, as `start` forgets it)."""
        for busy in (self._rendering, self._judged):
            if key in busy:
                if busy[key].done():
                    del busy[key]
                return True
        return False

    def rendering(self, key: str) -> bool:
        """Whether `key` is running or queued on the render thread."""
        return key in self._rendering and not self._rendering[key].done()

    def forget(self, key: str) -> BaseException | None:
        """Forget `key`'s finished work on the render thread; what it raised, if anything."""
        future = self._rendering.pop(key, None)
        return None if future is None else future.exception()

    def working(self) -> bool:
        """True while the render thread has work running or queued."""
        return any(not future.done() for future in self._rendering.values())

    def shutdown(self) -> None:
        """Drop the judging thread's queue, and finish what the render thread has queued."""
        self._judging.shutdown(wait=True, cancel_futures=True)
        self._render.shutdown(wait=True)

    def _done(self, _: object) -> None:
        self._wake()
