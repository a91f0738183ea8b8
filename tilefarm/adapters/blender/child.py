"""The Blender child: the one module that imports bpy.

Run as `python -m tilefarm.adapters.blender.child`.

It reads JSON-line requests (`tilefarm.adapters.blender.protocol`) on stdin and writes events on a
private copy of stdout; Blender's own console output is redirected to stderr so it can never corrupt
the protocol. Files are untrusted: they are opened with scripts disabled (no auto-run text blocks,
no Python drivers, no app handlers registered by the file). The launcher runs this process without
network access, in a scratch directory, under time and memory limits.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pydantic import BaseModel, ValidationError

from tilefarm.adapters.blender import frame_child, pack_child, scene_files, tbb_threads
from tilefarm.adapters.blender.devices import (
    Device,
    DeviceSelection,
    cpu_fallback,
    select_devices,
)
from tilefarm.adapters.blender.gpu_failures import (
    GPU_CAUSES,
    classify,
    cpu_refused,
    may_retry_on_cpu,
    words,
)
from tilefarm.adapters.blender.protocol import (
    REQUEST,
    TEST_FAIL_GPU_RENDER,
    TEST_PRETEND_GPU,
    TRUST_SCRIPTS_FLAG,
    BuildScene,
    Bye,
    CopyPacked,
    Denoise,
    Denoised,
    DevicesListed,
    ErrorCode,
    Failed,
    Inspect,
    Inspected,
    ListDevices,
    NetworkProbed,
    Opened,
    OpenScene,
    PackCopy,
    Preview,
    Previewed,
    ProbeNetwork,
    Ready,
    RegionRendered,
    Rendered,
    RenderRegions,
    SceneBuilt,
    SceneInfo,
    SceneMemory,
    Shutdown,
    Warning_,
)
from tilefarm.hardware import GPU_BACKENDS, RenderedOn
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import blender_border

# Set in main() before bpy is imported.
bpy: Any = None


class ChildError(Exception):
    """A request failure with a protocol error code."""

    def __init__(
        self, code: ErrorCode, message: str, cause: AbandonCause | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.cause = cause
        self.detail = detail


def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---- what an inspected scene needs in memory (an estimate, not a promise) -----------------------

# What Cycles keeps on the device per element: a vertex is its position and normal (two float4,
# 32 B); a triangle its vertex indices and shader (16 B), its three corners' UVs and normals (48 B)
# and its share of the BVH (about 64 B with Embree or OptiX); a hair curve point its key (a float4)
# and its share of the BVH.
VERTEX_BYTES = 32
TRIANGLE_BYTES = 128
CURVE_POINT_BYTES = 64
# Images Cycles never renders from.
_NOT_TEXTURES = ("RENDER_RESULT", "COMPOSITING")


def _scene_memory() -> SceneMemory:
    """The open scene's textures and geometry as Cycles would hold them. Files outside the .blend
    are never read: the scene is an uploader's, the disk the server's (SceneMemory's figures
    saturate, however large a hostile file makes them)."""
    textures = images = missing = 0
    # Whatever names an outside file (a texture node, a modifier, geometry nodes) must not read it
    # while the geometry is evaluated below: the counts would tell the uploader whether the
    # server has that file, and what is in it.
    _detach_external_images()
    for image in bpy.data.images:
        external = _external(image)
        if image.type in _NOT_TEXTURES or image.users <= int(image.use_fake_user):
            continue  # not used by anything the file keeps
        size = 0 if external else _image_bytes(image)
        images += size > 0
        missing += size == 0
        textures += size
    vertices, triangles, points = _geometry()
    return SceneMemory(
        textures_bytes=textures,
        geometry_bytes=vertices * VERTEX_BYTES
        + triangles * TRIANGLE_BYTES
        + points * CURVE_POINT_BYTES,
        images=images,
        images_missing=missing,
        vertices=vertices,
        triangles=triangles,
    )


def _detach_external_images() -> None:
    """Every image whose pixels would come from a file on this machine's disk reads nothing: a
    scene is an artist's and the disk a worker's (or the server's). Read, such a file would put
    the machine's own data into the pixels an artist receives, and make two honest workers'
    renders differ by what their disks hold. A scene carries its images packed."""
    for image in bpy.data.images:
        if _external(image):
            with contextlib.suppress(AttributeError, RuntimeError):  # linked: read-only
                image.filepath = ""


def _external(image: Any) -> bool:
    """Whether an image's pixels would come from a file on the disk of whoever opens the .blend
    rather than from the .blend itself (packed, every UDIM tile of it, generated or rendered)."""
    if image.source in ("FILE", "TILED", "SEQUENCE", "MOVIE"):
        return not scene_files.image_packed(image)
    return False


def _image_bytes(image: Any) -> int:
    """The pixels of an image in the .blend as Cycles stores them (0 when Blender cannot read
    them: a damaged packed file). Reading `size` loads the pixels; they are freed again, so that
    reading a scene of many images holds one at a time."""
    if image.source == "GENERATED":  # RGBA, made when first used: its size is known unmade
        per_channel = 4 if image.use_generated_float else 1
        return int(image.generated_width * image.generated_height * 4 * per_channel)
    tiles = image.tiles if image.source == "TILED" else [image]  # UDIM tiles, each its size
    pixels = sum(width * height for width, height in (tuple(t.size) for t in tiles))
    # Only now, with the pixels loaded, do these say what the buffer holds. Cycles keeps one
    # channel as one and pads RGB (and grey with alpha) to RGBA; 4 bytes a channel from float
    # buffers (a half-float EXR takes 2: over-estimated), 1 from byte buffers.
    per_channel = 4 if image.is_float else 1
    channels = 1 if image.depth == 8 * per_channel else 4
    image.buffers_free()
    return int(pixels * channels * per_channel)


def _geometry() -> tuple[int, int, int]:
    """Vertices, triangles and hair curve points of everything the scene renders, each mesh once
    however often it is instanced (Cycles shares instanced geometry)."""
    for obj in bpy.context.scene.objects:
        # Rendered but hidden in the viewport: evaluate it too (inspect never saves the file).
        if not obj.hide_render:
            obj.hide_viewport = False
            with contextlib.suppress(RuntimeError):  # not in the view layer
                obj.hide_set(False)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    seen: set[int] = set()
    vertices = triangles = points = 0
    for instance in depsgraph.object_instances:
        obj = instance.object
        owner = (instance.parent or obj) if instance.is_instance else obj
        if owner.original.hide_render or obj.data is None or obj.type not in ("MESH", "CURVES"):
            continue  # curves, text, surfaces and metaballs come as meshes of their own
        if obj.data.as_pointer() in seen:
            continue
        seen.add(obj.data.as_pointer())
        if obj.type == "CURVES":
            points += len(obj.data.points)
            continue
        scale = _render_subdivision(obj.original)
        vertices += round(len(obj.data.vertices) * scale)
        triangles += round(len(obj.data.loop_triangles) * scale)
    return vertices, triangles, points


# The render's extra subdivision levels counted, a modifier and an object: Blender's own soft
# maximum for one modifier, and 4^8 (65,536) times the viewport's elements for a whole stack,
# past any scene a GPU holds. A file may ask for far more (11 levels a Subdivision modifier,
# 255 a Multires, modifiers without number): unbounded, the estimate overflows.
MAX_EXTRA_LEVELS = 6
MAX_EXTRA_LEVELS_TOTAL = 8


def _render_subdivision(obj: Any) -> float:
    """How many times more elements a render evaluates than the viewport did (which is what the
    depsgraph evaluated, and far cheaper): each subdivision level the render adds quadruples
    the faces (levels clamped by MAX_EXTRA_LEVELS and MAX_EXTRA_LEVELS_TOTAL). Other modifiers
    are taken at their viewport settings."""
    extra = 0
    for modifier in getattr(obj, "modifiers", ()):
        if modifier.type in ("SUBSURF", "MULTIRES"):
            viewport = modifier.levels if modifier.show_viewport else 0
            render = modifier.render_levels if modifier.show_render else 0
            extra += max(-MAX_EXTRA_LEVELS, min(render - viewport, MAX_EXTRA_LEVELS))
    total = max(-MAX_EXTRA_LEVELS_TOTAL, min(extra, MAX_EXTRA_LEVELS_TOTAL))
    return 4.0**total


class Child:
    """The child's state: the protocol stream and the one open scene."""

    def __init__(self, out: TextIO, *, trust_scripts: bool = False) -> None:
        self.out = out
        # Test-only (`protocol.TRUST_SCRIPTS_FLAG`): files open with their scripts allowed.
        self.trust_scripts = trust_scripts
        self.manifest: RenderManifest | None = None
        self.selection: DeviceSelection | None = None
        # What Cycles listed at the last opening, and the names of the devices it was told to
        # render on.
        self.available: list[Device] = []
        self.enabled: list[str] = []
        # Why a GPU failed in this child, once one has (in words, its cause and Cycles' text):
        # it is not trusted again, and a later opening that may not use the CPU says why.
        self.gpu_failed = ""
        self.gpu_cause: AbandonCause | None = None
        self.gpu_error = ""
        # Why a region whose GPU fails may not be rendered on the CPU ("" when it may), as the
        # opening's policy and the job say (`gpu_failures.cpu_refused`).
        self.cpu_refused = ""

    def emit(self, event: BaseModel) -> None:
        self.out.write(event.model_dump_json() + "\n")
        self.out.flush()

    # ---- opening untrusted files -------------------------------------------------------------

    def _load(self, path: str) -> None:
        # Belt and braces: the global auto-run flag and the operator argument both say no.
        # Test-only (`protocol.TRUST_SCRIPTS_FLAG`): both say yes, as if the guard were broken.
        trusted = self.trust_scripts
        bpy.context.preferences.filepaths.use_scripts_auto_execute = trusted
        if not Path(path).is_file():
            raise ChildError(ErrorCode.NOT_A_BLEND, f"{path} does not exist or is not a file")
        try:
            bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=trusted)
        except RuntimeError as exc:
            text = str(exc).strip()
            if "not supported" in text or "unknown file" in text.lower():
                raise ChildError(
                    ErrorCode.NOT_A_BLEND, f"{path} is not a Blender file: {text}"
                ) from None
            raise ChildError(
                ErrorCode.DAMAGED_BLEND,
                f"{path} is truncated or damaged and cannot be opened: {text}. "
                "Re-save it in Blender (File > Save) and upload it again.",
            ) from None
        if bpy.context.scene is None:
            raise ChildError(ErrorCode.DAMAGED_BLEND, f"{path} contains no scene")
        if bpy.context.scene.library is not None:
            # Its objects, settings and images would all come from another file on this disk.
            raise ChildError(
                ErrorCode.BAD_REQUEST,
                f"{path}'s active scene {bpy.context.scene.name!r} is linked from another "
                "file, which would be read from this machine's disk: make it local (or save "
                "the scene in this file) and upload again",
            )

    def _info(self) -> SceneInfo:
        sc = bpy.context.scene
        r = sc.render
        return SceneInfo(
            scene=sc.name,
            frame_start=sc.frame_start,
            frame_end=sc.frame_end,
            frame_step=max(1, sc.frame_step),  # 0 would render no frame after the first
            fps=r.fps / r.fps_base,
            width=r.resolution_x,
            height=r.resolution_y,
            resolution_percentage=r.resolution_percentage,
            camera=sc.camera.name if sc.camera else None,
            engine=r.engine,
            samples=sc.cycles.samples if r.engine == "CYCLES" else None,
            colour=scene_files.scene_colour(bpy, sc),
        )

    def inspect(self, req: Inspect) -> None:
        self.manifest = None
        self._load(req.blend_path)
        # Read before the memory is counted: outside files are detached for that (images there,
        # the others here), and linked data removed, a linked camera with it.
        files, more = scene_files.external_files(bpy)
        info = self._info()
        scene_files.detach_outside_files(bpy)
        update = {"external_files": files, "external_files_more": more, "memory": _scene_memory()}
        info = info.model_copy(update=update)
        self.emit(Inspected(request_id=req.id, info=info))

    def open(self, req: OpenScene) -> None:
        start = time.monotonic()
        self.manifest = None
        self._load(req.blend_path)
        # Nothing outside the .blend is read: a worker's disk must not reach an artist's pixels.
        _detach_external_images()
        scene_files.detach_outside_files(bpy)
        sc = bpy.context.scene
        if sc.camera is None:
            raise ChildError(
                ErrorCode.NO_CAMERA,
                f"scene {sc.name!r} in {req.blend_path} has no active camera: add a camera and "
                "make it active (Scene properties > Camera), then upload again",
            )
        if bpy.app.version_string != req.manifest.blender_version:
            raise ChildError(
                ErrorCode.BAD_REQUEST,
                f"the manifest needs Blender {req.manifest.blender_version} but this worker runs "
                f"{bpy.app.version_string}: its pixels would not match",
            )
        info = self._info()
        threads = req.threads or os.cpu_count() or 1
        self._apply_manifest(req.manifest, threads)
        self.cpu_refused = cpu_refused(req.cpu_fallback, req.manifest.requirements.allows_cpu)
        self.selection = self._apply_devices(req.id, req.devices)
        self.manifest = req.manifest
        self.emit(
            Opened(
                request_id=req.id,
                info=info,
                selection=self.selection,
                rendered_on=self._rendered_on(),
                threads=threads,
                seconds=time.monotonic() - start,
            )
        )

    def _apply_manifest(self, m: RenderManifest, threads: int) -> None:
        sc = bpy.context.scene
        r = sc.render
        c = sc.cycles
        r.engine = "CYCLES"
        r.resolution_x = m.resolution.width
        r.resolution_y = m.resolution.height
        r.resolution_percentage = 100
        r.use_multiview = False
        # Post-processing would run per tile: a file's compositor (glare, denoise nodes), the
        # sequencer and burnt-in stamps all change pixels differently per tile.
        r.use_compositing = False
        r.use_sequencer = False
        r.use_stamp = False
        # Keep the synced scene (BVH, textures) between the many tile renders of one scene:
        # a tile then costs its samples, not a scene reload.
        r.use_persistent_data = True
        r.threads_mode = "FIXED"
        r.threads = threads
        c.samples = m.samples
        c.seed = m.seed
        c.use_animated_seed = False
        c.use_adaptive_sampling = False
        c.use_denoising = False
        c.sampling_pattern = m.sampling_pattern
        # A time limit would stop at a machine-dependent sample count.
        c.time_limit = 0.0
        if bpy.data.colorspace.working_space != m.colour.working_space:
            raise ChildError(
                ErrorCode.BAD_REQUEST,
                f"the manifest says working space {m.colour.working_space!r} but the scene "
                f"renders in {bpy.data.colorspace.working_space!r}",
            )
        sc.display_settings.display_device = m.colour.display_device  # first: views depend on it
        vs = sc.view_settings
        vs.view_transform = m.colour.view_transform
        vs.look = m.colour.look
        vs.exposure = m.colour.exposure
        vs.gamma = m.colour.gamma
        vs.use_white_balance = m.colour.use_white_balance
        vs.white_balance_temperature = m.colour.white_balance_temperature
        vs.white_balance_tint = m.colour.white_balance_tint
        r.dither_intensity = m.colour.dither_intensity
        img = r.image_settings
        img.media_type = "IMAGE"
        img.file_format = m.output.file_format
        img.color_mode = m.output.channels
        img.color_depth = m.output.color_depth
        img.exr_codec = m.output.codec
        # A file's Output > Color Management "Override" would change the EXR tiles' values.
        img.color_management = "FOLLOW_SCENE"

    def _apply_devices(self, request_id: int, spec: Any) -> DeviceSelection:
        available = self.available = self._devices()
        selection = select_devices(available, spec)
        pretend = os.environ.get(TEST_PRETEND_GPU, "")
        if spec == ["CPU"]:  # asked for the CPU alone (a job that requires it): no pretending
            pretend = ""
        if pretend in GPU_BACKENDS:
            # Test-only (`protocol.TEST_PRETEND_GPU`): a GPU selection that renders on the CPU.
            device = Device(type=pretend, name=f"{pretend} device a test pretends", id=pretend)
            selection = DeviceSelection(backend=pretend, devices=[device])
        if selection.uses_gpu and self.gpu_failed:
            if self.cpu_refused:
                message = f"{self.gpu_failed}, earlier in this child; {self.cpu_refused}"
                raise ChildError(ErrorCode.GPU_FAILED, message, self.gpu_cause, self.gpu_error)
            reason = f"it failed earlier in this child: {self.gpu_failed}"
            selection = cpu_fallback(selection, reason, available)
        enabled = [d.name for d in selection.devices]
        if selection.uses_gpu and pretend not in GPU_BACKENDS:
            try:
                prefs = bpy.context.preferences.addons["cycles"].preferences
                prefs.compute_device_type = selection.backend
                prefs.refresh_devices()
                ids = {d.id for d in selection.devices}
                for dev in prefs.devices:
                    dev.use = dev.id in ids
                enabled = [dev.name for dev in prefs.devices if dev.use]
                bpy.context.scene.cycles.device = "GPU"
            except Exception as exc:
                selection = cpu_fallback(selection, str(exc), available)
                enabled = [d.name for d in selection.devices]
        if not selection.uses_gpu or pretend in GPU_BACKENDS:
            bpy.context.scene.cycles.device = "CPU"
        self.enabled = enabled
        for warning in selection.warnings:
            self.emit(Warning_(request_id=request_id, message=warning))
        return selection

    def _rendered_on(self) -> RenderedOn:
        """What the current selection renders on, as Cycles was told (the parent adds the
        driver, which bpy does not know)."""
        sel = self.selection
        build = bpy.app.build_hash
        build = build.decode() if isinstance(build, bytes) else str(build)
        return RenderedOn.model_validate(
            {
                "backend": "CPU" if sel is None else sel.backend,
                "device": ", ".join(dict.fromkeys(self.enabled))[:256],
                "blender": f"{bpy.app.version_string} ({build})",
            }
        )

    def _devices(self) -> list[Device]:
        prefs = bpy.context.preferences.addons["cycles"].preferences
        prefs.refresh_devices()
        return [Device(type=d.type, name=d.name, id=d.id) for d in prefs.devices]

    # ---- rendering ---------------------------------------------------------------------------

    def render(self, req: RenderRegions) -> None:
        m = self.manifest
        if m is None:
            raise ChildError(ErrorCode.NO_SCENE_OPEN, "open a scene with a manifest first")
        start = time.monotonic()
        out_dir = Path(req.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        sc = bpy.context.scene
        sc.frame_set(req.frame)
        width, height = m.resolution.width, m.resolution.height
        for region in req.regions:
            t0 = time.monotonic()
            rect = region.rect
            r = sc.render
            if rect.x == 0 and rect.y == 0 and rect.width == width and rect.height == height:
                r.use_border = False
            else:
                border = blender_border(rect, width, height)
                r.use_border = True
                r.use_crop_to_border = True
                r.border_min_x, r.border_max_x = border.min_x, border.max_x
                r.border_min_y, r.border_max_y = border.min_y, border.max_y
            rendered_on = self._render_once(req.id)
            result = bpy.data.images["Render Result"]
            path = out_dir / f"{region.key}.exr"
            try:
                result.save_render(filepath=str(path), scene=sc)
            except RuntimeError as exc:
                raise ChildError(ErrorCode.RENDER_FAILED, f"cannot write {path}: {exc}") from None
            self.emit(
                RegionRendered(
                    request_id=req.id,
                    key=region.key,
                    path=str(path),
                    seconds=time.monotonic() - t0,
                    rendered_on=rendered_on,
                )
            )
        self.emit(
            Rendered(
                request_id=req.id,
                count=len(req.regions),
                seconds=time.monotonic() - start,
                peak_rss_bytes=_peak_rss_bytes(),
            )
        )

    def _render_once(self, request_id: int) -> RenderedOn:
        """Render the current region; returns what it was rendered on.

        A GPU's own failure (`gpu_failures.classify`) is rendered once more on the CPU when the
        opening allows it (`OpenScene.cpu_fallback`), loudly, and the rest of this child's
        renders stay there: the retry lives here, beside the open scene and its persistent
        data, so it costs one render, not a new child and a scene loaded again. Otherwise it is
        reported as `GPU_FAILED` with its cause and Cycles' text."""
        sel = self.selection
        try:
            self._render()
            return self._rendered_on()
        except RuntimeError as exc:
            failure = str(exc).strip()
        if sel is None or not sel.uses_gpu:
            raise ChildError(ErrorCode.RENDER_FAILED, f"Blender failed to render: {failure}")
        cause = classify(failure)
        if cause not in GPU_CAUSES:
            message = f"Blender failed to render on {sel.backend}: {failure}"
            raise ChildError(ErrorCode.RENDER_FAILED, message)
        said = f"{words(cause)}: {failure}"
        failed = f"{sel.backend}: {said}"
        if not self.gpu_failed:  # the first failure is what a later opening reports
            self.gpu_failed, self.gpu_cause, self.gpu_error = failed, cause, failure
        if not may_retry_on_cpu(cause, not self.cpu_refused):
            message = f"{failed}; {self.cpu_refused}"
            raise ChildError(ErrorCode.GPU_FAILED, message, cause, failure)
        self.selection = cpu_fallback(sel, said, self.available)
        self.enabled = [d.name for d in self.selection.devices]
        bpy.context.scene.cycles.device = "CPU"
        warning = f"{self.selection.warnings[-1]}, this region and every later one of this child"
        self.emit(Warning_(request_id=request_id, message=warning))
        try:
            self._render()
        except RuntimeError as exc:
            again = str(exc).strip()
            message = f"{failed}; rendering it again on the CPU failed too: {again}"
            raise ChildError(ErrorCode.GPU_FAILED, message, cause, failure) from None
        return self._rendered_on()

    def _render(self) -> None:
        sel = self.selection
        failure = os.environ.get(TEST_FAIL_GPU_RENDER, "")
        if failure and sel is not None and sel.uses_gpu:
            raise RuntimeError(failure)  # test-only: `protocol.TEST_FAIL_GPU_RENDER`
        bpy.ops.render.render(write_still=False)

    # ---- other requests ----------------------------------------------------------------------

    def devices(self, req: ListDevices) -> None:
        self.emit(DevicesListed(request_id=req.id, devices=self._devices()))

    def build_scene(self, req: BuildScene) -> None:
        self.manifest = None
        try:
            builders = importlib.import_module(req.builder)
        except ImportError as exc:
            message = f"no scene builder {req.builder!r}: {exc}"
            raise ChildError(ErrorCode.BAD_REQUEST, message) from None
        try:
            builders.build(bpy, req.name)
        except KeyError as exc:
            raise ChildError(ErrorCode.BAD_REQUEST, str(exc.args[0])) from None
        out = Path(req.out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        bpy.ops.wm.save_as_mainfile(filepath=str(out), compress=True, copy=True)
        self.emit(SceneBuilt(request_id=req.id, path=str(out), info=self._info()))

    def denoise(self, req: Denoise) -> None:
        self.manifest = None
        frame_child.denoise_exr(bpy, req.in_path, req.out_path)
        self.emit(Denoised(request_id=req.id, path=req.out_path))

    def preview(self, req: Preview) -> None:
        self.manifest = None
        frame_child.preview_png(bpy, req.in_path, req.out_path, req.colour)
        self.emit(Previewed(request_id=req.id, path=req.out_path))

    def pack_copy(self, req: PackCopy) -> None:
        self.manifest = None
        self._load(req.blend_path)
        _packed, made_local = pack_child.pack_copy(bpy, req.out_path, req.pack_from)
        self._load(req.out_path)  # what the copy names, as whoever opens it will read it
        files, _more = scene_files.external_files(bpy)
        self.emit(
            CopyPacked(
                request_id=req.id,
                path=req.out_path,
                packed=[f for f in files if f.packed],
                made_local=made_local,
                still_missing=[f for f in files if not f.packed],
            )
        )

    def probe_network(self, req: ProbeNetwork) -> None:
        try:
            with socket.create_connection((req.host, req.port), timeout=3):
                pass
        except OSError as exc:
            self.emit(NetworkProbed(request_id=req.id, connected=False, detail=str(exc)))
            return
        self.emit(NetworkProbed(request_id=req.id, connected=True, detail="connected"))

    # ---- loop --------------------------------------------------------------------------------

    def serve(self, stdin: TextIO) -> None:
        for line in stdin:
            if not line.strip():
                continue
            request_id: int | None = None
            try:
                req = REQUEST.validate_json(line)
                request_id = req.id
                if isinstance(req, Shutdown):
                    self.emit(Bye(request_id=req.id))
                    return
                handlers: dict[type[BaseModel], Callable[[Any], None]] = {
                    OpenScene: self.open,
                    Inspect: self.inspect,
                    RenderRegions: self.render,
                    ListDevices: self.devices,
                    BuildScene: self.build_scene,
                    Denoise: self.denoise,
                    Preview: self.preview,
                    PackCopy: self.pack_copy,
                    ProbeNetwork: self.probe_network,
                }
                handlers[type(req)](req)
            except ValidationError as exc:
                self.emit(
                    Failed(
                        request_id=request_id,
                        code=ErrorCode.BAD_REQUEST,
                        message=f"malformed request: {exc}",
                    )
                )
            except ChildError as exc:
                self.emit(
                    Failed(
                        request_id=request_id,
                        code=exc.code,
                        message=str(exc),
                        cause=exc.cause,
                        detail=exc.detail,
                    )
                )
            except Exception as exc:
                self.emit(
                    Failed(
                        request_id=request_id,
                        code=ErrorCode.INTERNAL,
                        message=f"{type(exc).__name__}: {exc}",
                    )
                )


def _exit_with_parent() -> None:
    # A killed worker must not leave renders running: stdin EOF only ends the loop after the
    # current render, so watch the parent too (a new parent pid means ours is gone).
    parent = os.getppid()
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(0.5)


def _set_limits(args: list[str]) -> bool:
    """Apply the limits the parent passed, before bpy maps anything, soft and hard alike so that
    nothing in this process can lift them again: `--address-space BYTES`
    (`process.ChildLimits.address_space_bytes`, `RLIMIT_AS`) and `--file-size BYTES` (the
    largest file it may write, `RLIMIT_FSIZE`). Returns whether `TRUST_SCRIPTS_FLAG` was passed."""
    rlimits = {"--address-space": resource.RLIMIT_AS, "--file-size": resource.RLIMIT_FSIZE}
    trusted = False
    rest = iter(args)
    for arg in rest:
        if arg == TRUST_SCRIPTS_FLAG:
            trusted = True
        elif arg in rlimits:
            limit = int(next(rest))
            resource.setrlimit(rlimits[arg], (limit, limit))
        else:
            raise SystemExit(f"unknown argument {arg!r}")
    return trusted


def main() -> NoReturn:
    """Entry point: move Blender's console output off the protocol stream, import bpy, serve."""
    global bpy
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    trust_scripts = _set_limits(sys.argv[1:])
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    protocol_fd = os.dup(1)
    # From here on, anything written to fd 1 (Blender's C code, print()) lands on stderr.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)
    if threads := int(os.environ.get(tbb_threads.THREAD_LIMIT_ENV) or 0):
        tbb_threads.limit_threads(threads)
    import bpy as _bpy

    bpy = _bpy
    child = Child(out, trust_scripts=trust_scripts)
    if trust_scripts:
        child.emit(
            Warning_(
                request_id=0,
                message="TEST ONLY: this Blender child runs the scripts of the files it opens "
                f"({TRUST_SCRIPTS_FLAG}); never let it open a stranger's file outside a test",
            )
        )
    child.emit(Ready(pid=os.getpid(), blender_version=bpy.app.version_string))
    child.serve(sys.stdin)
    out.flush()
    # bpy's atexit teardown can be slow or noisy; the protocol is done, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
