"""The marketplace server's API as an artist uses it: the scene upload, the manifest, a job with
its re-offer rounds, its frames and its film, and the server's errors read back as `ApiError`
(status, machine code, message, details), so that a command can explain a refusal. What the
server answers is read into the models of `tilefarm_cli.artist.answers` (`BadAnswer` when it
cannot be).

Every call takes an `httpx.Client` whose `base_url` is the server (`open_server`)."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tilefarm.manifest import RenderManifest
from tilefarm_cli.artist.answers import (
    FilmAnswer,
    FramesAnswer,
    JobAnswer,
    SceneAnswer,
    ServerConfig,
    StoredManifest,
    read,
)
from tilefarm_cli.artist.errors import ApiError, ArtistError

UPLOAD_CHUNK = 1 << 20
# Reading a scene runs a sandboxed Blender on the server: minutes for a big production file.
UPLOAD_TIMEOUT = httpx.Timeout(30.0, read=900.0, write=900.0)
BUSY_RETRIES = 3  # a busy intake (503 with Retry-After) is asked again this many times
MAX_BUSY_WAIT_S = 60.0


def open_server(url: str, timeout: float = 30.0) -> httpx.Client:
    """A client for the server at `url` (`http://host:port`, no path needed)."""
    base = url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ArtistError(f"--server {url!r}: give the server's URL, e.g. http://127.0.0.1:8000")
    return httpx.Client(base_url=base, timeout=timeout)


def answer(response: httpx.Response, what: str) -> Any:
    """The JSON body of a successful answer; otherwise `ApiError` with the server's own message."""
    if response.is_success:
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                what, status=response.status_code,
                message=f"the answer is not JSON (is {response.url} a tilefarm server?)",
            ) from None  # fmt: skip
    code, details = "", None
    try:
        error = response.json()["error"]
        message, code, details = (
            str(error["message"]),
            str(error.get("code", "")),
            error.get("details"),
        )
    except (ValueError, KeyError, TypeError):
        message = response.text[:300] or response.reason_phrase
    raise ApiError(what, status=response.status_code, message=message, code=code, details=details)


def request(api: httpx.Client, method: str, path: str, what: str, **options: Any) -> Any:
    """One API call answered as `answer` does; a server that cannot be reached is said so."""
    try:
        response = api.request(method, path, **options)
    except httpx.TimeoutException:
        raise ArtistError(f"{what}: the server at {api.base_url} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise ArtistError(
            f"{what}: the server at {api.base_url} cannot be reached ({exc or type(exc).__name__});"
            " is the URL right and the server running (`tilefarm serve`)?"
        ) from None
    return answer(response, what)


def server_of(api: httpx.Client) -> str:
    """The server's URL, as messages name it."""
    return str(api.base_url).rstrip("/")


def server_config(api: httpx.Client) -> ServerConfig:
    """`/api/config`: the chain id, RPC URL and market address the server follows."""
    what = "reading the server's config"
    return read(ServerConfig, request(api, "GET", "/api/config", what), what, server_of(api))


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(UPLOAD_CHUNK):
            yield chunk


def upload_scene(
    api: httpx.Client,
    blend: Path,
    *,
    filename: str | None = None,
    allow_missing: bool = False,
    cycles_instead: bool = False,
) -> dict[str, Any]:
    """POST the .blend to `/api/scenes`, streamed from disk; the server's `ScenePublic` (checked
    to be a `SceneAnswer`, returned as sent). The server refuses (422) a scene naming files it
    does not carry unless `allow_missing`, and one not made for Cycles unless
    `cycles_instead`: `ApiError.code` says which."""
    params = {"filename": filename or blend.name}
    if allow_missing:
        params["allow_missing"] = "true"
    if cycles_instead:
        params["cycles_instead"] = "true"
    headers = {
        "content-type": "application/octet-stream",
        "content-length": str(blend.stat().st_size),
    }
    for attempt in range(BUSY_RETRIES + 1):
        try:
            scene: dict[str, Any] = request(
                api, "POST", "/api/scenes", "uploading the scene", params=params,
                content=_chunks(blend), headers=headers, timeout=UPLOAD_TIMEOUT,
            )  # fmt: skip
            read(SceneAnswer, scene, "the scene's upload", server_of(api))
            return scene
        except ApiError as exc:
            if exc.code != "busy" or attempt == BUSY_RETRIES:
                raise
            time.sleep(min(MAX_BUSY_WAIT_S, 2.0**attempt * 5))
    raise AssertionError("unreachable")


def store_manifest(api: httpx.Client, manifest: RenderManifest) -> str:
    """POST the manifest to `/api/manifests`; its CID, checked against the one computed here."""
    what = "storing the manifest"
    body = request(api, "POST", "/api/manifests", what, json=manifest.model_dump(mode="json"))
    stored = read(StoredManifest, body, what, server_of(api))
    if stored.cid != manifest.cid():
        raise ArtistError(
            f"the server stored the manifest as {stored.cid}, not {manifest.cid()}: "
            "it changed the manifest; do not post a job with this server"
        )
    return manifest.cid()


def job(api: httpx.Client, job_id: int) -> JobAnswer | None:
    """`/api/jobs/{id}`, or None while the server does not know it (not indexed yet)."""
    what = f"reading job {job_id}"
    try:
        body = request(api, "GET", f"/api/jobs/{job_id}", what)
    except ApiError as exc:
        if exc.status == 404 and exc.code == "not_found":
            return None
        raise
    return read(JobAnswer, body, what, server_of(api))


def job_family(api: httpx.Client, job_id: int) -> JobAnswer | None:
    """The job with the seats of each of its re-offer rounds added, as one job: each seat says its
    `round`. A round sells tiles by the posted job's indices, so the tiles add up."""
    detail = job(api, job_id)
    if detail is None:
        return None
    seats = list(detail.seats)
    for known in detail.rounds:
        body = job(api, known.round_id)
        if body is not None:  # a round not indexed yet is read on the next poll
            seats += [seat.model_copy(update={"round": known.round}) for seat in body.seats]
    return detail.model_copy(update={"seats": seats})


def frames(api: httpx.Client, job_id: int) -> FramesAnswer:
    """`/api/jobs/{id}/frames`: every frame of the job's manifest, pending or assembled."""
    what = f"listing job {job_id}'s frames"
    body = request(api, "GET", f"/api/jobs/{job_id}/frames", what)
    return read(FramesAnswer, body, what, server_of(api))


def film(api: httpx.Client, job_id: int) -> FilmAnswer | None:
    """`/api/jobs/{id}/film`, or None from a server that makes no films (no such route)."""
    what = f"reading job {job_id}'s film"
    try:
        body = request(api, "GET", f"/api/jobs/{job_id}/film", what)
    except ApiError as exc:
        if exc.status == 404 and exc.code != "not_found":  # the route, not the job, is missing
            return None
        raise
    return read(FilmAnswer, body, what, server_of(api))
