"""What the panel says about a scene before it is submitted: the engine, the files outside the
.blend, the colour management and the frame range, each as a finding the artist can act on.

Plain Python, no bpy: `scene_facts.read_scene` gathers the facts in Blender, this module judges
them, so the judgement is tested without Blender (tests/addon). The server checks the upload
again (`POST /api/scenes` answers 422 for a scene that is not Cycles or names files it does not
carry): these findings say so before the upload, with what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .scene_folder import OUTSIDE

Level = Literal["ok", "info", "warning", "error"]
# The option that lets a submission go ahead despite an error finding (None: nothing does).
Override = Literal["cycles_instead", "allow_missing"]

ENGINE_NAMES = {
    "CYCLES": "Cycles",
    "BLENDER_EEVEE": "Eevee",
    "BLENDER_EEVEE_NEXT": "Eevee",
    "BLENDER_WORKBENCH": "Workbench",
}
# What a job's manifest can carry (tilefarm's `ColourManagement`): frames come back through one
# of these view transforms on an sRGB display, with any look, exposure and gamma in range.
VIEW_TRANSFORMS = ("Standard", "AgX", "Filmic", "Filmic Log", "Khronos PBR Neutral", "Raw")
DISPLAY_DEVICES = ("sRGB",)
EXPOSURE_RANGE = (-32.0, 32.0)
GAMMA_MAX = 5.0
# The frames a job may hold (tilefarm's `MAX_FRAME` and a manifest's frame list).
MAX_FRAME = 1_048_574
MAX_FRAMES = 100_000
SHOWN_FILES = 4  # outside files named in one finding; the rest are counted


@dataclass(frozen=True)
class OutsideFile:
    """A file outside the .blend that the scene names. `kind` is one of the server's kinds
    (image, library, cache, volume, font, sound, movie_clip); `path` is as saved ('//' = beside
    the .blend); `carriable`: the copy can carry it (an image, font, sound or volume packed, a
    library made local), which needs it `on_disk` and, for a file to pack, `in_folder`: inside
    the .blend's folder (`scene_folder.RULE`; a file elsewhere on the disk is never packed)."""

    kind: str
    name: str
    path: str
    packed: bool
    on_disk: bool
    carriable: bool
    in_folder: bool = True

    @property
    def fate(self) -> Literal["packed", "pack", "make_local", "left"]:
        """What submitting does with it: already packed, packed into the copy, made local in
        the copy (a library), or left out (workers render without it)."""
        if self.packed:
            return "packed"
        if not (self.carriable and self.on_disk and self.in_folder):
            return "left"
        return "make_local" if self.kind == "library" else "pack"

    @property
    def why_left(self) -> str:
        """Why the copy cannot carry it (for a file left out)."""
        if self.carriable and not self.in_folder:
            return OUTSIDE
        if not self.on_disk:
            return "not found on disk"
        return {
            "cache": "caches on disk cannot be packed",
            "movie_clip": "movie clips cannot be packed",
            "image": "image sequences and movies cannot be packed",
            "volume": "volume sequences cannot be packed",
        }.get(self.kind, "cannot be packed")


@dataclass(frozen=True)
class SceneFacts:
    """What the checks need from a scene, read in Blender by `scene_facts.read_scene`."""

    scene: str
    engine: str
    camera: str | None
    frame_start: int
    frame_end: int
    frame_step: int
    view_transform: str
    look: str
    exposure: float
    gamma: float
    display_device: str
    outside_files: Sequence[OutsideFile] = field(default_factory=tuple)


@dataclass(frozen=True)
class Finding:
    """One line of the panel: `topic` (Engine, Files, Colour, Frames, Camera), what was found,
    and, for an error, the option that lets the submission go ahead anyway (None: nothing)."""

    topic: str
    level: Level
    text: str
    unless: Override | None = None


def engine_name(engine: str) -> str:
    """The engine as the artist knows it ("Eevee"), or its raw id for one we do not know."""
    return ENGINE_NAMES.get(engine, engine)


def scene_frames(start: int, end: int, step: int) -> list[int]:
    """The frames Blender renders for this range and step (an empty list for none)."""
    return list(range(start, end + 1, max(step, 1))) if end >= start else []


def frames_text(frames: Sequence[int]) -> str:
    """`frames` (an evenly stepped run) as tilefarm's frame grammar writes it: "7", "1-24",
    "1-239x2" (the last frame rendered, not the scene's end)."""
    if not frames:
        return "none"
    if len(frames) == 1:
        return str(frames[0])
    step = frames[1] - frames[0]
    run = f"{frames[0]}-{frames[-1]}"
    return run if step == 1 else f"{run}x{step}"


def _names(files: Sequence[OutsideFile], *, why: bool = False) -> str:
    shown = [
        f"{f.path or f.name} ({f.kind}{', ' + f.why_left if why else ''})"
        for f in files[:SHOWN_FILES]
    ]
    more = len(files) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def check_engine(facts: SceneFacts) -> Finding:
    if facts.engine == "CYCLES":
        return Finding("Engine", "ok", "Cycles")
    name = engine_name(facts.engine)
    return Finding(
        "Engine",
        "error",
        f"the scene renders with {name}; tilefarm's workers render Cycles only: switch the "
        "engine to Cycles, or tick 'Render with Cycles instead' (the look may differ)",
        unless="cycles_instead",
    )


def plural(n: int, one: str, many: str) -> str:
    """`1 file`, `2 files`."""
    return f"{n} {one if n == 1 else many}"


def _left_fix(left: Sequence[OutsideFile]) -> str:
    """What brings files left out into the copy: finding the missing ones, moving those outside
    the scene's folder into it."""
    fixes = []
    if any(not f.on_disk and (f.in_folder or not f.carriable) for f in left):
        fixes.append("File > External Data > Find Missing Files")
    if any(f.carriable and not f.in_folder for f in left):
        fixes.append("move the files outside the scene's folder into it and relink them")
    return "; ".join(fixes) or "File > External Data > Find Missing Files"


def check_files(facts: SceneFacts) -> list[Finding]:
    by_fate: dict[str, list[OutsideFile]] = {}
    for f in facts.outside_files:
        by_fate.setdefault(f.fate, []).append(f)
    findings = []
    if left := by_fate.get("left"):
        findings.append(
            Finding(
                "Files",
                "error",
                f"{plural(len(left), 'file', 'files')} the copy cannot carry: "
                f"{_names(left, why=True)}; workers would render without them "
                f"({_left_fix(left)}, or tick 'Submit without them')",
                unless="allow_missing",
            )
        )
    if pack := by_fate.get("pack"):
        said = f"{plural(len(pack), 'file', 'files')} packed into the copy: {_names(pack)}"
        findings.append(Finding("Files", "info", said))
    if local := by_fate.get("make_local"):
        said = f"{plural(len(local), 'library', 'libraries')} made local in the copy"
        findings.append(Finding("Files", "info", f"{said}: {_names(local)}"))
    if not findings:
        carried = len(by_fate.get("packed", []))
        said = f"all {carried} outside files are packed" if carried else "no outside files"
        findings.append(Finding("Files", "ok", said))
    return findings


def check_colour(facts: SceneFacts) -> Finding:
    look = "" if facts.look in ("", "None") else f", look {facts.look}"
    said = (
        f"{facts.view_transform}{look}, exposure {facts.exposure:g}, gamma {facts.gamma:g}, "
        f"{facts.display_device} display"
    )
    problems = []
    if facts.view_transform not in VIEW_TRANSFORMS:
        problems.append(f"view transform '{facts.view_transform}'")
    if facts.display_device not in DISPLAY_DEVICES:
        problems.append(f"display '{facts.display_device}'")
    if not EXPOSURE_RANGE[0] <= facts.exposure <= EXPOSURE_RANGE[1]:
        problems.append(f"exposure {facts.exposure:g} (outside {EXPOSURE_RANGE[0]:g}..32)")
    if not 0.0 < facts.gamma <= GAMMA_MAX:
        problems.append(f"gamma {facts.gamma:g} (outside 0..{GAMMA_MAX:g})")
    if not problems:
        return Finding("Colour", "ok", f"{said}: the frames come back with this look")
    return Finding(
        "Colour",
        "warning",
        f"{said}: tilefarm cannot deliver the {' or '.join(problems)}; the job page asks you to "
        f"choose among {', '.join(VIEW_TRANSFORMS)} on an sRGB display",
    )


def check_frames(facts: SceneFacts) -> Finding:
    """The scene's range in the frame grammar the job page reads. A range no job can hold is a
    warning, not an error: the frames are chosen again on the job page."""
    frames = scene_frames(facts.frame_start, facts.frame_end, facts.frame_step)
    text = frames_text(frames)
    problem = None
    if not frames:
        problem = "the frame range is empty"
    elif frames[0] < 0 or frames[-1] > MAX_FRAME:
        problem = f"frames {text} go outside 0..{MAX_FRAME:,}, the frames tilefarm renders"
    elif len(frames) > MAX_FRAMES:
        problem = f"{len(frames):,} frames is more than a job renders ({MAX_FRAMES:,})"
    if problem is not None:
        return Finding("Frames", "warning", f"{problem}: choose the frames on the job page")
    count = "1 frame" if len(frames) == 1 else f"{len(frames):,} frames"
    return Finding("Frames", "ok", f"{text} ({count}); the job page can change them")


def check_camera(facts: SceneFacts) -> Finding:
    if facts.camera is None:
        return Finding("Camera", "error", "the scene has no active camera: nothing would render")
    return Finding("Camera", "ok", facts.camera)


def check_scene(facts: SceneFacts) -> list[Finding]:
    """Every finding about `facts`, in the panel's order."""
    return [
        check_engine(facts),
        *check_files(facts),
        check_colour(facts),
        check_frames(facts),
        check_camera(facts),
    ]


def blocking(
    findings: Sequence[Finding], *, cycles_instead: bool, allow_missing: bool
) -> list[Finding]:
    """The errors that stop a submission with these options chosen."""
    chosen = {"cycles_instead": cycles_instead, "allow_missing": allow_missing}
    return [f for f in findings if f.level == "error" and not (f.unless and chosen[f.unless])]
