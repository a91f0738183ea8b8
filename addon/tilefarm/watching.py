"""Following the uploaded scene's job in the panel, without blocking Blender.

A `bpy.app.timers` function (`tick`) runs on Blender's main thread every `POLL_SECONDS`: it
starts one fetch in a thread when none is running (the HTTP calls never run on the main
thread, so a slow server never freezes the UI), and asks the Properties editor to redraw with
what the last fetch found. It stops once the job is finished or the add-on is disabled.
`refresh` fetches at once in the caller's thread (the panel's Refresh button, scripts, tests).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import bpy

from .client import job_status, jobs_for_scene
from .errors import AddonError
from .progress import Progress, summarise
from .redraw import redraw_properties

POLL_SECONDS = 5.0


@dataclass
class Watch:
    """The scene followed, and what its last fetch found (`error` when it failed)."""

    server: str
    scene_cid: str
    progress: Progress | None = None
    error: str | None = None
    fetching: threading.Thread | None = None


watched: Watch | None = None


def _fetch(watch: Watch) -> None:
    try:
        jobs = jobs_for_scene(watch.server, watch.scene_cid)
        items = jobs.get("items") or []
        status = job_status(watch.server, items[0]["job_id"]) if items else None
        watch.progress, watch.error = summarise(jobs, status), None
    except AddonError as exc:
        watch.error = str(exc)


def tick() -> float | None:
    """The timer: one fetch in flight at most; None (stop) when nothing more will change."""
    watch = watched
    redraw_properties()
    if watch is None:
        return None
    if watch.progress is not None and watch.progress.finished:
        return None
    if watch.fetching is None or not watch.fetching.is_alive():
        watch.fetching = threading.Thread(
            target=_fetch, args=(watch,), name="tilefarm-progress", daemon=True
        )
        watch.fetching.start()
    return POLL_SECONDS


def follow(server: str, scene_cid: str) -> Watch:
    """Follow `scene_cid`'s jobs from now on (the timer starts unless it runs already)."""
    global watched
    watched = Watch(server=server, scene_cid=scene_cid)
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.0, persistent=True)
    return watched


def refresh() -> Watch | None:
    """Fetch the followed scene's progress now, in this thread."""
    watch = watched
    if watch is not None:
        _fetch(watch)
        redraw_properties()
    return watch


def stop() -> None:
    """Follow nothing (the add-on is being disabled)."""
    global watched
    watched = None
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
