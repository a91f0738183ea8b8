"""`BlenderChild`: one long-lived Blender child process with one open scene, so many tiles of a
frame reuse one loaded scene. Its requests: open a scene under a manifest, render regions (tiles,
patches, whole frames), inspect, list devices, build a built-in scene, denoise, preview, probe the
network. The process itself (sandbox, limits, crashes) is `tilefarm.adapters.blender.process`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tilefarm.adapters.blender.cpu_kernel import kernel_problem
from tilefarm.adapters.blender.devices import Device, DeviceSelection, parse_device_spec
from tilefarm.adapters.blender.errors import GpuRenderFailed, RenderEngineError, RenderFailed
from tilefarm.adapters.blender.gpu_driver import NVIDIA_BACKENDS, nvidia_driver_version
from tilefarm.adapters.blender.gpu_failures import (
    CpuFallback,
    cpu_fallback_policy,
    cpu_refused,
    words,
)
from tilefarm.adapters.blender.process import ChildLimits, ChildProcess
from tilefarm.adapters.blender.protocol import (
    BuildScene,
    CopyPacked,
    Denoise,
    Denoised,
    DevicesListed,
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
    Region,
    RegionRendered,
    Rendered,
    RenderRegions,
    SceneBuilt,
    SceneInfo,
)
from tilefarm.adapters.blender.sandbox import Confinement, Sandbox, check_blend_header
from tilefarm.adapters.blender.tbb_threads import THREAD_LIMIT_ENV
from tilefarm.colour import ColourManagement
from tilefarm.hardware import RenderedOn
from tilefarm.hardware_codes import AbandonCause
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import PixelError, pixel_hash, read_exr
from tilefarm.tiles import Rect

__all__ = ["BlenderChild", "ChildLimits", "OpenedScene", "RenderedRegion", "Sandbox"]


class RenderedRegion(BaseModel):
    """A rendered tile or patch: its EXR file and the canonical hash of its decoded pixels."""

    model_config = ConfigDict(frozen=True)

    key: str
    rect: Rect
    path: Path
    pixel_hash: str
    seconds: float
    rendered_on: RenderedOn
    """What it was rendered on: the backend after any fallback to the CPU, the devices Cycles
    was told to use, their driver and the Blender build."""
    index: int | None = None
    """The tile index for tiles from `render_tiles`; None for other regions."""


class OpenedScene(BaseModel):
    """What `BlenderChild.open` found and set up."""

    info: SceneInfo
    selection: DeviceSelection
    rendered_on: RenderedOn
    """What its renders run on (until a GPU fails: each `RenderedRegion` says what it ran on)."""
    threads: int
    seconds: float


class BlenderChild(ChildProcess):
    """A long-lived, sandboxed Blender child process with one open scene.

    Use it as a context manager; `close()` stops the child and removes its scratch folder.
    `cancel()` may be called from any thread and stops the child at once.

    `cpu_fallback` is what an opening that names none does when its GPU fails
    (`gpu_failures.CpuFallback`: as the job says, always, or never); `cpu_kernel_problem` why
    this machine's CPU renders are not the market's (`cpu_kernel.kernel_problem`, asked of this
    machine when None): where there is one, no opening falls back to the CPU.
    """

    def __init__(
        self,
        *,
        limits: ChildLimits | None = None,
        sandbox: Sandbox = Sandbox.AUTO,
        threads: int = 0,
        devices: str | list[str] = "auto",
        cpu_fallback: CpuFallback = "job",
        cpu_kernel_problem: str | None = None,
        scratch_root: Path | None = None,
        extra_env: dict[str, str] | None = None,
        python: str | None = None,
        on_warning: Callable[[str], None] | None = None,
        confinement: Confinement | None = None,
        trust_scripts: bool = False,
    ) -> None:
        self.threads = threads
        self.devices = devices
        self.cpu_fallback: CpuFallback = cpu_fallback
        self.cpu_kernel_problem = cpu_kernel_problem
        self.manifest: RenderManifest | None = None
        # The open file, whether a failed GPU's regions may go to the CPU, and what the opening
        # found: valid while `manifest` is set.
        self._open: tuple[Path, bool, OpenedScene] | None = None
        # What the child renders on now (its opening's, then its last region's), and whether a
        # render request is in flight: a child that dies then, on a GPU, lost its GPU.
        self.rendered_on: RenderedOn | None = None
        self._rendering = False
        self._nvidia_driver: str | None = None  # asked once per BlenderChild
        super().__init__(
            limits=limits, sandbox=sandbox, scratch_root=scratch_root,
            # Its thread pool capped before bpy starts it (tbb_threads: an idle child is idle).
            extra_env={THREAD_LIMIT_ENV: str(threads), **(extra_env or {})},
            python=python, on_warning=on_warning, confinement=confinement,
            trust_scripts=trust_scripts,
        )  # fmt: skip

    def _forget_scene(self) -> None:
        self.manifest = None
        self.rendered_on = None

    def _died(self, code: int | None) -> RenderEngineError:
        on = self.rendered_on
        if not self._rendering or on is None or on.backend == "CPU":
            return super()._died(code)
        # Cycles reports what it can; a driver that resets or loses the device kills the
        # process instead (a signal, or an abort in the driver's library).
        last = self.stderr_tail(1)
        said = f"the Blender child rendering on {on.backend} ({on.device}) died (exit code {code})"
        said += f": {last}" if last else ""
        return GpuRenderFailed(
            f"{words(AbandonCause.GPU_LOST)}: {said}; last output:\n{self.stderr_tail()}",
            cause=AbandonCause.GPU_LOST,
            cycles_error=said,
        )

    def _with_driver(self, on: RenderedOn) -> RenderedOn:
        """`on` with its driver, which only the parent can ask for (`nvidia-smi`)."""
        if on.backend not in NVIDIA_BACKENDS:
            return on
        if self._nvidia_driver is None:
            self._nvidia_driver = nvidia_driver_version()
        return on.model_copy(update={"driver": self._nvidia_driver})

    # ---- requests ----------------------------------------------------------------------------

    def open(
        self,
        blend_path: Path | str,
        manifest: RenderManifest,
        *,
        cpu_fallback: CpuFallback | None = None,
    ) -> OpenedScene:
        """Open an untrusted .blend (scripts disabled) and apply `manifest` to it; a region whose
        GPU fails is rendered again on the CPU as `cpu_fallback` says (None: the child's
        `cpu_fallback`): "job" for a worker's own tiles, "always" for a re-render that checks
        someone's (evidence, a panel's vote, an audit), never on a machine whose CPU kernel is not
        the market's. The same file with the same manifest, when still open and falling back
        alike, is not opened again (the first opening's figures are returned): a child kept for
        a job renders its tiles and checks its patches from one opening."""
        path = Path(blend_path).resolve()
        check_blend_header(path)
        if self.cpu_kernel_problem is None:
            self.cpu_kernel_problem = kernel_problem()
        policy = cpu_fallback_policy(cpu_fallback or self.cpu_fallback, self.cpu_kernel_problem)
        allowed = not cpu_refused(policy, manifest.requirements.allows_cpu)
        kept = self._open
        if self.manifest == manifest and kept is not None and kept[:2] == (path, allowed):
            return kept[2]
        self.manifest = None
        opened: Opened = self._call(
            OpenScene(
                id=next(self._ids),
                blend_path=str(path),
                manifest=manifest,
                threads=self.threads,
                # A job that requires the CPU is rendered, and checked, on the CPU only.
                devices=(
                    ["CPU"]
                    if manifest.requirements.cpu_only
                    else parse_device_spec(self.devices)
                    if isinstance(self.devices, str)
                    else list(self.devices)
                ),
                cpu_fallback=policy,
            )
        )
        self.manifest = manifest
        scene = OpenedScene(
            info=opened.info,
            selection=opened.selection,
            rendered_on=self._with_driver(opened.rendered_on),
            threads=opened.threads,
            seconds=opened.seconds,
        )
        if self.cpu_kernel_problem and scene.rendered_on.backend == "CPU":
            # The GPU is gone (Cycles lists it no more) or the job requires the CPU: on this
            # machine a CPU render would be judged against the market's AVX2 renders and fail.
            said = f"this machine renders nothing on its CPU: {self.cpu_kernel_problem}"
            raise GpuRenderFailed(said, cause=AbandonCause.GPU_LOST, cycles_error=said)
        self._open = (path, allowed, scene)
        self.rendered_on = scene.rendered_on
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
                self.rendered_on = on = self._with_driver(event.rendered_on)
                done = _hashed(event, by_key[event.key], index, on)
                results[event.key] = done
                if on_progress is not None:
                    on_progress(done)

        self._rendering = True
        try:
            rendered: Rendered = self._call(
                RenderRegions(
                    id=next(self._ids),
                    frame=frame,
                    regions=[Region(key=k, rect=r) for k, r in by_key.items()],
                    out_dir=str(out),
                ),
                on_event,
            )
        finally:
            self._rendering = False
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

    def build_scene(self, builder: str, name: str, out_path: Path | str) -> SceneInfo:
        """Build scene `name` with module `builder`'s `build(bpy, name)`; save it as a .blend."""
        self.manifest = None
        out = str(Path(out_path).resolve())
        built: SceneBuilt = self._call(
            BuildScene(id=next(self._ids), builder=builder, name=name, out_path=out)
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
        manifest's working space, display, view transform, look, exposure, gamma, white balance
        and dither), byte for byte as Blender saves the render."""
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

    def pack_copy(
        self, blend_path: Path | str, out_path: Path | str, pack_from: Sequence[Path | str] = ()
    ) -> CopyPacked:
        """Save a copy of an artist's .blend that carries its images, fonts, sounds, volumes and
        its libraries' data (`pack_child`); the original is only read. Files are packed from the
        .blend's own folder and the `pack_from` folders only. For the artist's own machine: the
        child reads the files the scene names from this disk."""
        self.manifest = None
        done: CopyPacked = self._call(
            PackCopy(
                id=next(self._ids),
                blend_path=str(Path(blend_path).resolve()),
                out_path=str(Path(out_path).resolve()),
                pack_from=[str(Path(folder).resolve()) for folder in pack_from],
            )
        )
        return done

    def probe_network(self, host: str, port: int) -> NetworkProbed:
        """Try a TCP connection from inside the child (proves the sandbox holds)."""
        probed: NetworkProbed = self._call(ProbeNetwork(id=next(self._ids), host=host, port=port))
        return probed


def _hashed(
    event: RegionRendered, rect: Rect, index: int | None, rendered_on: RenderedOn
) -> RenderedRegion:
    path = Path(event.path)
    try:
        # The region's size, checked in the header before a pixel is decoded: a child that
        # lies (a hostile scene's Python) must not make this process decode a huge image.
        pixels = read_exr(path, expect=(rect.height, rect.width))
    except PixelError as exc:
        raise RenderFailed(
            f"the Blender child's render of {event.key!r} is unusable: {exc}"
        ) from None
    return RenderedRegion(
        key=event.key,
        rect=rect,
        path=path,
        pixel_hash=pixel_hash(pixels),
        seconds=event.seconds,
        rendered_on=rendered_on,
        index=index,
    )
