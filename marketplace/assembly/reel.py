"""Writing a film from assembled frames, one frame at a time: an H.264 MP4 (PyAV, whose wheels
carry FFmpeg with libx264) and a ZIP of the frames' PNG and EXR files. Files only: no database,
no IPFS (`marketplace.assembly.film` schedules it).

The same frames give the same bytes, so the same CIDs: x264 runs on one thread, in the encoder's
own process where every allocation starts with the same bytes (`encoder`), the container is
written bit-exact (no muxer name, no creation time) and the ZIP's entries carry a fixed date and
mode. The MP4 is
yuv420p, the web's common denominator, which needs even dimensions: a frame of odd width or
height gets one more column or row (its last one repeated), never scaled. Transparent pixels are
laid over black (a video has no alpha). The colour matrix is BT.709, and the stream says so.
"""

import contextlib
import math
import shutil
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
import numpy.typing as npt
from PIL import Image

from tilefarm.errors import TilefarmError

DEFAULT_FPS = 24.0
# crf 18: visually lossless for most renders; threads 1: byte-identical output every time.
ENCODER_OPTIONS: dict[str, object] = {"crf": "18", "preset": "medium", "threads": "1"}
# The container without muxer name or creation time; the index first, so a page plays it while
# it downloads.
CONTAINER_OPTIONS = {"fflags": "+bitexact", "movflags": "+faststart"}
BT709 = 1  # ITU-T H.273 code points for primaries, matrix
SRGB_TRANSFER = 13  # IEC 61966-2-1: what the frames' PNGs hold
LIMITED_RANGE = 1
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can say: no clock in the bytes
ZIP_MODE = 0o644 << 16

Rgb = npt.NDArray[np.uint8]


class FilmError(TilefarmError):
    """A film that cannot be written from these frames."""


def frame_rate(fps: float | None) -> Fraction:
    """The film's frame rate for a scene's `fps` (Blender's `fps / fps_base`, e.g. 23.976...
    gives 24000/1001); 24 when unknown or not a usable rate."""
    if fps is None or not math.isfinite(fps) or not 0.1 <= fps <= 1000:
        fps = DEFAULT_FPS
    return Fraction(fps).limit_denominator(1001)


def even(size: int) -> int:
    """`size` rounded up to an even number (yuv420p halves the chroma planes)."""
    return size + size % 2


def over_black(rgba: npt.NDArray[np.uint8], width: int, height: int) -> Rgb:
    """8-bit RGBA laid over black, padded to `width` x `height` (right and bottom) by repeating
    the last column and row: a frame's last odd column shares its chroma with the padding, and
    black there would bleed into it."""
    rgb = rgba[..., :3].astype(np.uint16) * rgba[..., 3:4].astype(np.uint16)
    over = ((rgb + 127) // 255).astype(np.uint8)
    pad = ((0, height - over.shape[0]), (0, width - over.shape[1]), (0, 0))
    out: Rgb = np.pad(over, pad, mode="edge")
    return out


def zip_entry(archive: zipfile.ZipFile, name: str, source: Path) -> None:
    """Copy `source` into `archive` as `name`, stored (PNG and EXR are compressed already),
    with a fixed date and mode; streamed, never read whole."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = ZIP_MODE
    info.file_size = source.stat().st_size  # decides whether the entry needs ZIP64
    with source.open("rb") as src, archive.open(info, "w") as dest:
        shutil.copyfileobj(src, dest, 1 << 20)


class FilmWriter:
    """An MP4 and a ZIP being written, fed one frame at a time (`add`), then `close`d."""

    def __init__(self, mp4: Path, archive: Path, width: int, height: int, fps: Fraction) -> None:
        self.mp4, self.archive = mp4, archive
        self.width, self.height = width, height
        self.frames = 0
        self._closed = False
        mp4.parent.mkdir(parents=True, exist_ok=True)
        archive.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._container = av.open(str(mp4), mode="w", format="mp4", options=CONTAINER_OPTIONS)
            stream = self._container.add_stream("libx264", rate=fps)
            stream.width, stream.height = even(width), even(height)
            stream.pix_fmt = "yuv420p"
            stream.options = dict(ENCODER_OPTIONS)
            codec = stream.codec_context
            codec.color_primaries, codec.colorspace = BT709, BT709
            codec.color_trc, codec.color_range = SRGB_TRANSFER, LIMITED_RANGE
            self._stream = stream
        except av.error.FFmpegError as exc:
            raise FilmError(f"cannot start the H.264 encoder: {exc}") from exc
        self._zip = zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED, allowZip64=True)

    def add(self, name: str, png: Path, exr: Path) -> None:
        """The next frame: its PNG into the video (and the ZIP as `<name>.png`), its EXR into
        the ZIP as `<name>.exr`."""
        try:
            with Image.open(png) as image:
                if image.size != (self.width, self.height):
                    raise FilmError(
                        f"{name}.png is {image.size[0]}x{image.size[1]}, not the film's "
                        f"{self.width}x{self.height}"
                    )
                rgba = np.asarray(image.convert("RGBA"))
        except OSError as exc:  # PIL's UnidentifiedImageError included
            raise FilmError(f"{name}.png is not a readable PNG: {exc}") from exc
        rgb = over_black(rgba, even(self.width), even(self.height))
        try:
            picture = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            picture = picture.reformat(
                format="yuv420p", src_colorspace="ITU709", dst_colorspace="ITU709"
            )
            picture.pts = self.frames
            for packet in self._stream.encode(picture):
                self._container.mux(packet)
        except av.error.FFmpegError as exc:
            raise FilmError(f"H.264 encoding failed at {name}: {exc}") from exc
        zip_entry(self._zip, f"{name}.png", png)
        zip_entry(self._zip, f"{name}.exr", exr)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and finish both files."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        except av.error.FFmpegError as exc:
            raise FilmError(f"cannot finish the MP4: {exc}") from exc
        finally:
            self._zip.close()

    def abandon(self) -> None:
        """Stop without finishing (the files are left to be removed)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(av.error.FFmpegError):  # what is left is removed anyway
            self._container.close()
        self._zip.close()
