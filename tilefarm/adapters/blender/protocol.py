"""The typed JSON-lines protocol between the parent and the Blender child.

The parent writes one request per line on the child's stdin; the child answers with events on its
stdout, each tagged with the request id, ending with exactly one final event (`ok` kinds below
or `error`). Blender's own console output goes to stderr, never into this stream.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

from tilefarm.adapters.blender.devices import Device, DeviceSelection
from tilefarm.adapters.blender.gpu_failures import CpuFallback
from tilefarm.colour import ColourManagement
from tilefarm.hardware import RenderedOn
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import Rect


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Test-only hooks, read by the child from its environment, which the parent builds itself and
# into which it copies these two names from its own (`process.py`): neither a manifest nor a
# .blend can set them. With `TILEFARM_TEST_PRETEND_GPU=CUDA` (any GPU backend) the child calls
# its selection a GPU one and still renders on the CPU, leaving Cycles' preferences alone; with
# `TILEFARM_TEST_FAIL_GPU_RENDER="<Cycles' text>"` every render on a GPU selection fails with that
# text, as Cycles would. Tests drive the GPU failure paths with them on a machine without a GPU.
TEST_PRETEND_GPU = "TILEFARM_TEST_PRETEND_GPU"
TEST_FAIL_GPU_RENDER = "TILEFARM_TEST_FAIL_GPU_RENDER"
TEST_HOOKS = (TEST_PRETEND_GPU, TEST_FAIL_GPU_RENDER)
# The child's command-line flag with which it opens files with their scripts allowed, as a
# Blender would whose script guard an exploit got past: the sandbox tests let a hostile .blend's
# own Python run inside the real, shut-in child to show what it can and cannot reach. Only a
# caller's code sets it (`ChildProcess(trust_scripts=True)`, the tests'), never the environment
# or a setting, and the child says so in a warning when it starts.
TRUST_SCRIPTS_FLAG = "--trust-scripts"


# ---- requests (parent -> child) ---------------------------------------------------------------


class OpenScene(_Msg):
    """Open an untrusted .blend with scripts disabled and apply the manifest to it."""

    op: Literal["open"] = "open"
    id: int
    blend_path: str
    manifest: RenderManifest
    threads: int = Field(ge=0, description="0 = one per CPU core")
    devices: Literal["auto"] | list[str] = "auto"
    # Whether a region whose GPU fails is rendered again on the CPU (`gpu_failures.CpuFallback`).
    cpu_fallback: CpuFallback = "job"


class Inspect(_Msg):
    """Open an untrusted .blend with scripts disabled and report what is in it."""

    op: Literal["inspect"] = "inspect"
    id: int
    blend_path: str


class Region(_Msg):
    """One rectangle to render: a tile or a verification patch."""

    key: str
    rect: Rect


class RenderRegions(_Msg):
    """Render rectangles of one frame of the open scene, one float EXR each, into `out_dir`."""

    op: Literal["render"] = "render"
    id: int
    frame: int
    regions: list[Region] = Field(min_length=1)
    out_dir: str


class ListDevices(_Msg):
    """Report every device Cycles can see."""

    op: Literal["devices"] = "devices"
    id: int


class BuildScene(_Msg):
    """Build a procedural scene with `builder.build(bpy, name)` and save it as a .blend.

    `builder` names the module (a program's, above this adapter) that the child imports to build
    the scene, so the adapter never imports the programs that use it.
    """

    op: Literal["build_scene"] = "build_scene"
    id: int
    builder: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")]
    name: str
    out_path: str


class Denoise(_Msg):
    """Denoise a whole stitched frame (EXR in, EXR out) with Open Image Denoise."""

    op: Literal["denoise"] = "denoise"
    id: int
    in_path: str
    out_path: str


class Preview(_Msg):
    """Save a whole frame EXR as PNG through Blender's colour management."""

    op: Literal["preview"] = "preview"
    id: int
    in_path: str
    out_path: str
    colour: ColourManagement


class PackCopy(_Msg):
    """Save a copy of an artist's .blend that carries what Blender can put inside it: images,
    fonts, sounds and volumes packed, linked libraries' data made local. Runs on the ARTIST'S
    machine (their own files are read); the original file is never written."""

    op: Literal["pack_copy"] = "pack_copy"
    id: int
    blend_path: str
    out_path: str
    # Folders besides the .blend's own whose files may be packed (the artist's asset folders).
    pack_from: list[str] = Field(default_factory=list, max_length=64)


class ProbeNetwork(_Msg):
    """Try a TCP connection from inside the child: a diagnostic that the sandbox holds."""

    op: Literal["probe_network"] = "probe_network"
    id: int
    host: str
    port: int


class Shutdown(_Msg):
    """Finish and exit."""

    op: Literal["shutdown"] = "shutdown"
    id: int


Request = Annotated[
    OpenScene
    | Inspect
    | RenderRegions
    | ListDevices
    | BuildScene
    | Denoise
    | Preview
    | PackCopy
    | ProbeNetwork
    | Shutdown,
    Field(discriminator="op"),
]
REQUEST: TypeAdapter[Any] = TypeAdapter(Request)

# ---- events (child -> parent) -----------------------------------------------------------------


class ErrorCode(StrEnum):
    """Why a request failed; the parent maps each to one exception class."""

    NOT_A_BLEND = "not_a_blend"
    DAMAGED_BLEND = "damaged_blend"
    NO_CAMERA = "no_camera"
    NO_SCENE_OPEN = "no_scene_open"
    BAD_REQUEST = "bad_request"
    RENDER_FAILED = "render_failed"
    GPU_FAILED = "gpu_failed"  # a GPU's own failure; `Failed.cause` says which
    INTERNAL = "internal"


# A scene's figures saturate here: far past any machine's memory, and still a number a
# browser's JSON holds exactly. A hostile .blend can make an estimate grow without bound.
SCENE_MEMORY_MAX = 2**53


def _saturate(value: object) -> object:
    return min(value, SCENE_MEMORY_MAX) if isinstance(value, int) else value


# A count that saturates at SCENE_MEMORY_MAX rather than being refused: what a child counts and
# what a server stored before the bound are both read as "at least that much".
SceneFigure = Annotated[int, Field(ge=0, le=SCENE_MEMORY_MAX), BeforeValidator(_saturate)]


class SceneMemory(_Msg):
    """What a scene needs in memory to render, as far as Blender can tell when it inspects the
    .blend: an estimate, not a promise (Cycles adds its own buffers, kernels and BVH build
    peaks). Counted by the child's `inspect` only. Every figure saturates at 2^53."""

    textures_bytes: SceneFigure = Field(
        description="the images packed into the .blend or generated, as Cycles stores them"
    )
    geometry_bytes: SceneFigure = Field(description="the evaluated meshes and curves")
    images: SceneFigure = Field(description="images counted in textures_bytes")
    images_missing: SceneFigure = Field(
        0,
        description="images used that are not in the .blend (external files, never read "
        "at intake: workers will not have them either)",
    )
    vertices: SceneFigure = 0
    triangles: SceneFigure


# What kind of outside file a scene names: an image (texture, UDIM set, image sequence, movie
# texture), a linked .blend library, a cache (point cache on disk, fluid/ocean bake, Alembic or
# USD cache file), a volume (OpenVDB), a font, a sound, or a movie clip (motion tracking).
ExternalKind = Literal["image", "library", "cache", "volume", "font", "sound", "movie_clip"]
# At most this many outside files are listed; `SceneInfo.external_files_more` counts the rest.
MAX_EXTERNAL_FILES = 500


class ExternalFile(_Msg):
    """One file outside the .blend that the scene names, as the scene names it."""

    kind: ExternalKind
    name: Annotated[str, Field(max_length=256, description="the data-block's name in Blender")]
    path: Annotated[
        str,
        Field(max_length=1024, description="the path as saved in the .blend ('//' = beside it)"),
    ]
    packed: bool = Field(
        description="carried inside the .blend (packed): workers render with it; not packed, "
        "no worker has it"
    )


class SceneColour(_Msg):
    """The scene's colour management as saved (raw names: a value the manifest cannot carry is
    shown to the artist, not silently replaced)."""

    view_transform: Annotated[str, Field(max_length=64)]
    look: Annotated[str, Field(max_length=64)]
    exposure: float
    gamma: float
    display_device: Annotated[str, Field(max_length=64)]
    dither_intensity: float = 0.0
    working_space: Annotated[str, Field(max_length=64)] = "Linear Rec.709"
    use_white_balance: bool = False
    white_balance_temperature: float = 6500.0
    white_balance_tint: float = 10.0
    # The file saves its renders with its own colour settings (Output > Color Management >
    # Override): these fields are read from there, since that is what Blender writes.
    output_override: bool = False


class SceneInfo(_Msg):
    """What was read from a .blend (shown to the artist before posting a job)."""

    scene: str
    frame_start: int
    frame_end: int
    frame_step: int = 1
    fps: float
    width: int
    height: int
    resolution_percentage: int
    camera: str | None
    engine: str
    samples: int | None
    # Only `inspect` estimates it (None: not estimated).
    memory: SceneMemory | None = None
    # Only `inspect` lists them (older records: empty, None).
    external_files: list[ExternalFile] = Field(
        default_factory=list,
        description=f"every outside file the scene names (at most {MAX_EXTERNAL_FILES})",
    )
    external_files_more: int = Field(0, description="outside files beyond the listed ones")
    colour: SceneColour | None = None

    @property
    def missing_files(self) -> list[ExternalFile]:
        """The outside files the .blend does not carry."""
        return [f for f in self.external_files if not f.packed]


class Ready(_Msg):
    """First line the child prints: it imported bpy and waits for requests."""

    event: Literal["ready"] = "ready"
    pid: int
    blender_version: str


class Warning_(_Msg):
    """Something the operator should know, not fatal (e.g. a GPU fell back to the CPU)."""

    event: Literal["warning"] = "warning"
    request_id: int
    message: str


class Opened(_Msg):
    """The scene is open and configured for the manifest."""

    event: Literal["opened"] = "opened"
    request_id: int
    info: SceneInfo
    selection: DeviceSelection
    # What the renders of this opening run on (the driver is the parent's to fill in).
    rendered_on: RenderedOn
    threads: int
    seconds: float


class Inspected(_Msg):
    """Result of `inspect`."""

    event: Literal["inspected"] = "inspected"
    request_id: int
    info: SceneInfo


class RegionRendered(_Msg):
    """Progress: one region is rendered and written."""

    event: Literal["region_rendered"] = "region_rendered"
    request_id: int
    key: str
    path: str
    seconds: float
    # What this region was rendered on: a GPU that failed mid-job leaves the rest to the CPU.
    rendered_on: RenderedOn


class Rendered(_Msg):
    """Every region of the request is done."""

    event: Literal["rendered"] = "rendered"
    request_id: int
    count: int
    seconds: float
    peak_rss_bytes: int


class DevicesListed(_Msg):
    """Result of `devices`."""

    event: Literal["devices"] = "devices"
    request_id: int
    devices: list[Device]


class SceneBuilt(_Msg):
    """Result of `build_scene`."""

    event: Literal["scene_built"] = "scene_built"
    request_id: int
    path: str
    info: SceneInfo


class Denoised(_Msg):
    """Result of `denoise`."""

    event: Literal["denoised"] = "denoised"
    request_id: int
    path: str


class Previewed(_Msg):
    """Result of `preview`."""

    event: Literal["previewed"] = "previewed"
    request_id: int
    path: str


class CopyPacked(_Msg):
    """Result of `pack_copy`: the copy's path, what now travels inside it, and the outside files
    it still names (caches, movie clips, sequences: Blender cannot pack them)."""

    event: Literal["copy_packed"] = "copy_packed"
    request_id: int
    path: str
    packed: list[ExternalFile]
    made_local: int = Field(description="data-blocks of linked libraries copied into the file")
    still_missing: list[ExternalFile]


class NetworkProbed(_Msg):
    """Result of `probe_network`."""

    event: Literal["network_probed"] = "network_probed"
    request_id: int
    connected: bool
    detail: str


class Bye(_Msg):
    """Result of `shutdown`."""

    event: Literal["bye"] = "bye"
    request_id: int


class Failed(_Msg):
    """The request failed; the child stays usable unless it says otherwise by exiting."""

    event: Literal["error"] = "error"
    request_id: int | None
    code: ErrorCode
    message: str
    # For `GPU_FAILED`: the market's cause and Cycles' own text.
    cause: AbandonCause | None = None
    detail: str = ""


Event = Annotated[
    Ready
    | Warning_
    | Opened
    | Inspected
    | RegionRendered
    | Rendered
    | DevicesListed
    | SceneBuilt
    | Denoised
    | Previewed
    | CopyPacked
    | NetworkProbed
    | Bye
    | Failed,
    Field(discriminator="event"),
]
EVENT: TypeAdapter[Any] = TypeAdapter(Event)

# Events that end a request; everything else is progress.
FINAL_EVENTS = (
    Opened,
    Inspected,
    Rendered,
    DevicesListed,
    SceneBuilt,
    Denoised,
    Previewed,
    CopyPacked,
    NetworkProbed,
    Bye,
    Failed,
)
