"""One submission, after the snapshot: pack the copy, upload it, open the job page. It runs in a
thread (no bpy in it), so Blender stays responsive while a large scene packs and uploads; the
panel reads `current` to show how far it got.

The thread ends in one of two stages: "done" (the scene is on the server, `scene_cid` set, the
job page opened) or "failed" (`error` says why and what to do). Before the upload it notes the
server's last block (`since_block`): the job the artist then posts is in a later one, which
tells it from jobs posted earlier for the same scene (`job_choice`). The snapshot's folder is
removed either way: nothing the add-on wrote stays on disk.
"""

from __future__ import annotations

import shutil
import threading
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .checks import OutsideFile, plural
from .client import indexed_block, job_page_url, upload_scene
from .errors import AddonError, ServerError
from .packing import pack_copy

Stage = Literal["packing", "uploading", "opening", "done", "failed"]
SHOWN_LEFT = 4


@dataclass
class Submission:
    """A scene on its way to the server (fields are written by its thread, read by the panel)."""

    server: str
    filename: str
    # The artist's .blend folder: only files inside it are packed (`scene_folder`).
    folder: str
    allow_missing: bool
    cycles_instead: bool
    stage: Stage = "packing"
    error: str | None = None
    scene_cid: str | None = None
    since_block: int = 0
    job_url: str | None = None
    browser_opened: bool = False
    packed: list[str] = field(default_factory=list)
    made_local: list[str] = field(default_factory=list)
    left: list[OutsideFile] = field(default_factory=list)
    # The outside files as the artist's session names them (what the checks listed).
    session_files: list[OutsideFile] = field(default_factory=list)
    thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.stage not in ("done", "failed")

    def describe(self) -> str:
        """One line for the panel and the operator's report."""
        if self.stage == "packing":
            return f"Packing a copy of {self.filename}..."
        if self.stage == "uploading":
            return f"Uploading {self.filename} to {self.server}..."
        if self.stage == "opening":
            return "Opening the job page..."
        if self.stage == "failed":
            return f"Not submitted: {self.error}"
        carried = (
            f"{plural(len(self.packed), 'file', 'files')} packed, "
            f"{plural(len(self.made_local), 'library', 'libraries')} made local"
        )
        if self.left:
            carried += f", {len(self.left)} left out: {_named(self.left)}"
        opened = "the job page is open" if self.browser_opened else f"open {self.job_url}"
        return f"Uploaded {self.filename} ({carried}): {opened}; sign the job there"


def _named(left: list[OutsideFile]) -> str:
    named = ", ".join(f"{f.path or f.name} ({f.kind}: {f.why_left})" for f in left[:SHOWN_LEFT])
    return named + (f" and {len(left) - SHOWN_LEFT} more" if len(left) > SHOWN_LEFT else "")


def _left_message(left: list[OutsideFile]) -> str:
    return (
        f"the packed copy still lacks {len(left)} outside files: {_named(left)}; workers would "
        "render without them (find them, move those outside the scene's folder into it, or "
        "tick 'Submit without them')"
    )


def _run(sub: Submission, snapshot: Path, blender: str) -> None:
    try:
        copy = pack_copy(snapshot, blender, sub.folder)
        sub.packed, sub.made_local, sub.left = copy.as_the_artist_names_them(sub.session_files)
        if sub.left and not sub.allow_missing:
            raise AddonError(_left_message(sub.left))
        sub.stage = "uploading"
        sub.since_block = indexed_block(sub.server)
        scene = upload_scene(
            sub.server, copy.path, filename=sub.filename,
            allow_missing=sub.allow_missing, cycles_instead=sub.cycles_instead,
        )  # fmt: skip
        sub.scene_cid = str(scene["cid"])
        sub.job_url = job_page_url(sub.server, sub.scene_cid)
        sub.stage = "opening"
        sub.browser_opened = webbrowser.open(sub.job_url)
        sub.stage = "done"
    except ServerError as exc:
        sub.error, sub.stage = f"the server refused the scene: {exc}", "failed"
    except AddonError as exc:
        sub.error, sub.stage = str(exc), "failed"
    except Exception as exc:  # a thread's error must reach the panel, not stderr
        sub.error, sub.stage = f"unexpected {type(exc).__name__}: {exc}", "failed"
    finally:
        shutil.rmtree(snapshot.parent, ignore_errors=True)


current: Submission | None = None


def start(sub: Submission, snapshot: Path, blender: str) -> Submission:
    """Run `sub` from its `snapshot` (in a folder of its own, removed at the end) in a thread;
    it becomes `current`."""
    global current
    sub.thread = threading.Thread(
        target=_run, args=(sub, snapshot, blender), name="tilefarm-submit", daemon=True
    )
    current = sub
    sub.thread.start()
    return sub
