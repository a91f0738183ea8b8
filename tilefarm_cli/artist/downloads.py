"""Downloading what a server offers under a CID (frames, films) without trusting it: the bytes are
streamed to disk and hashed as they arrive (`tilefarm.cids.cid_of_chunks`, the CID Kubo makes),
so a 512 MiB archive is never held in memory; a file whose bytes are not its CID is removed and
refused. A file already on disk with the right CID is kept, not downloaded again.

Nor does a server get to fill the disk: a download stops, and its partial file is removed, at
`max_bytes` (64 GiB unless the caller says), past the size the server declared for it
(`Content-Length`), or past one block under a CID of one raw block: those bytes cannot be the
CID, so nothing more of them is read."""

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from tilefarm.cids import CHUNK, cid_of_chunks, cid_of_file
from tilefarm_cli.artist.client import answer
from tilefarm_cli.artist.errors import ArtistError

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, read=300.0)
DEFAULT_MAX_BYTES = 64 * 2**30
RAW_CODEC = 0x55  # a CID of one raw block: its bytes are that block, at most one chunk
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1} | {
    f"{p}{i}b": 1024 ** (n + 1) for n, p in enumerate("kmgt") for i in ("", "i")
}


class CidMismatch(ArtistError):
    """The server sent bytes that are not the CID it announced."""


class TooLarge(ArtistError):
    """The server sent, or declared, more bytes than the download may take."""


def bytes_text(size: int) -> str:
    """A size for people: `64 GiB`, `1.5 MiB`, `300 bytes`."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


def parse_size(text: str, option: str) -> int:
    """A size in bytes, written `64GiB`, `500MiB`, `2KiB` or a whole number of bytes."""
    match = _SIZE.match(text)
    if match is None or int(match[1]) < 1:
        raise ArtistError(f"{option} {text!r}: write a size like 64GiB, 500MiB or 1048576")
    unit: int = _UNITS[(match[2] or "").lower()]
    return int(match[1]) * unit


def one_block(cid: str) -> bool:
    """Whether `cid` is a CIDv1 of one raw block (`bafkrei...`): content of at most one chunk."""
    body = cid[1:].upper() if cid.startswith("b") else ""
    try:
        raw = base64.b32decode(body[:8] + "=" * (-len(body[:8]) % 8))
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 2 and raw[0] == 1 and raw[1] == RAW_CODEC


def download_checked(
    api: httpx.Client, url: str, path: Path, cid: str, what: str, *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bool:  # fmt: skip
    """`url` (a path on the server, or absolute) saved at `path` if its bytes are `cid`. Returns
    False when `path` already held exactly those bytes (nothing was downloaded). Refuses
    (`TooLarge`, `CidMismatch`) as soon as the bytes can no longer be what was asked."""
    if path.is_file() and cid_of_file(path) == cid:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    server = str(api.base_url).rstrip("/")
    try:
        with api.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
            if not response.is_success:
                response.read()
                answer(response, f"downloading {what}")
            limit = _limit(response, what, server, max_bytes)
            with partial.open("wb") as out:
                chunks = _bounded(response.iter_bytes(CHUNK), limit, what, server, cid)
                got = cid_of_chunks(_written(chunks, out.write))
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise ArtistError(f"downloading {what} from {server} broke off: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if got != cid:
        partial.unlink(missing_ok=True)
        raise CidMismatch(
            f"{what} from {server} is {got}, not the {cid} the server announced: "
            "it was not saved; the server (or its IPFS node) serves wrong bytes"
        )
    partial.replace(path)
    return True


def _limit(response: httpx.Response, what: str, server: str, max_bytes: int) -> int:
    """The most bytes this download may take: `max_bytes`, or less where the server declared a
    size (a declared size above `max_bytes` is refused before any byte is read)."""
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity") != "identity"
    if declared is None or encoded or not declared.isdigit():
        return max_bytes  # chunked or compressed: what arrives is counted instead
    if int(declared) > max_bytes:
        raise TooLarge(
            f"{server} declares {what} as {bytes_text(int(declared))}, more than the "
            f"{bytes_text(max_bytes)} this download may take (--max-bytes): nothing was saved"
        )
    return int(declared)


def _bounded(
    chunks: Iterator[bytes], limit: int, what: str, server: str, cid: str
) -> Iterator[bytes]:
    """Each chunk, until more bytes came than `limit`, or than one block of a raw CID's."""
    block = CHUNK if one_block(cid) else None
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if block is not None and seen > block:
            raise CidMismatch(
                f"{what} from {server} is longer than the one block its CID {cid} holds "
                f"({bytes_text(block)} at most): these are not the announced bytes; the "
                "download was stopped and nothing was saved"
            )
        if seen > limit:
            raise TooLarge(
                f"{what} from {server} ran past {bytes_text(limit)} (the size declared, or "
                "--max-bytes): the download was stopped and nothing was saved"
            )
        yield chunk


def _written(chunks: Iterator[bytes], write: Callable[[bytes], object]) -> Iterator[bytes]:
    """Each chunk, after it is written: the hash and the file see the same bytes."""
    for chunk in chunks:
        write(chunk)
        yield chunk
