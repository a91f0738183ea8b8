"""The parent side of the Blender child: start it sandboxed, talk to it, limit it, stop it.

One `BlenderChild` is one long-lived process with one open scene, so many tiles of a frame reuse
one loaded scene. Every failure of the child (a bad file, a crash, a time or memory limit) comes
back as a `RenderEngineError`; the parent process itself never goes down with the child.

Network isolation: the child runs in a fresh network namespace (`unshare --net`), which has
only a loopback interface that is down, so no connection can be made, not even to localhost.
That needs root or unprivileged user namespaces; `Sandbox.AUTO` uses it when it works and
otherwise records a warning, `Sandbox.NETNS` refuses to start without it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil
from pydantic import BaseModel, ConfigDict, ValidationError

from tilefarm.blender.devices import Device, DeviceSelection, parse_device_spec
from tilefarm.blender.errors import (
    BlendFileError,
    ChildCrashed,
    NoCameraError,
    RenderCancelled,
    RenderEngineError,
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
    SandboxUnavailable,
)
from tilefarm.blender.protocol import (
    EVENT,
    FINAL_EVENTS,
    BuildScene,
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
    Region,
    RegionRendered,
    Rendered,
    RenderRegions,
    SceneBuilt,
    SceneInfo,
    Shutdown,
    Warning_,
)
from tilefarm.manifest import ColourManagement, RenderManifest
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.tiles import Rect

log = logging.getLogger(__name__)

# Magic bytes of a .blend: plain, zstd-compressed (Blender >= 3.0) or gzip-compressed (older).
_BLEND_MAGICS = (b"BLENDER", b"\x28\xb5\x2f\xfd", b"\x1f\x8b")
_POLL_SECONDS = 0.05


class Sandbox(StrEnum):
    """How the child is cut off from the network."""

    AUTO = "auto"
    NETNS = "netns"
    NONE = "none"


@dataclass(frozen=True)
class ChildLimits:
    """Limits on the child. `wall_seconds` applies to each request; `memory_bytes` to the child's
    resident memory, sampled every 50 ms; `None` means unlimited."""

    wall_seconds: float | None = None
    memory_bytes: int | None = None
    start_seconds: float = 60.0


class RenderedRegion(BaseModel):
    """A rendered tile or patch: its EXR file and the canonical hash of its decoded pixels."""

    model_config = ConfigDict(frozen=True)

    key: str
    rect: Rect
    path: Path
    pixel_hash: str
    seconds: float
    index: int | None = None
    """The tile index for tiles from `render_tiles`; None for other regions."""


class OpenedScene(BaseModel):
    """What `BlenderChild.open` found and set up."""

    info: SceneInfo
    selection: DeviceSelection
    threads: int
    seconds: float


@functools.cache
def netns_prefix() -> tuple[list[str], str]:
    """The command prefix that puts a process in an empty network namespace, and a diagnostic.

    Returns `([], reason)` when this machine cannot do it.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "the `unshare` program (util-linux) is not installed"
    try:
        probe = subprocess.run(
            [unshare, "--net", "true"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"`unshare --net` could not run: {exc}"
    if probe.returncode != 0:
        return [], (
            f"`unshare --net` failed ({probe.stderr.strip() or probe.returncode}): run as root "
            "or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
        )
    return [unshare, "--net", "--"], "network namespace (unshare --net)"


def check_blend_header(path: Path) -> None:
    """Reject a file that is not a .blend before any child starts (magic bytes only)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise BlendFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head:
        raise BlendFileError(f"{path} is empty: upload a .blend saved by Blender")
    if not head.startswith(_BLEND_MAGICS):
        raise BlendFileError(
            f"{path} is not a Blender file (it starts with {head[:8]!r}, a .blend starts with "
            "'BLENDER' or is zstd/gzip-compressed): upload a .blend saved by Blender"
        )


class BlenderChild:
    """A long-lived, sandboxed Blender child process with one open scene.

    Use it as a context manager; `close()` stops the child and removes its scratch folder.
    `cancel()` may be called from any thread and stops the child at once.
    """

    def __init__(
        self,
        *,
        limits: ChildLimits | None = None,
        sandbox: Sandbox = Sandbox.AUTO,
        threads: int = 0,
        devices: str | list[str] = "auto",
        scratch_root: Path | None = None,
        extra_env: dict[str, str] | None = None,
        python: str | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self.limits = limits or ChildLimits()
        self.sandbox = sandbox
        self.threads = threads
        self.devices = devices
        self.scratch_root = scratch_root
        self.extra_env = dict(extra_env or {})
        self.python = python or sys.executable
        self.on_warning = on_warning
        self.warnings: list[str] = []
        self.peak_rss_bytes = 0
        self.isolated = False
        self.blender_version: str | None = None
        self.manifest: RenderManifest | None = None
        self._open: tuple[Path, OpenedScene] | None = None  # valid while `manifest` is set
        self._proc: subprocess.Popen[str] | None = None
        self._events: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=60)
        self._ids = itertools.count(1)
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._stderr_reader: threading.Thread | None = None
        self.scratch: Path | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> BlenderChild:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self.running and self._proc else None

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("blender child: %s", message)
        if self.on_warning:
            self.on_warning(message)

    def start(self) -> None:
        """Start the child (if not running) and wait until bpy is imported."""
        if self.running:
            return
        self._cleanup()
        self._cancelled.clear()
        self.manifest = None
        prefix, reason = netns_prefix() if self.sandbox != Sandbox.NONE else ([], "")
        if self.sandbox == Sandbox.NETNS and not prefix:
            raise SandboxUnavailable(f"cannot isolate the Blender child from the network: {reason}")
        if self.sandbox == Sandbox.AUTO and not prefix:
            self._warn(f"the Blender child will have network access: {reason}")
        self.isolated = bool(prefix)
        self.scratch = Path(tempfile.mkdtemp(prefix="tilefarm-blender-", dir=self.scratch_root))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.scratch),
            "TMPDIR": str(self.scratch),
            "LANG": "C.UTF-8",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        # Only the import path travels: the child needs our package, nothing else of our env.
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        # What the caller passes on purpose, e.g. CYCLES_CPU_NO_AVX2=1 to pick a CPU kernel.
        env.update(self.extra_env)
        cmd = [*prefix, self.python, "-m", "tilefarm.blender.child"]
        self._events = queue.Queue()
        self._stderr.clear()
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            cwd=self.scratch,
            env=env,
            # No preexec_fn: it is unsafe in threaded parents (the marketplace, the daemon);
            # the child sets its own rlimits and watches for its parent's death itself.
            start_new_session=True,
        )
        proc = self._proc
        threading.Thread(target=self._read_stdout, args=(proc,), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, args=(proc,), daemon=True)
        self._stderr_reader.start()
        try:
            ready = self._wait(None, self.limits.start_seconds)
            if not isinstance(ready, Ready):
                raise ChildCrashed(f"the Blender child did not start properly: got {ready!r}")
        except BaseException:
            # `with BlenderChild()` never reaches __exit__ when starting fails: clean up here.
            self._kill()
            self._cleanup()
            raise
        self.blender_version = ready.blender_version

    def _read_stdout(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._events.put(line)
        self._events.put(None)

    def _read_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.rstrip())

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines Blender printed (for diagnostics)."""
        return "\n".join(list(self._stderr)[-lines:])

    def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        # The child leads its own session; kill that group (Blender spawns no helpers, but a
        # crash handler could) and reap it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def _cleanup(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def cancel(self) -> None:
        """Stop the child now (from any thread); the pending request raises RenderCancelled."""
        self._cancelled.set()
        self._kill()

    def close(self) -> None:
        """Ask the child to exit, kill it if it does not, and remove its scratch folder."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                with self._lock:
                    self._send(Shutdown(id=next(self._ids)))
                proc.wait(timeout=10)
            except (RenderEngineError, OSError, subprocess.TimeoutExpired):
                pass
            self._kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr) if proc else ():
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        self._proc = None
        self.manifest = None
        self._cleanup()

    # ---- protocol ----------------------------------------------------------------------------

    def _send(self, request: BaseModel) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            raise ChildCrashed("the Blender child is not running: start it again")
        try:
            proc.stdin.write(request.model_dump_json() + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ChildCrashed(f"the Blender child stopped reading requests: {exc}") from None

    def _sample_memory(self) -> int:
        proc = self._proc
        if proc is None:
            return 0
        try:
            rss = int(psutil.Process(proc.pid).memory_info().rss)
        except psutil.Error:
            return 0
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        return rss

    def _wait(
        self,
        request_id: int | None,
        wall_seconds: float | None,
        on_event: Callable[[Any], None] | None = None,
    ) -> Any:
        """Collect events for one request until its final event, enforcing the limits."""
        deadline = None if wall_seconds is None else time.monotonic() + wall_seconds
        limit = self.limits.memory_bytes
        while True:
            if self._cancelled.is_set():
                self._kill()
                raise RenderCancelled("the render was cancelled; the Blender child was stopped")
            rss = self._sample_memory()
            if limit is not None and rss > limit:
                self._kill()
                raise RenderMemoryExceeded(
                    f"the Blender child used {rss / 2**20:.0f} MiB, over its limit of "
                    f"{limit / 2**20:.0f} MiB, and was stopped: the scene needs more memory than "
                    "this worker allows (raise the memory limit or skip this job)"
                )
            if deadline is not None and time.monotonic() > deadline:
                self._kill()
                raise RenderTimeout(
                    f"the Blender child took longer than {wall_seconds:g} s and was stopped: "
                    "use fewer samples or smaller tiles, or raise the time limit"
                )
            try:
                line = self._events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if line is None:
                if self._cancelled.is_set():
                    raise RenderCancelled("the render was cancelled; the Blender child was stopped")
                code = self._proc.wait(timeout=10) if self._proc else None
                if self._stderr_reader is not None:
                    # Let the last words of the crash reach the message.
                    self._stderr_reader.join(timeout=2)
                raise ChildCrashed(
                    f"the Blender child exited unexpectedly (exit code {code}); last output:\n"
                    f"{self.stderr_tail()}"
                )
            try:
                event = EVENT.validate_json(line)
            except ValidationError:
                self._kill()
                raise ChildCrashed(
                    f"the Blender child broke the protocol: {line[:200]!r}"
                ) from None
            if isinstance(event, Warning_):
                self._warn(event.message)
                continue
            event_request = getattr(event, "request_id", None)
            if request_id is not None and event_request not in (request_id, None):
                # A late event of an earlier request that failed on our side: not ours.
                continue
            if on_event is not None:
                on_event(event)
            if request_id is None and isinstance(event, Ready):
                return event
            if isinstance(event, FINAL_EVENTS):
                if isinstance(event, Failed):
                    raise _error_for(event)
                return event

    def _call(
        self,
        request: BaseModel,
        on_event: Callable[[Any], None] | None = None,
        wall_seconds: float | None = None,
    ) -> Any:
        with self._lock:
            self.start()
            self._send(request)
            limit = wall_seconds if wall_seconds is not None else self.limits.wall_seconds
            return self._wait(getattr(request, "id"), limit, on_event)  # noqa: B009

    # ---- requests ----------------------------------------------------------------------------

    def open(self, blend_path: Path | str, manifest: RenderManifest) -> OpenedScene:
        """Open an untrusted .blend (scripts disabled) and apply `manifest` to it. The same file
        with the same manifest, when still open, is not opened again (the first opening's
        figures are returned): a child kept for a job renders its tiles and checks its patches
        from one opening."""
        path = Path(blend_path).resolve()
        check_blend_header(path)
        if self.manifest == manifest and self._open is not None and self._open[0] == path:
            return self._open[1]
        self.manifest = None
        opened: Opened = self._call(
            OpenScene(
                id=next(self._ids),
                blend_path=str(path),
                manifest=manifest,
                threads=self.threads,
                devices=(
                    parse_device_spec(self.devices)
                    if isinstance(self.devices, str)
                    else list(self.devices)
                ),
            )
        )
        self.manifest = manifest
        scene = OpenedScene(
            info=opened.info,
            selection=opened.selection,
            threads=opened.threads,
            seconds=opened.seconds,
        )
        self._open = (path, scene)
        return scene

    def inspect(self, blend_path: Path | str) -> SceneInfo:
        """What a .blend contains (frames, resolution, camera, engine), opened without scripts."""
        path = Path(blend_path).resolve()
        check_blend_header(path)
        self.manifest = None
        inspected: Inspected = self._call(Inspect(id=next(self._ids), blend_path=str(path)))
        return inspected.info

    def render_regions(
        self,
        frame: int,
        regions: Sequence[tuple[str, Rect]],
        out_dir: Path | str,
        on_progress: Callable[[RenderedRegion], None] | None = None,
        *,
        tile_indices: dict[str, int] | None = None,
    ) -> list[RenderedRegion]:
        """Render rectangles (tiles or patches) of `frame` into `out_dir/<key>.exr`, hashing each.

        Progress arrives per region through `on_progress`; results come back in request order.
        """
        manifest = self.manifest
        if manifest is None or not self.running:
            raise RenderFailed("no scene is open: call open(blend, manifest) first")
        if frame not in manifest.frames:
            raise RenderFailed(f"frame {frame} is not in the manifest's frames {manifest.frames}")
        frame_rect = Rect(
            x=0, y=0, width=manifest.resolution.width, height=manifest.resolution.height
        )
        by_key: dict[str, Rect] = {}
        for key, rect in regions:
            if not frame_rect.contains(rect):
                raise RenderFailed(f"region {key!r} {rect} lies outside the frame {frame_rect}")
            if not key.replace("-", "").replace("_", "").isalnum() or key in by_key:
                raise RenderFailed(f"region key {key!r} must be unique and alphanumeric")
            by_key[key] = rect
        out = Path(out_dir).resolve()
        out.mkdir(parents=True, exist_ok=True)
        results: dict[str, RenderedRegion] = {}

        def on_event(event: Any) -> None:
            if isinstance(event, RegionRendered):
                index = None if tile_indices is None else tile_indices.get(event.key)
                done = _hashed(event, by_key[event.key], index)
                results[event.key] = done
                if on_progress is not None:
                    on_progress(done)

        rendered: Rendered = self._call(
            RenderRegions(
                id=next(self._ids),
                frame=frame,
                regions=[Region(key=k, rect=r) for k, r in by_key.items()],
                out_dir=str(out),
            ),
            on_event,
        )
        self.peak_rss_bytes = max(self.peak_rss_bytes, rendered.peak_rss_bytes)
        return [results[k] for k in by_key]

    def render_tiles(
        self,
        frame: int,
        tiles: Sequence[int] | None,
        out_dir: Path | str,
        on_progress: Callable[[RenderedRegion], None] | None = None,
    ) -> list[RenderedRegion]:
        """Render tiles (by index; `None` = all) of `frame`, as `tile-<frame>-<index>.exr`."""
        if self.manifest is None:
            raise RenderFailed("no scene is open: call open(blend, manifest) first")
        rects = self.manifest.tiles()
        indices = range(len(rects)) if tiles is None else tiles
        for i in indices:
            if not 0 <= i < len(rects):
                raise RenderFailed(f"tile {i} is outside 0..{len(rects) - 1}")
        keys = {f"tile-{frame:06d}-{i:05d}": i for i in indices}
        regions = [(key, rects[i]) for key, i in keys.items()]
        return self.render_regions(frame, regions, out_dir, on_progress, tile_indices=keys)

    def render_frame(self, frame: int, out_dir: Path | str) -> RenderedRegion:
        """Render the whole frame in one piece (the reference the tiles must equal)."""
        if self.manifest is None:
            raise RenderFailed("no scene is open: call open(blend, manifest) first")
        res = self.manifest.resolution
        whole = Rect(x=0, y=0, width=res.width, height=res.height)
        return self.render_regions(frame, [(f"frame-{frame:06d}", whole)], out_dir)[0]

    def list_devices(self) -> list[Device]:
        """Every device Cycles sees (CPU, CUDA, OPTIX, HIP, ONEAPI, METAL)."""
        listed: DevicesListed = self._call(ListDevices(id=next(self._ids)))
        return listed.devices

    def build_scene(self, name: str, out_path: Path | str) -> SceneInfo:
        """Build a built-in procedural scene (see `tilefarm.scenes`) and save it as a .blend."""
        self.manifest = None
        built: SceneBuilt = self._call(
            BuildScene(id=next(self._ids), name=name, out_path=str(Path(out_path).resolve()))
        )
        return built.info

    def denoise(self, in_path: Path | str, out_path: Path | str) -> Path:
        """Denoise a whole stitched frame EXR with Open Image Denoise (never a single tile)."""
        self.manifest = None
        done: Denoised = self._call(
            Denoise(
                id=next(self._ids),
                in_path=str(Path(in_path).resolve()),
                out_path=str(Path(out_path).resolve()),
            )
        )
        return Path(done.path)

    def preview(self, in_path: Path | str, out_path: Path | str, colour: ColourManagement) -> Path:
        """Save a whole-frame EXR as an 8-bit PNG through Blender's colour management (the
        manifest's view transform, look, exposure and gamma)."""
        self.manifest = None
        done: Previewed = self._call(
            Preview(
                id=next(self._ids),
                in_path=str(Path(in_path).resolve()),
                out_path=str(Path(out_path).resolve()),
                colour=colour,
            )
        )
        return Path(done.path)

    def probe_network(self, host: str, port: int) -> NetworkProbed:
        """Try a TCP connection from inside the child (proves the sandbox holds)."""
        probed: NetworkProbed = self._call(ProbeNetwork(id=next(self._ids), host=host, port=port))
        return probed


def _hashed(event: RegionRendered, rect: Rect, index: int | None) -> RenderedRegion:
    path = Path(event.path)
    pixels = read_exr(path)
    if pixels.shape[:2] != (rect.height, rect.width):
        raise RenderFailed(
            f"{path} is {pixels.shape[1]}x{pixels.shape[0]} but {rect.width}x{rect.height} "
            "was requested"
        )
    return RenderedRegion(
        key=event.key,
        rect=rect,
        path=path,
        pixel_hash=pixel_hash(pixels),
        seconds=event.seconds,
        index=index,
    )


def _error_for(event: Failed) -> RenderEngineError:
    cls: type[RenderEngineError] = {
        ErrorCode.NOT_A_BLEND: BlendFileError,
        ErrorCode.DAMAGED_BLEND: BlendFileError,
        ErrorCode.NO_CAMERA: NoCameraError,
        ErrorCode.RENDER_FAILED: RenderFailed,
        ErrorCode.NO_SCENE_OPEN: RenderFailed,
    }.get(event.code, RenderEngineError)
    return cls(event.message)
