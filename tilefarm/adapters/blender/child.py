"""The Blender child: the one module that imports bpy.

Run as `python -m tilefarm.adapters.blender.child`.

It reads JSON-line requests (`tilefarm.adapters.blender.protocol`) on stdin and writes events on a
private copy of stdout; Blender's own console output is redirected to stderr so it can never corrupt
the protocol. Files are untrusted: they are opened with scripts disabled (no auto-run text blocks,
no Python drivers, no app handlers registered by the file). The launcher runs this process without
network access, in a scratch directory, under time and memory limits.
"""

from __future__ import annotations

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

from tilefarm.adapters.blender import frame_child
from tilefarm.adapters.blender.devices import (
    Device,
    DeviceSelection,
    cpu_fallback,
    select_devices,
)
from tilefarm.adapters.blender.protocol import (
    REQUEST,
    BuildScene,
    Bye,
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
    Preview,
    Previewed,
    ProbeNetwork,
    Ready,
    RegionRendered,
    Rendered,
    RenderRegions,
    SceneBuilt,
    SceneInfo,
    Shutdown,
    Warning_,
)
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import blender_border

# Set in main() before bpy is imported.
bpy: Any = None


class ChildError(Exception):
    """A request failure with a protocol error code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Child:
    """The child's state: the protocol stream and the one open scene."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.manifest: RenderManifest | None = None
        self.selection: DeviceSelection | None = None

    def emit(self, event: BaseModel) -> None:
        self.out.write(event.model_dump_json() + "\n")
        self.out.flush()

    # ---- opening untrusted files -------------------------------------------------------------

    def _load(self, path: str) -> None:
        # Belt and braces: the global auto-run flag and the operator argument both say no.
        bpy.context.preferences.filepaths.use_scripts_auto_execute = False
        if not Path(path).is_file():
            raise ChildError(ErrorCode.NOT_A_BLEND, f"{path} does not exist or is not a file")
        try:
            bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
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

    def _info(self) -> SceneInfo:
        sc = bpy.context.scene
        r = sc.render
        return SceneInfo(
            scene=sc.name,
            frame_start=sc.frame_start,
            frame_end=sc.frame_end,
            fps=r.fps / r.fps_base,
            width=r.resolution_x,
            height=r.resolution_y,
            resolution_percentage=r.resolution_percentage,
            camera=sc.camera.name if sc.camera else None,
            engine=r.engine,
            samples=sc.cycles.samples if r.engine == "CYCLES" else None,
        )

    def inspect(self, req: Inspect) -> None:
        self.manifest = None
        self._load(req.blend_path)
        self.emit(Inspected(request_id=req.id, info=self._info()))

    def open(self, req: OpenScene) -> None:
        start = time.monotonic()
        self.manifest = None
        self._load(req.blend_path)
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
        self.selection = self._apply_devices(req.id, req.devices)
        self.manifest = req.manifest
        self.emit(
            Opened(
                request_id=req.id,
                info=info,
                selection=self.selection,
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
        vs = sc.view_settings
        vs.view_transform = m.colour.view_transform
        vs.look = m.colour.look
        vs.exposure = m.colour.exposure
        vs.gamma = m.colour.gamma
        sc.display_settings.display_device = m.colour.display_device
        img = r.image_settings
        img.media_type = "IMAGE"
        img.file_format = m.output.file_format
        img.color_mode = m.output.channels
        img.color_depth = m.output.color_depth
        img.exr_codec = m.output.codec

    def _apply_devices(self, request_id: int, spec: Any) -> DeviceSelection:
        available = self._devices()
        selection = select_devices(available, spec)
        if selection.uses_gpu:
            try:
                prefs = bpy.context.preferences.addons["cycles"].preferences
                prefs.compute_device_type = selection.backend
                prefs.refresh_devices()
                ids = {d.id for d in selection.devices}
                for dev in prefs.devices:
                    dev.use = dev.id in ids
                bpy.context.scene.cycles.device = "GPU"
            except Exception as exc:
                selection = cpu_fallback(selection, str(exc))
        if not selection.uses_gpu:
            bpy.context.scene.cycles.device = "CPU"
        for warning in selection.warnings:
            self.emit(Warning_(request_id=request_id, message=warning))
        return selection

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
            self._render_once(req.id)
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

    def _render_once(self, request_id: int) -> None:
        try:
            bpy.ops.render.render(write_still=False)
            return
        except RuntimeError as exc:
            failure = str(exc).strip()
        sel = self.selection
        if sel is not None and sel.uses_gpu:
            # A GPU that fails at render time (driver, kernel, out of memory) falls back to the
            # CPU, loudly; the pixels then follow the CPU kernel.
            self.selection = cpu_fallback(sel, failure)
            bpy.context.scene.cycles.device = "CPU"
            self.emit(Warning_(request_id=request_id, message=self.selection.warnings[-1]))
            try:
                bpy.ops.render.render(write_still=False)
                return
            except RuntimeError as exc:
                failure = str(exc).strip()
        raise ChildError(ErrorCode.RENDER_FAILED, f"Blender failed to render: {failure}")

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
                self.emit(Failed(request_id=request_id, code=exc.code, message=str(exc)))
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


def main() -> NoReturn:
    """Entry point: move Blender's console output off the protocol stream, import bpy, serve."""
    global bpy
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    protocol_fd = os.dup(1)
    # From here on, anything written to fd 1 (Blender's C code, print()) lands on stderr.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)
    import bpy as _bpy

    bpy = _bpy
    child = Child(out)
    child.emit(Ready(pid=os.getpid(), blender_version=bpy.app.version_string))
    child.serve(sys.stdin)
    out.flush()
    # bpy's atexit teardown can be slow or noisy; the protocol is done, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
