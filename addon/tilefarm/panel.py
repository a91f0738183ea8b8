"""The tilefarm panel in Properties > Output: the server and Your address, what the checks
found, the options that let a scene through anyway, Submit, and then the upload and the job's
progress (or the jobs posted for the scene since the upload, to choose from)."""

from __future__ import annotations

import textwrap
import time
from typing import Any

import bpy

from . import submission, watching
from .checks import Finding, SceneFacts, blocking, check_scene
from .errors import AddonError
from .preferences import address_preference, preferences
from .scene_facts import read_scene

ICONS = {"ok": "CHECKMARK", "info": "INFO", "warning": "ERROR", "error": "CANCEL"}
WRAP = 52  # characters per line: the Properties editor does not wrap labels
# The panel is drawn on every redraw; listing outside files stats each one, so the facts are
# read again at most this often (and whenever another file or scene is shown).
FACTS_SECONDS = 2.0
SHOWN_CANDIDATES = 6  # jobs listed to choose from
_facts: tuple[tuple[str, str], float, SceneFacts] | None = None


def _scene_facts(scene: Any) -> SceneFacts:
    global _facts
    now, key = time.monotonic(), (bpy.data.filepath, scene.name)
    if _facts is None or _facts[0] != key or now - _facts[1] > FACTS_SECONDS:
        _facts = (key, now, read_scene(scene))
    return _facts[2]


def _lines(layout: Any, text: str, icon: str) -> None:
    for i, line in enumerate(textwrap.wrap(text, WRAP) or [""]):
        layout.label(text=line, icon=icon if i == 0 else "BLANK1")


def _findings(layout: Any, findings: list[Finding]) -> None:
    box = layout.box()
    for f in findings:
        _lines(box, f"{f.topic}: {f.text}", ICONS[f.level])


def _after(layout: Any) -> None:
    sub = submission.current
    if sub is None:
        return
    box = layout.box()
    _lines(box, sub.describe(), "CANCEL" if sub.stage == "failed" else "EXPORT")
    if sub.job_url is not None:
        box.operator("tilefarm.open_job_page", icon="URL")
    watch = watching.watched
    if watch is None or sub.scene_cid != watch.scene_cid:
        return
    if watch.error is not None:
        _lines(box, watch.error, "ERROR")
    progress = watch.progress
    if progress is not None:
        for i, line in enumerate(progress.lines()):
            _lines(box, line, "RENDER_ANIMATION" if i == 0 else "BLANK1")
        if progress.job_id is not None:
            box.progress(factor=progress.fraction, type="BAR", text="verified")
        if progress.choosing:
            for candidate in progress.candidates[:SHOWN_CANDIDATES]:
                chosen = candidate.job_id == progress.job_id
                button = box.operator(
                    "tilefarm.follow_job", text=candidate.line(),
                    icon="RADIOBUT_ON" if chosen else "RADIOBUT_OFF",
                )  # fmt: skip
                button.job_id = candidate.job_id
            if len(progress.candidates) > SHOWN_CANDIDATES:
                more = len(progress.candidates) - SHOWN_CANDIDATES
                _lines(box, f"and {more} more: set Your address to see only yours", "BLANK1")
    box.operator("tilefarm.refresh", icon="FILE_REFRESH")


def _address(layout: Any, context: Any) -> None:
    layout.prop(preferences(context), "your_address")
    try:
        address_preference(context)
    except AddonError as exc:
        _lines(layout, str(exc), "ERROR")


class TILEFARM_PT_submit(bpy.types.Panel):  # type: ignore[misc]  # bpy has no types
    bl_label = "tilefarm"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "output"

    def draw(self, context: Any) -> None:
        layout = self.layout
        options = context.window_manager.tilefarm
        layout.prop(preferences(context), "server_url")
        _address(layout, context)
        findings = check_scene(_scene_facts(context.scene))
        _findings(layout, findings)
        overrides = {f.unless for f in findings if f.level == "error"}
        if "cycles_instead" in overrides:
            layout.prop(options, "cycles_instead")
        if "allow_missing" in overrides:
            layout.prop(options, "allow_missing")
        stops = blocking(
            findings, cycles_instead=options.cycles_instead, allow_missing=options.allow_missing
        )
        row = layout.row()
        row.enabled = not stops
        submit = row.operator("tilefarm.submit", icon="EXPORT")
        submit.cycles_instead = options.cycles_instead
        submit.allow_missing = options.allow_missing
        _after(layout)
