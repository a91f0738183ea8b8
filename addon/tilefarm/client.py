"""The tilefarm server's HTTP API, as the add-on uses it, with urllib only (an extension cannot
depend on packages from PyPI). No bpy: it runs in worker threads and in tests.

- `upload_scene`: `POST /api/scenes?filename=..&allow_missing=..&cycles_instead=..` with the raw
  .blend as the body (streamed from disk, not read into memory);
- `indexed_block`: `GET /api/indexer`, the last block the server's indexer has seen;
- `jobs_for_scene`: `GET /api/jobs?scene_cid=..&artist=..`, the jobs whose manifest renders the
  scene (posted by that address);
- `job_status`: `GET /api/jobs/{id}/status`, its tiles by state;
- `job_page_url`: the page where the artist's wallet signs the job, prefilled with the scene.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .errors import AddonError, ServerError

UPLOAD_SECONDS = 600  # the server reads the .blend in a Blender child before it answers
READ_SECONDS = 15
LISTED_JOBS = 50  # jobs of a scene asked for at once (newest first: the submission's are first)


def server_base(url: str) -> str:
    """The server's address without a trailing slash; an address that is not http(s) is an
    error that says what to write instead."""
    text = url.strip().rstrip("/")
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise AddonError(
            f"the server address {url!r} is not an http(s) address; set one like "
            "http://127.0.0.1:8000 in the add-on's preferences"
        )
    return text


def job_page_url(server: str, scene_cid: str) -> str:
    """The job page, prefilled with the uploaded scene (the wallet signs the job there)."""
    return f"{server_base(server)}/#/submit?scene={urllib.parse.quote(scene_cid)}"


def _error(status: int, body: bytes) -> ServerError:
    try:
        error = json.loads(body)["error"]
        return ServerError(status, str(error["code"]), str(error["message"]), error.get("details"))
    except (ValueError, KeyError, TypeError):
        said = body.decode("utf-8", "replace").strip()[:200] or "no explanation"
        return ServerError(status, "http_error", f"the server answered {status}: {said}")


def _call(request: urllib.request.Request, timeout: float) -> Any:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise _error(exc.code, exc.read()) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AddonError(
            f"could not reach the tilefarm server at {request.full_url.split('/api/')[0]}: "
            f"{reason}; is it running, and is the address in the add-on's preferences right?"
        ) from None
    except ValueError:
        raise AddonError(
            f"{request.full_url} did not answer JSON: is that address a tilefarm server?"
        ) from None


def upload_scene(
    server: str,
    blend: Path,
    *,
    filename: str,
    allow_missing: bool = False,
    cycles_instead: bool = False,
    timeout: float = UPLOAD_SECONDS,
) -> dict[str, Any]:
    """Upload `blend` as `filename`; returns the server's `ScenePublic` (its `cid`, `info`).
    Raises `ServerError` with the server's code ("missing_files", "engine_not_cycles",
    "payload_too_large", ...) and message when it refuses the scene."""
    query = urllib.parse.urlencode(
        {
            "filename": filename,
            "allow_missing": str(allow_missing).lower(),
            "cycles_instead": str(cycles_instead).lower(),
        }
    )
    with blend.open("rb") as body:
        request = urllib.request.Request(
            f"{server_base(server)}/api/scenes?{query}",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(blend.stat().st_size),
            },
        )
        scene: dict[str, Any] = _call(request, timeout)
    return scene


def get_json(
    server: str, path: str, query: dict[str, object] | None = None, timeout: float = READ_SECONDS
) -> Any:
    """`GET path?query` on the server, as JSON."""
    url = f"{server_base(server)}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    return _call(urllib.request.Request(url, headers={"Accept": "application/json"}), timeout)


def indexed_block(server: str) -> int:
    """The last block the server's indexer has seen (the chain's head it last read, or the
    last block it applied): a job posted from now on is in a later block. 0 without an
    indexer (a server with no chain lists no jobs)."""
    body = get_json(server, "/api/indexer")
    try:
        return max(int(body["head"]), int(body["next_block"]) - 1, 0)
    except (KeyError, TypeError, ValueError):
        raise AddonError(
            f"{server_base(server)}/api/indexer did not answer as a tilefarm server does: is "
            "the address in the add-on's preferences right?"
        ) from None


def jobs_for_scene(server: str, scene_cid: str, artist: str | None = None) -> dict[str, Any]:
    """The server's `JobList` of the jobs rendering `scene_cid` (posted by `artist` when
    given), newest first."""
    query: dict[str, object] = {"scene_cid": scene_cid, "limit": LISTED_JOBS}
    if artist is not None:
        query["artist"] = artist
    jobs: dict[str, Any] = get_json(server, "/api/jobs", query)
    return jobs


def job_status(server: str, job_id: int) -> dict[str, Any]:
    """The server's `JobStatusPublic` of `job_id`: its status and tiles by state."""
    status: dict[str, Any] = get_json(server, f"/api/jobs/{int(job_id)}/status")
    return status
