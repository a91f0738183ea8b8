"""Writing a frame from its checked tiles, byte for byte the same on every machine that has the
same tiles: the server's assembler stores these files and the auditor recomputes their CIDs.

Stitching and encoding are pure (`tilefarm.stitch`); only a whole-frame denoise or a colour
transform other than plain sRGB needs a Blender child. A denoised EXR is re-encoded by
`write_exr` so that no writer metadata (a date, a software name) leaks into its bytes.
"""

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import read_exr, write_exr
from tilefarm.stitch import FrameFiles, assemble_frame


def needs_blender(manifest: RenderManifest) -> bool:
    """Whether assembling this manifest's frames needs a Blender child."""
    return manifest.denoise_frame or not manifest.colour.plain_srgb


def frame_stem(job_id: int, frame: int) -> str:
    """The file name (without extension) of an assembled frame, as downloads name it."""
    return f"job-{job_id}-frame-{frame:04d}"


def write_frame_files(
    manifest: RenderManifest,
    tile_files: Mapping[int, Path],
    out_dir: Path,
    stem: str,
    child: BlenderChild | None = None,
    missing: Sequence[int] = (),
) -> FrameFiles:
    """Stitch one frame's tiles (tile index within the frame -> checked EXR) into
    `<stem>.exr` and `<stem>.png` under `out_dir`; `child` is needed when `needs_blender`.
    `missing` lists the tiles no round delivered: they stay transparent."""
    denoiser = previewer = None
    if needs_blender(manifest):
        if child is None:
            raise ValueError("this manifest needs a Blender child to assemble its frames")
        if manifest.denoise_frame:
            denoiser = child.denoise
        if not manifest.colour.plain_srgb:
            previewer = partial(child.preview, colour=manifest.colour)
    files = assemble_frame(
        manifest, tile_files, out_dir, stem, denoiser=denoiser, previewer=previewer,
        missing=missing,
    )  # fmt: skip
    if denoiser is not None:
        write_exr(files.exr, read_exr(files.exr))
    return files
