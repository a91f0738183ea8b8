"""A typed client for the few Kubo RPC endpoints tilefarm uses (`/api/v0/...`, all POST).

Every upload is hashed locally while it streams, and the node's answer must name the same CID;
every download is re-hashed against the CID that was asked for. A node that lies is refused.
"""

import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
from aleph_cid import CidHasher

from tilefarm.ipfs.cid import CHUNK, CidVerifier
from tilefarm.ipfs.errors import CidMismatch, ContentTooLarge, IpfsError, IpfsUnavailable

ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK}",
    "hash": "sha2-256",
    "progress": "false",
}


class _HashingReader:
    """A file-like wrapper that feeds everything read through it into a CID hasher."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._hasher = CidHasher.for_ipfs_v1_raw_leaves()

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self._hasher.update(chunk)
        return chunk

    def cid(self) -> str:
        return str(self._hasher.finalize())


class KuboClient:
    """Talks to one Kubo node over its RPC API.

    `api_url` is the node's RPC base, e.g. `http://127.0.0.1:5001`.
    """

    def __init__(self, api_url: str, *, timeout: float = 60.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.api_url}/api/v0", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "KuboClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, endpoint: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.post(endpoint, **kwargs)
        except httpx.TransportError as exc:
            raise IpfsUnavailable(self.api_url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise IpfsError(f"IPFS {endpoint} failed ({response.status_code}): {_reason(response)}")
        return response

    def version(self) -> str:
        """The node's Kubo version, e.g. `0.43.1`."""
        return str(self._post("/version").json()["Version"])

    def add_bytes(self, data: bytes, *, pin: bool = True, name: str = "blob") -> str:
        """Store `data` and return its CIDv1 (raw leaves)."""
        return self._add(io.BytesIO(data), name=name, pin=pin)

    def add_file(self, path: Path, *, pin: bool = True) -> str:
        """Store a file, streaming it from disk, and return its CIDv1 (raw leaves)."""
        with path.open("rb") as handle:
            return self._add(handle, name=path.name, pin=pin)

    def _add(self, handle: IO[bytes], *, name: str, pin: bool) -> str:
        reader = _HashingReader(handle)
        params = {**ADD_PARAMS, "pin": str(pin).lower()}
        response = self._post("/add", params=params, files={"file": (name, reader)})
        lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        if not lines or "Hash" not in lines[-1]:
            raise IpfsError(f"IPFS add answered without a CID: {response.text[:200]!r}")
        announced = str(lines[-1]["Hash"])
        local = reader.cid()
        if announced != local:
            raise CidMismatch(local, announced, context="upload")
        return local

    def cat(self, cid: str, *, max_bytes: int | None = None) -> bytes:
        """The content of `cid`, checked against the CID locally."""
        return b"".join(self._verified_chunks(cid, max_bytes))

    def cat_to_file(self, cid: str, dest: Path, *, max_bytes: int | None = None) -> Path:
        """Stream `cid` into `dest`; the file appears only once its bytes match the CID."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._verified_chunks(cid, max_bytes):
                    out.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def _verified_chunks(self, cid: str, max_bytes: int | None) -> Iterator[bytes]:
        verifier = CidVerifier(cid)
        try:
            with self._http.stream("POST", "/cat", params={"arg": cid}) as response:
                if response.status_code != 200:
                    response.read()
                    status = response.status_code
                    raise IpfsError(f"IPFS cat {cid} failed ({status}): {_reason(response)}")
                for chunk in response.iter_bytes(CHUNK):
                    verifier.update(chunk)
                    if max_bytes is not None and verifier.size > max_bytes:
                        raise ContentTooLarge(cid, max_bytes)
                    yield chunk
        except httpx.TransportError as exc:
            raise IpfsUnavailable(self.api_url, f"{type(exc).__name__}: {exc}") from exc
        verifier.finish()

    def pin_add(self, cid: str) -> None:
        """Keep `cid` from garbage collection."""
        self._post("/pin/add", params={"arg": cid})

    def pin_rm(self, cid: str) -> None:
        """Let `cid` be garbage collected."""
        self._post("/pin/rm", params={"arg": cid})

    def pins(self) -> set[str]:
        """CIDs pinned directly or recursively."""
        keys = self._post("/pin/ls", params={"type": "recursive"}).json().get("Keys", {})
        return set(keys)


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("Message", response.text))
    except (ValueError, AttributeError):
        return response.text[:200]
