"""A decompression bomb in EXR form, written byte by byte (never held decoded): an all-zero
RGBA image of any size, ZIP-compressed, so that a few hundred KB declare hundreds of MB of
pixels. It is a valid file: decoding it gives zeros (see the test of the small one)."""

import struct
import zlib
from pathlib import Path

ZIP_COMPRESSION = 3
LINES_PER_CHUNK = 16  # ZIP's
HALF = 1


def _attribute(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def _zero_lines(lines: int, width: int) -> bytes:
    """`lines` scanlines of zeros (4 half channels) as ZIP stores them: the byte-wise predictor
    turns zeros into 0x80 after the first byte, then deflate."""
    size = lines * width * 4 * 2
    return zlib.compress(b"\0" + b"\x80" * (size - 1), 9)


def zero_exr(path: Path, width: int, height: int) -> Path:
    """Write an all-zero `width` x `height` RGBA EXR (half floats, ZIP) to `path`."""
    channels = b"".join(
        name.encode() + b"\0" + struct.pack("<iB3xii", HALF, 0, 1, 1) for name in "ABGR"
    )
    window = struct.pack("<4i", 0, 0, width - 1, height - 1)
    header = b"".join(
        [
            b"\x76\x2f\x31\x01" + struct.pack("<i", 2),
            _attribute("channels", "chlist", channels + b"\0"),
            _attribute("compression", "compression", bytes([ZIP_COMPRESSION])),
            _attribute("dataWindow", "box2i", window),
            _attribute("displayWindow", "box2i", window),
            _attribute("lineOrder", "lineOrder", b"\0"),
            _attribute("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
            _attribute("screenWindowCenter", "v2f", struct.pack("<2f", 0.0, 0.0)),
            _attribute("screenWindowWidth", "float", struct.pack("<f", 1.0)),
            b"\0",
        ]
    )
    full = _zero_lines(LINES_PER_CHUNK, width)
    chunks = []
    for y in range(0, height, LINES_PER_CHUNK):
        lines = min(LINES_PER_CHUNK, height - y)
        data = full if lines == LINES_PER_CHUNK else _zero_lines(lines, width)
        chunks.append(struct.pack("<ii", y, len(data)) + data)
    offset = len(header) + 8 * len(chunks)
    table = bytearray()
    for chunk in chunks:
        table += struct.pack("<Q", offset)
        offset += len(chunk)
    path.write_bytes(header + bytes(table) + b"".join(chunks))
    return path
