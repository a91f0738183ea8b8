"""The panel's buttons: Submit (check, snapshot, then pack, upload and open the job page in a
thread), Refresh (ask for the job's progress now), Follow (one of several jobs posted for the
scene) and Open job page (again). None of them waits for the network: the server is asked in
threads (`submission`, `watching`), and timers draw what they found."""

from __future__ import annotations

import os
import shutil
import tempfile
import webbrowser
from pathlib import Path
from typing import Any, ClassVar

import bpy

from . import submission, watching
from .checks import blocking, check_scene
from .client import server_base
from .errors import AddonError
from .packing import snapshot
from .preferences import address_preference, preferences
from .redraw import redraw_properties
from .scene_facts import read_scene
from .scene_folder import blend_folder

FOLLOW_SECONDS = 0.5


def follow_submission() -> float | None:
    """Timer: redraw while the submission runs; once uploaded, follow its job."""
    sub = submission.current
    redraw_properties()
    if sub is None:
        return None
    if sub.busy:
        return FOLLOW_SECONDS
    if sub.stage == "done" and sub.scene_cid is not None:
        watching.follow(sub.server, sub.scene_cid, sub.since_block, _artist(bpy.context))
    return None


def _artist(context: Any) -> str | None:
    """The "Your address" preference, or None when it is empty or not an address (the panel
    says so)."""
    try:
        return address_preference(context)
    except AddonError:
        return None


class TILEFARM_OT_submit(bpy.types.Operator):  # type: ignore[misc]  # bpy has no types
    """Pack a copy of this scene, upload it to the tilefarm server and open the job page,
    where your wallet posts the job (your .blend is not changed)"""

    bl_idname = "tilefarm.submit"
    bl_label = "Submit to tilefarm"
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    cycles_instead: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Render with Cycles instead", default=False, options={"SKIP_SAVE"}
    )
    allow_missing: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Submit without missing files", default=False, options={"SKIP_SAVE"}
    )
    wait: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Wait",
        description="Return once the scene is uploaded (scripts and the command line); the "
        "panel's button returns at once and shows the progress",
        default=False,
        options={"HIDDEN", "SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context: Any) -> bool:
        current = submission.current
        return context.scene is not None and (current is None or not current.busy)

    def execute(self, context: Any) -> set[str]:
        try:
            server = server_base(preferences(context).server_url)
        except AddonError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        facts = read_scene(context.scene)
        findings = check_scene(facts)
        stops = blocking(
            findings, cycles_instead=self.cycles_instead, allow_missing=self.allow_missing
        )
        if stops:
            self.report({"ERROR"}, "; ".join(f"{f.topic}: {f.text}" for f in stops))
            return {"CANCELLED"}
        filename = os.path.basename(bpy.data.filepath) or "untitled.blend"
        folder = Path(tempfile.mkdtemp(prefix="tilefarm-"))
        sub = submission.Submission(
            server=server, filename=filename, folder=blend_folder(bpy.data.filepath),
            allow_missing=self.allow_missing, cycles_instead=self.cycles_instead,
            session_files=list(facts.outside_files),
        )  # fmt: skip
        try:
            saved = snapshot(folder, filename)
        except RuntimeError as exc:  # Blender could not write the copy (disk full, ...)
            shutil.rmtree(folder, ignore_errors=True)
            self.report({"ERROR"}, f"could not save a copy of the scene to pack: {exc}")
            return {"CANCELLED"}
        submission.start(sub, saved, bpy.app.binary_path)
        if not self.wait:
            bpy.app.timers.register(follow_submission, first_interval=FOLLOW_SECONDS)
            self.report({"INFO"}, sub.describe())
            return {"FINISHED"}
        assert sub.thread is not None
        sub.thread.join()
        if sub.stage == "failed":
            self.report({"ERROR"}, sub.describe())
            return {"CANCELLED"}
        assert sub.scene_cid is not None
        watching.follow(server, sub.scene_cid, sub.since_block, _artist(context))
        self.report({"INFO"}, sub.describe())
        return {"FINISHED"}


class TILEFARM_OT_refresh(bpy.types.Operator):  # type: ignore[misc]  # bpy has no types
    """Ask the server how the uploaded scene's job is doing now (with Your address as the
    preferences say now); the panel shows the answer when it comes"""

    bl_idname = "tilefarm.refresh"
    bl_label = "Refresh"
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        return watching.watched is not None

    def execute(self, context: Any) -> set[str]:
        try:
            artist = address_preference(context)
        except AddonError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        watching.refresh(artist)
        return {"FINISHED"}


class TILEFARM_OT_follow_job(bpy.types.Operator):  # type: ignore[misc]  # bpy has no types
    """Follow this job: several jobs were posted for the uploaded scene since the upload, and
    this one is yours"""

    bl_idname = "tilefarm.follow_job"
    bl_label = "Follow this job"
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    job_id: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Job", min=1, options={"SKIP_SAVE"}
    )

    @classmethod
    def poll(cls, context: Any) -> bool:
        return watching.watched is not None

    def execute(self, context: Any) -> set[str]:
        watching.choose(self.job_id)
        return {"FINISHED"}


class TILEFARM_OT_open_job_page(bpy.types.Operator):  # type: ignore[misc]  # bpy has no types
    """Open the job page of the uploaded scene in the browser again"""

    bl_idname = "tilefarm.open_job_page"
    bl_label = "Open job page"
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        current = submission.current
        return current is not None and current.job_url is not None

    def execute(self, context: Any) -> set[str]:
        sub = submission.current
        assert sub is not None and sub.job_url is not None
        if not webbrowser.open(sub.job_url):
            self.report({"WARNING"}, f"no browser could be opened: go to {sub.job_url}")
        return {"FINISHED"}


CLASSES = (
    TILEFARM_OT_submit,
    TILEFARM_OT_refresh,
    TILEFARM_OT_follow_job,
    TILEFARM_OT_open_job_page,
)
