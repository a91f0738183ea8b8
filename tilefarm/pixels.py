"""Pixels as data: the canonical pixel hash, EXR reading and writing, and patch comparison.

A tile's identity is the hash of its decoded pixels, never of its file: EXR headers carry
timestamps, render times and codec choices that differ between honest workers.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import OpenEXR
from pydantic import BaseModel, ConfigDict

from tilefarm.errors import TilefarmError
from tilefarm.manifest import MAX_RESOLUTION

Pixels = npt.NDArray[Any]
"""An image as a numpy array, (height, width, 4) RGBA, top row first."""

PIXEL_HASH_DOMAIN = b"tilefarm/pixel-hash/v1"
CHANNELS = "RGBA"


class PixelError(TilefarmError, ValueError):
    """Pixels or an image file that are not what the protocol expects."""


def canonical_pixels(pixels: Pixels) -> Pixels:
    """The canonical form of an RGBA image: shape (height, width, 4), little-endian float32,
    C order with the top row first, -0.0 folded into 0.0 and every NaN the same quiet NaN."""
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        raise PixelError(f"expected an RGBA array of shape (height, width, 4), got {pixels.shape}")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise PixelError(f"image has no pixels: shape {pixels.shape}")
    if not np.issubdtype(pixels.dtype, np.floating):
        raise PixelError(f"expected float pixels, got {pixels.dtype}")
    out = np.ascontiguousarray(pixels, dtype="<f4")
    # Adding +0.0 turns -0.0 into +0.0 (IEEE 754), so equal values hash equally.
    out = out + np.float32(0.0)
    nan = np.isnan(out)
    if nan.any():
        out[nan] = np.float32("nan")
    return out


def pixel_digest(pixels: Pixels) -> bytes:
    """SHA-256 over a domain-separated header (shape, dtype, channel and row order) and the
    canonical float32 bytes. 32 bytes, ready for a Merkle leaf."""
    canon = canonical_pixels(pixels)
    height, width, _ = canon.shape
    header = f"h={height};w={width};c={CHANNELS};dtype=<f4;order=top-down,row-major".encode()
    h = hashlib.sha256()
    h.update(PIXEL_HASH_DOMAIN + b"\x00")
    h.update(len(header).to_bytes(4, "big") + header)
    h.update(canon.tobytes(order="C"))
    return h.digest()


def pixel_hash(pixels: Pixels) -> str:
    """Hex form of `pixel_digest` (64 characters)."""
    return pixel_digest(pixels).hex()


MAX_EXR_CHANNELS = 4
"""Channels an EXR may declare: every tile, patch and frame is RGBA (`write_exr`, and Blender's
float EXR output with `color_mode` RGBA, which the manifest fixes), R, G, B(, A) read here; the
bound keeps a file of the right size from asking for thousands of planes."""

EXR_HEADER_BYTES = 64 << 10
"""Room for an EXR's header: the required attributes take a few hundred bytes, and Blender adds
its metadata (render time, frame, camera, scene, a note of at most 768 bytes...), a few KB."""


def max_exr_bytes(height: int, width: int) -> int:
    """The most bytes an honest float32 RGBA EXR of `height` x `width` pixels can take, with some
    margin: a download larger than this is not such a file, however it was written.

    The pixels take 16 bytes each (4 float32 channels). No codec makes them larger: OpenEXR keeps
    a chunk uncompressed whenever compressing it would not make it smaller. Each chunk adds at
    most 16 bytes (its entry in the offset table, its first row and its size), and a chunk holds
    at least one row (NONE, RLE and ZIPS: one; ZIP: 16; PIZ: 32), hence 16 bytes a row; then
    the header (`EXR_HEADER_BYTES`). A tenth more covers whatever a writer adds that this count
    misses; a file written as tiles of a few pixels (no honest writer does) may exceed it."""
    return int(1.1 * 16 * height * (width + 1)) + EXR_HEADER_BYTES


DECODABLE = (OpenEXR.scanlineimage, OpenEXR.tiledimage)


def exr_size(path: str | Path) -> tuple[int, int]:
    """The `(height, width)` an EXR declares, read from its header alone: no pixel is decoded.

    Refuses (`PixelError`) what `read_exr` would not decode within bounds: more than one part, a
    deep image, more than `MAX_EXR_CHANNELS` channels, or a side past `MAX_RESOLUTION`."""
    path = Path(path)
    try:
        with OpenEXR.File(str(path), header_only=True) as exr:
            headers = [dict(part.header) for part in exr.parts]  # (cleared on close)
    except Exception as exc:
        raise PixelError(f"cannot read EXR {path}: {exc}") from exc
    if len(headers) != 1:
        raise PixelError(f"{path} has {len(headers)} parts; an image of pixels has one")
    header = headers[0]
    if header.get("type", OpenEXR.scanlineimage) not in DECODABLE:
        raise PixelError(f"{path} is a deep image, not flat pixels")
    channels = header.get("channels") or []
    if len(channels) > MAX_EXR_CHANNELS:
        raise PixelError(f"{path} declares {len(channels)} channels; at most {MAX_EXR_CHANNELS}")
    try:
        (x0, y0), (x1, y1) = header["dataWindow"]
        width, height = int(x1) - int(x0) + 1, int(y1) - int(y0) + 1
    except (KeyError, TypeError, ValueError) as exc:
        raise PixelError(f"{path} has no usable data window: {exc}") from exc
    if not (1 <= width <= MAX_RESOLUTION and 1 <= height <= MAX_RESOLUTION):
        raise PixelError(f"{path} declares {width}x{height} pixels; sides are 1..{MAX_RESOLUTION}")
    return height, width


def read_exr(path: str | Path, expect: tuple[int, int] | None = None) -> Pixels:
    """Decode an EXR file to a float32 RGBA array, top row first.

    Accepts interleaved RGBA or separate R, G, B(, A) channels; a missing alpha reads as 1.

    The header is read first (`exr_size`), so that a file from someone else is refused before
    any pixel is decoded: a ZIP-compressed EXR of a few hundred KB can declare gigabytes of
    pixels. With `expect=(height, width)` (a worker's tile: its rectangle), any other size is
    refused; without it, any size up to the protocol's largest frame is decoded.
    """
    path = Path(path)
    declared = exr_size(path)
    if expect is not None and declared != tuple(expect):
        raise PixelError(
            f"{path} declares {declared[1]}x{declared[0]} pixels, not the expected "
            f"{expect[1]}x{expect[0]}"
        )
    try:
        with OpenEXR.File(str(path), separate_channels=False) as exr:
            channels = {name: ch.pixels for name, ch in exr.channels().items()}
    except Exception as exc:
        raise PixelError(f"cannot read EXR {path}: {exc}") from exc
    if "RGBA" in channels:
        rgba = np.asarray(channels["RGBA"], dtype=np.float32)
    elif "RGB" in channels:
        rgb = np.asarray(channels["RGB"], dtype=np.float32)
        rgba = np.concatenate([rgb, np.ones((*rgb.shape[:2], 1), np.float32)], axis=2)
    else:
        raise PixelError(f"{path} has no RGB(A) layer; channels are {sorted(channels)}")
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.shape[:2] != declared:
        raise PixelError(f"{path} decoded to an unexpected shape {rgba.shape}")
    return np.ascontiguousarray(rgba)


_CODECS = {
    "NONE": OpenEXR.NO_COMPRESSION,
    "ZIP": OpenEXR.ZIP_COMPRESSION,
    "ZIPS": OpenEXR.ZIPS_COMPRESSION,
    "PIZ": OpenEXR.PIZ_COMPRESSION,
    "RLE": OpenEXR.RLE_COMPRESSION,
}


def write_exr(path: str | Path, pixels: Pixels, codec: str = "ZIP") -> Path:
    """Write an RGBA float32 EXR losslessly (scene-linear, no colour transform)."""
    path = Path(path)
    if codec not in _CODECS:
        raise PixelError(f"codec {codec!r} is not lossless; use one of {sorted(_CODECS)}")
    canon = canonical_pixels(pixels)
    header = {"compression": _CODECS[codec], "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGBA": canon}) as exr:
        exr.write(str(path))
    return path


def tonemap(pixels: Pixels) -> Pixels:
    """x / (1 + x) on colour, clamped to [0, 1); alpha clamped to [0, 1].

    Comparing tone-mapped values keeps a bright emitter's peak from inflating PSNR.
    """
    arr = np.nan_to_num(np.asarray(pixels, dtype=np.float64), nan=0.0, posinf=1e30, neginf=0.0)
    arr = np.clip(arr, 0.0, None)
    out = arr / (1.0 + arr)
    if out.shape[-1] == 4:
        out[..., 3] = np.clip(arr[..., 3], 0.0, 1.0)
    return out


class PatchComparison(BaseModel):
    """How far a re-rendered patch is from the committed one, on tone-mapped values."""

    model_config = ConfigDict(frozen=True)

    psnr_db: float
    max_error: float

    def passes(self, psnr_threshold_db: float, max_error: float) -> bool:
        """True if the patch is close enough to be the same honest render."""
        return self.psnr_db >= psnr_threshold_db and self.max_error <= max_error


def compare_pixels(reference: Pixels, candidate: Pixels) -> PatchComparison:
    """PSNR (dB, peak 1, `inf` when identical) and largest absolute difference of tone-mapped
    values over all channels."""
    if reference.shape != candidate.shape:
        raise PixelError(f"cannot compare shapes {reference.shape} and {candidate.shape}")
    diff = tonemap(reference) - tonemap(candidate)
    mse = float(np.mean(diff * diff))
    psnr = math.inf if mse == 0.0 else 10.0 * math.log10(1.0 / mse)
    return PatchComparison(psnr_db=psnr, max_error=float(np.max(np.abs(diff))))
