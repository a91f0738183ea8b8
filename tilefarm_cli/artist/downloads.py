"""Downloading what a server offers under a CID (frames, films) without trusting it: the bytes are
streamed to disk and hashed as they arrive (`tilefarm.cids.cid_of_chunks`, the CID Kubo makes),
so a 512 MiB archive is never held in memory; a file whose bytes are not its CID is removed and
refused. A file already on disk with the right CID is kept, not downloaded again."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from tilefarm.cids import CHUNK, cid_of_chunks, cid_of_file
from tilefarm_cli.artist.client import answer
from tilefarm_cli.artist.errors import ArtistError

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, read=300.0)


class CidMismatch(ArtistError):
    """The server sent bytes that are not the CID it announced."""


def download_checked(api: httpx.Client, url: str, path: Path, cid: str, what: str) -> bool:
    """`url` (a path on the server, or absolute) saved at `path` if its bytes are `cid`. Returns
    False when `path` already held exactly those bytes (nothing was downloaded)."""
    if path.is_file() and cid_of_file(path) == cid:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with api.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
            if not response.is_success:
                response.read()
                answer(response, f"downloading {what}")
            with partial.open("wb") as out:
                got = cid_of_chunks(_written(response.iter_bytes(CHUNK), out.write))
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise ArtistError(f"downloading {what} from {api.base_url} broke off: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if got != cid:
        partial.unlink(missing_ok=True)
        raise CidMismatch(
            f"{what} from {api.base_url} is {got}, not the {cid} the server announced: "
            "it was not saved; the server (or its IPFS node) serves wrong bytes"
        )
    partial.replace(path)
    return True


def _written(chunks: Iterator[bytes], write: Callable[[bytes], object]) -> Iterator[bytes]:
    """Each chunk, after it is written: the hash and the file see the same bytes."""
    for chunk in chunks:
        write(chunk)
        yield chunk
