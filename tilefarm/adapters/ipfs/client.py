"""A typed client for the few Kubo RPC endpoints tilefarm uses (`/api/v0/...`, all POST).

Every upload is hashed locally while it streams, and the node's answer must name the same CID;
every download is re-hashed against the CID that was asked for. A node that lies is refused.

A node that cannot be reached (refused, reset, dropped mid-stream: a Kubo restart) is retried for
`outage_seconds` with backoff before `IpfsUnavailable` is raised. Content addressing makes every
retry safe: adding the same bytes again gives the same CID, and a download is started over and
re-checked against its CID. `version()` is a health probe and answers at once.

`timeout` bounds each wait for the node (to connect, for the next bytes), not a download: a node
that sends a byte now and then would hold the caller for as long as it likes. A download from
someone else (a worker's tile) is given a `deadline` for the whole of it, retries included.
"""

import io
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
from aleph_cid import CidHasher

from tilefarm.adapters.ipfs.cid import CidVerifier
from tilefarm.adapters.ipfs.errors import (
    CidMismatch,
    ContentTooLarge,
    DownloadTooSlow,
    IpfsError,
    IpfsUnavailable,
)
from tilefarm.cids import CHUNK

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_RETRY_DELAY = 0.25
MAX_RETRY_DELAY = 2.0

ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK}",
    "hash": "sha2-256",
    "progress": "false",
}


@dataclass(frozen=True)
class _Deadline:
    """When a download must be done by: `seconds` after it began, at `at` (`time.monotonic`)."""

    seconds: float
    at: float

    @classmethod
    def after(cls, seconds: float | None) -> "_Deadline | None":
        return None if seconds is None else cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.at - time.monotonic()


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

    `api_url` is the node's RPC base, e.g. `http://127.0.0.1:5001`; a call that cannot reach it is
    retried for `outage_seconds` (0: fail at once).
    """

    def __init__(
        self, api_url: str, *, timeout: float = 60.0, outage_seconds: float = 30.0
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.outage_seconds = outage_seconds
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
            raise _failure(self.api_url, f"IPFS {endpoint}", response)
        return response

    def _retrying(self, attempt: Callable[[], T], until: _Deadline | None = None) -> T:
        """`attempt()`, again with backoff while the node is unreachable, for `outage_seconds`
        (and never past `until`)."""
        deadline = time.monotonic() + self.outage_seconds
        if until is not None:
            deadline = min(deadline, until.at)
        delay = FIRST_RETRY_DELAY
        while True:
            try:
                return attempt()
            except IpfsUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("IPFS node at %s unreachable (%s); retrying", self.api_url, exc.reason)
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)

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
        def attempt() -> str:
            handle.seek(0)
            return self._add_once(handle, name=name, pin=pin)

        return self._retrying(attempt)

    def _add_once(self, handle: IO[bytes], *, name: str, pin: bool) -> str:
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

    def cat(
        self, cid: str, *, max_bytes: int | None = None, deadline: float | None = None
    ) -> bytes:
        """The content of `cid`, checked against the CID locally; see `cat_to_file` for
        `max_bytes` and `deadline`."""
        until = _Deadline.after(deadline)
        return self._retrying(lambda: b"".join(self._verified_chunks(cid, max_bytes, until)), until)

    def cat_to_file(
        self,
        cid: str,
        dest: Path,
        *,
        max_bytes: int | None = None,
        deadline: float | None = None,
    ) -> Path:
        """Stream `cid` into `dest`; the file appears only once its bytes match the CID.

        More than `max_bytes` raises `ContentTooLarge`. `deadline`: seconds the whole download
        may take, retries included (None: no limit, though each wait for the node still times
        out); past it, `IpfsUnavailable`. It is checked as bytes arrive, and each wait for the
        node is cut to the time left when the download began: a download ends at most one such
        wait after its deadline."""
        until = _Deadline.after(deadline)
        return self._retrying(lambda: self._cat_to_file_once(cid, dest, max_bytes, until), until)

    def _cat_to_file_once(
        self, cid: str, dest: Path, max_bytes: int | None, until: _Deadline | None
    ) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._verified_chunks(cid, max_bytes, until):
                    out.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def _verified_chunks(
        self, cid: str, max_bytes: int | None, until: _Deadline | None
    ) -> Iterator[bytes]:
        verifier = CidVerifier(cid)
        timeout = self._http.timeout if until is None else _within(self._http.timeout, until)
        try:
            with self._http.stream(
                "POST", "/cat", params={"arg": cid}, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise _failure(self.api_url, f"IPFS cat {cid}", response)
                # As the bytes come (not in whole chunks), so that a trickle meets its deadline.
                for chunk in response.iter_bytes():
                    verifier.update(chunk)
                    if max_bytes is not None and verifier.size > max_bytes:
                        raise ContentTooLarge(cid, max_bytes)
                    if until is not None and until.left() <= 0:
                        raise self._too_slow(cid, verifier.size, until)
                    yield chunk
        except httpx.TransportError as exc:
            if until is not None and until.left() <= 0:
                raise self._too_slow(cid, verifier.size, until) from exc
            raise IpfsUnavailable(self.api_url, f"{type(exc).__name__}: {exc}") from exc
        verifier.finish()

    def _too_slow(self, cid: str, size: int, until: _Deadline) -> DownloadTooSlow:
        return DownloadTooSlow(self.api_url, cid, until.seconds, size)

    def pin_add(self, cid: str) -> None:
        """Keep `cid` from garbage collection."""
        self._retrying(lambda: self._post("/pin/add", params={"arg": cid}))

    def pin_rm(self, cid: str) -> None:
        """Let `cid` be garbage collected."""
        self._retrying(lambda: self._post("/pin/rm", params={"arg": cid}))

    def pins(self) -> set[str]:
        """CIDs pinned directly or recursively."""
        answer = self._retrying(lambda: self._post("/pin/ls", params={"type": "recursive"}))
        keys = answer.json().get("Keys", {})
        return set(keys)


def _within(timeout: httpx.Timeout, until: _Deadline) -> httpx.Timeout:
    """`timeout`, each wait shortened so as not to run past `until`."""
    left = max(until.left(), 0.001)

    def bound(seconds: float | None) -> float:
        return left if seconds is None else min(seconds, left)

    return httpx.Timeout(
        connect=bound(timeout.connect), read=bound(timeout.read),
        write=bound(timeout.write), pool=bound(timeout.pool),
    )  # fmt: skip


# What Kubo answers to a call caught by its own shutdown; it answers again once restarted.
SHUTTING_DOWN = ("repo not open", "context canceled", "closed")


def _failure(api_url: str, what: str, response: httpx.Response) -> IpfsError:
    """The error for a non-200 answer: unavailable (retried) when the node is going down."""
    reason = _reason(response)
    if response.status_code >= 500 and any(mark in reason for mark in SHUTTING_DOWN):
        return IpfsUnavailable(api_url, f"{what} answered {response.status_code}: {reason}")
    return IpfsError(f"{what} failed ({response.status_code}): {reason}")


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("Message", response.text))
    except (ValueError, AttributeError):
        return response.text[:200]
