"""Following the uploaded scene's job in the panel, without ever blocking Blender.

No HTTP runs on Blender's main thread: every fetch runs in a thread of its own (one at a time),
which writes what it found to the `Watch` in one assignment; the main thread only starts
fetches and draws. A `bpy.app.timers` function (`tick`) runs on the main thread every
`POLL_SECONDS`: it starts a fetch when none is running and asks the Properties editors to draw
what the last one found. It stops once the followed job is finished or the add-on is disabled.
`refresh` (the panel's Refresh button) and `choose` (a job picked among several) start a fetch
at once and return; the timer draws its answer.

Which jobs are the submission's, and which one is followed: `job_choice`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import bpy

from .client import job_status, jobs_for_scene
from .errors import AddonError
from .job_choice import Scope, candidates, followed
from .progress import Progress, summarise
from .redraw import redraw_properties

POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Query:
    """What one fetch asks, fixed when it starts (the thread reads nothing else)."""

    server: str
    scene_cid: str
    scope: Scope
    chosen: int | None


@dataclass
class Watch:
    """The scene followed, the jobs that may be its submission's (`since_block`: the server's
    last block when the upload began; `artist`: "Your address", when set), the job the artist
    chose among several, and what the last fetch found (`error` when it failed)."""

    server: str
    scene_cid: str
    since_block: int
    artist: str | None = None
    chosen: int | None = None
    progress: Progress | None = None
    error: str | None = None
    fetching: threading.Thread | None = None

    def query(self) -> Query:
        scope = Scope(since_block=self.since_block, artist=self.artist)
        return Query(self.server, self.scene_cid, scope, self.chosen)


watched: Watch | None = None


def look_up(query: Query) -> Progress:
    """The submission's jobs and the followed one's tiles, from the server (HTTP: never on the
    main thread)."""
    scope = query.scope
    jobs = jobs_for_scene(query.server, query.scene_cid, artist=scope.artist)
    found = candidates(jobs, scope)
    job = followed(found, query.chosen)
    status = job_status(query.server, job.job_id) if job is not None else None
    return summarise(found, job, status, by_artist=scope.artist is not None)


def _fetch(watch: Watch, query: Query) -> None:
    progress, error = watch.progress, None
    try:
        progress = look_up(query)
    except AddonError as exc:
        error = str(exc)
    except (KeyError, TypeError, ValueError) as exc:  # an answer of another shape
        error = (
            f"the server at {query.server} answered in a way the add-on does not understand "
            f"({type(exc).__name__}: {exc}); is it a tilefarm server of this version?"
        )
    # The artist may have chosen another job or address meanwhile: the next fetch asks that.
    if watch.query() == query:
        watch.progress, watch.error = progress, error


def start_fetch(watch: Watch) -> threading.Thread:
    """Start a fetch for `watch` in a thread, unless one is running (that one is returned)."""
    if watch.fetching is None or not watch.fetching.is_alive():
        watch.fetching = threading.Thread(
            target=_fetch, args=(watch, watch.query()), name="tilefarm-progress", daemon=True
        )
        watch.fetching.start()
    return watch.fetching


def tick() -> float | None:
    """The timer: one fetch in flight at most; None (stop) when nothing more will change."""
    watch = watched
    redraw_properties()
    if watch is None:
        return None
    if watch.progress is not None and watch.progress.finished:
        return None
    start_fetch(watch)
    return POLL_SECONDS


def follow(server: str, scene_cid: str, since_block: int, artist: str | None = None) -> Watch:
    """Follow the jobs of `scene_cid` posted after block `since_block` (by `artist` when
    known) from now on; the timer starts unless it runs already."""
    global watched
    watched = Watch(server=server, scene_cid=scene_cid, since_block=since_block, artist=artist)
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.0, persistent=True)
    return watched


def refresh(artist: str | None) -> threading.Thread | None:
    """Ask the server again now (in a thread; returns it), for the jobs of `artist` ("Your
    address" as the preferences say now; None: anyone's)."""
    watch = watched
    if watch is None:
        return None
    if artist != watch.artist:
        watch.artist, watch.chosen = artist, None
    return _restart(watch)


def choose(job_id: int) -> threading.Thread | None:
    """Follow `job_id`, one of several jobs that may be the submission's."""
    watch = watched
    if watch is None:
        return None
    watch.chosen = job_id
    return _restart(watch)


def _restart(watch: Watch) -> threading.Thread:
    # The timer stopped once the job finished: a new choice or address may follow another.
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=POLL_SECONDS, persistent=True)
    return start_fetch(watch)


def stop() -> None:
    """Follow nothing (the add-on is being disabled)."""
    global watched
    watched = None
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
