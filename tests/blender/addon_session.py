"""An artist's Blender session for the add-on's tests: the project's bpy, with the user folders
the test points BLENDER_USER_* at. Run as its own process with the venv python:

    python addon_session.py ADDON.zip SERVER SHOT.blend GONE.blend LEAK.blend

It installs the add-on from its zip as Blender's "Install from Disk" does, opens SHOT.blend and
submits it with the add-on's operator, then follows the job: it prints one JSON line per step,
prefixed with REPORT, and after the "submitted" step waits for a line on stdin, the artist's
address (the test posts two jobs for the uploaded scene meanwhile: the artist's and a
stranger's). It asks a server that never answers, submits LEAK.blend, which names files outside
its folder, tries GONE.blend, whose texture is missing, and last disables the add-on.
"""

import json
import socket
import sys
import time
import types
from typing import Any

import bpy

REPORT = "TILEFARM-TEST "
PACKAGE = "bl_ext.user_default.tilefarm"


def report(step: str, **fields: Any) -> None:
    print(REPORT + json.dumps({"step": step, **fields}), flush=True)


def addon(module: str) -> Any:
    return sys.modules[f"{PACKAGE}.{module}"]


class OperatorProperties:
    """What `layout.operator` returns: the button's operator properties (only its own)."""

    _known: set[str]
    _set: dict[str, Any]

    def __init__(self, idname: str, properties: dict[str, Any]) -> None:
        group, name = idname.split(".")
        rna = getattr(getattr(bpy.ops, group), name).get_rna_type()
        object.__setattr__(self, "_known", set(rna.properties.keys()))
        object.__setattr__(self, "_set", properties)

    def __setattr__(self, name: str, value: Any) -> None:
        assert name in self._known, f"the operator has no property {name}"
        self._set[name] = value


class DrawnLayout:
    """Stands in for Blender's UILayout, which exists only while Blender draws a window (never
    in the background): records what the panel draws, and accepts only the calls and keywords
    that UILayout itself has (read from its RNA), so what passes here Blender accepts too."""

    def __init__(self, drawn: list[dict[str, Any]], parent: "DrawnLayout | None" = None) -> None:
        self._drawn, self._parent, self.enabled = drawn, parent, True

    def disabled(self) -> bool:
        return not self.enabled or (self._parent is not None and self._parent.disabled())

    def __getattr__(self, name: str) -> Any:
        function = bpy.types.UILayout.bl_rna.functions.get(name)
        if function is None:
            raise AttributeError(f"UILayout has no {name}")
        known = {p.identifier for p in function.parameters}

        def call(*args: Any, **keywords: Any) -> Any:
            assert set(keywords) <= known, f"UILayout.{name} takes no {set(keywords) - known}"
            if name in ("box", "row", "column"):
                return DrawnLayout(self._drawn, self)
            entry = {"call": name, "args": [str(a) for a in args], **keywords}
            self._drawn.append(entry)
            if name == "operator":
                entry["disabled"] = self.disabled()
                return OperatorProperties(args[0], entry.setdefault("properties", {}))
            return None

        return call


def draw_panel() -> list[dict[str, Any]]:
    """What the tilefarm panel draws now, with the operators' properties as it set them."""
    drawn: list[dict[str, Any]] = []
    panel = types.SimpleNamespace(layout=DrawnLayout(drawn))
    bpy.types.TILEFARM_PT_submit.draw(panel, bpy.context)
    return drawn


def install(zip_path: str) -> None:
    bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True
    )
    report(
        "installed",
        enabled=PACKAGE in bpy.context.preferences.addons,
        operators=[
            op
            for op in ("submit", "refresh", "follow_job", "open_job_page")
            if hasattr(bpy.ops.tilefarm, op)
        ],
        panel=hasattr(bpy.types, "TILEFARM_PT_submit"),
        panel_context=bpy.types.TILEFARM_PT_submit.bl_context,
    )


def session_state() -> dict[str, Any]:
    """What the artist has open: the file, its image and library, unchanged by a submission."""
    image = bpy.data.images["paint.png"]
    return {
        "filepath": bpy.data.filepath,
        "image_path": image.filepath,
        "image_packed": image.packed_file is not None,
        "libraries": [lib.filepath for lib in bpy.data.libraries],
        "linked": sorted(m.name for m in bpy.data.materials if m.library is not None),
    }


def submit(server: str, shot: str) -> None:
    bpy.context.preferences.addons[PACKAGE].preferences.server_url = server
    bpy.ops.wm.open_mainfile(filepath=shot)
    findings = addon("checks").check_scene(addon("scene_facts").read_scene(bpy.context.scene))
    report("checked", findings=[[f.topic, f.level, f.text] for f in findings], drawn=draw_panel())
    before = session_state()
    bpy.ops.tilefarm.submit(wait=True)
    sub = addon("submission").current
    watching = addon("watching")
    report(
        "submitted",
        stage=sub.stage,
        error=sub.error,
        scene_cid=sub.scene_cid,
        job_url=sub.job_url,
        packed=sub.packed,
        made_local=sub.made_local,
        described=sub.describe(),
        session_before=before,
        session_after=session_state(),
        following=bpy.app.timers.is_registered(watching.tick),
        progress=refreshed().progress.lines(),
    )


def refreshed() -> Any:
    """The panel's Refresh, and what its fetch (in a thread of its own) then found."""
    bpy.ops.tilefarm.refresh()
    watch = addon("watching").watched
    watch.fetching.join(30)
    return watch


def refreshed_until(done: Any) -> Any:
    """Refresh until `done(progress)` (the server's indexer reads the chain a little later)."""
    deadline = time.monotonic() + 30
    while True:
        progress = refreshed().progress
        if done(progress) or time.monotonic() > deadline:
            return progress
        time.sleep(0.2)


def follow(artist: str) -> None:
    """After the test posted the artist's job and a stranger's for the scene: the panel lists
    both to choose from; with the artist's address in the preferences it follows theirs."""
    several = refreshed_until(lambda p: p is not None and len(p.candidates) == 2)
    report(
        "several",
        job_id=several.job_id,
        lines=several.lines(),
        candidates=[[c.job_id, c.artist] for c in several.candidates],
        drawn=draw_panel(),
    )
    bpy.context.preferences.addons[PACKAGE].preferences.your_address = artist
    progress = refreshed_until(lambda p: p is not None and p.job_id is not None)
    report(
        "followed",
        job_id=progress.job_id,
        status=progress.status,
        lines=progress.lines(),
        candidates=[c.job_id for c in progress.candidates],
        drawn=draw_panel(),
    )


def ask_a_silent_server() -> None:
    """Refresh against a server that takes the connection and never answers: the button
    returns while the question is still out; closing the server ends it with an error."""
    watching = addon("watching")
    cid = watching.watched.scene_cid
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        watching.follow(f"http://127.0.0.1:{silent.getsockname()[1]}", cid, 0)
        bpy.ops.tilefarm.refresh()
        asking = watching.watched.fetching.is_alive()
    watching.watched.fetching.join(30)
    report("silent", returned_while_asking=asking, error=watching.watched.error)


def submit_leak(leak: str) -> None:
    """A scene naming files outside its folder: only the one inside is packed."""
    bpy.ops.wm.open_mainfile(filepath=leak)
    findings = addon("checks").check_scene(addon("scene_facts").read_scene(bpy.context.scene))
    bpy.ops.tilefarm.submit(wait=True, allow_missing=True)
    sub = addon("submission").current
    report(
        "leak",
        findings=[[f.topic, f.level, f.text] for f in findings],
        stage=sub.stage,
        error=sub.error,
        scene_cid=sub.scene_cid,
        packed=sub.packed,
        left=[[f.path, f.why_left] for f in sub.left],
        described=sub.describe(),
    )


def refuse_missing(gone: str) -> None:
    bpy.ops.wm.open_mainfile(filepath=gone)
    drawn = draw_panel()
    try:
        bpy.ops.tilefarm.submit(wait=True)
        refused = None
    except RuntimeError as exc:
        refused = str(exc)
    report("missing", refused=refused, drawn=drawn)


def disable() -> None:
    """Disabling the add-on takes its panel, operators and timers away."""
    tick = addon("watching").tick
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    report(
        "disabled",
        panel=hasattr(bpy.types, "TILEFARM_PT_submit"),
        operator=hasattr(bpy.types, "TILEFARM_OT_submit"),
        timer=bpy.app.timers.is_registered(tick),
    )


def main(zip_path: str, server: str, shot: str, gone: str, leak: str) -> None:
    install(zip_path)
    submit(server, shot)
    follow(sys.stdin.readline().strip())
    ask_a_silent_server()
    submit_leak(leak)
    refuse_missing(gone)
    disable()


if __name__ == "__main__":
    main(*sys.argv[1:6])
