"""`tilefarm fetch`: a job's results from the server into a folder, every file checked against the
CID the server announced for it: each assembled frame's PNG (8-bit, the scene's look) and EXR
(linear float) as `frame-0001.png` / `.exr`, and for a job of several frames its film
(`film.mp4`, H.264) and the archive of every frame (`film.zip`). What is not ready yet is named,
with what to do; what was downloaded before (same CID) is kept."""

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel

from tilefarm.frames import format_frames
from tilefarm_cli.artist import client
from tilefarm_cli.artist.downloads import DEFAULT_MAX_BYTES, download_checked
from tilefarm_cli.artist.errors import ArtistError

Kind = Literal["png", "exr", "mp4", "zip"]


class FileGot(BaseModel):
    kind: Kind
    cid: str
    path: Path
    downloaded: bool  # False: the file was already there with this CID


class FrameGot(BaseModel):
    frame: int
    status: str  # "assembled" or "pending"
    missing_tiles: list[int] = []  # tiles no round delivered: transparent in the frame
    files: list[FileGot] = []


class FilmGot(BaseModel):
    status: str  # FilmPublic.status; "unavailable" when the server makes no films
    files: list[FileGot] = []
    error: str | None = None


class Fetched(BaseModel):
    """What `fetch` got (`--json`: this object). `complete` when nothing is left to fetch."""

    job_id: int
    out_dir: Path
    frames: list[FrameGot]
    film: FilmGot | None  # None for a job of one frame
    complete: bool
    problems: list[str]


def frame_name(frame: int, kind: str) -> str:
    """`frame-0001.png`: the names the film's archive uses too."""
    return f"frame-{frame:04d}.{kind}"


class _Getter:
    """Downloads one file after another into the job's folder, each at most `max_bytes`."""

    def __init__(
        self, api: httpx.Client, out: Path, step: Callable[[str], None], max_bytes: int
    ) -> None:
        self.api, self.out, self.step, self.max_bytes = api, out, step, max_bytes

    def get(self, url: str, name: str, cid: str, kind: Kind, what: str) -> FileGot:
        path = self.out / name
        fresh = download_checked(self.api, url, path, cid, what, max_bytes=self.max_bytes)
        self.step(f"{what}: {path} ({cid}{'' if fresh else ', already here'})")
        return FileGot(kind=kind, cid=cid, path=path, downloaded=fresh)


def _frames(get: _Getter, job_id: int) -> tuple[list[FrameGot], list[str]]:
    listed = client.frames(get.api, job_id)
    if listed.error:
        raise ArtistError(f"the server cannot list job {job_id}'s frames: {listed.error}")
    got, pending, problems = [], [], []
    for info in listed.frames:
        frame = FrameGot(frame=info.frame, status=info.status)
        if info.status != "assembled":
            pending.append(info.frame)
            if info.error:
                problems.append(f"frame {info.frame} cannot be assembled yet: {info.error}")
            got.append(frame)
            continue
        frame.missing_tiles = list(info.missing_tiles)
        images: tuple[tuple[Kind, str | None, str], ...] = (
            ("png", info.png_cid, info.png_url),
            ("exr", info.exr_cid, info.exr_url),
        )
        for kind, cid, url in images:
            if cid:
                frame.files.append(get.get(
                    url, frame_name(info.frame, kind), cid, kind,
                    f"frame {info.frame} {kind.upper()}",
                ))  # fmt: skip
        got.append(frame)
    if not got:
        problems.append(
            f"the server has not read job {job_id}'s manifest yet, so it lists no frame; "
            "try again shortly"
        )
    if pending:
        problems.insert(0, (
            f"frames {format_frames(pending)} of job {job_id} are not assembled yet: the server "
            f"stores a frame once every tile of it is verified on chain (`tilefarm watch "
            f"{job_id}` follows the job); run fetch again then"
        ))  # fmt: skip
    holes = {f.frame: f.missing_tiles for f in got if f.missing_tiles}
    if holes:
        problems.append(f"tiles no round delivered are transparent, per frame: {holes}")
    return got, problems


def _film(get: _Getter, job_id: int) -> tuple[FilmGot, list[str]]:
    body = client.film(get.api, job_id)
    if body is None:
        return FilmGot(status="unavailable"), [
            f"the server at {get.api.base_url} makes no films (an older server): no MP4 or ZIP"
        ]
    film = FilmGot(status=body.status, error=body.error)
    if film.status == "pending":
        return film, [
            "the film is not made yet: the server encodes it once every frame is assembled; "
            "run fetch again then"
        ]
    if film.status == "failed":
        return film, [f"the server could not make the film: {film.error or 'no reason given'}"]
    if film.status == "ready":
        films: tuple[tuple[Kind, str | None, str | None], ...] = (
            ("mp4", body.mp4_cid, body.mp4_url),
            ("zip", body.zip_cid, body.zip_url),
        )
        for kind, cid, url in films:
            if not cid or not url:
                raise ArtistError(
                    f"the server at {get.api.base_url} says job {job_id}'s film is ready but "
                    f"names no {kind}"
                )
            what = "the film (MP4)" if kind == "mp4" else "the frames' archive (ZIP)"
            film.files.append(get.get(url, f"film.{kind}", cid, kind, what))
    return film, []


def fetch(
    api: httpx.Client,
    job_id: int,
    out_dir: Path,
    step: Callable[[str], None] = lambda _m: None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Fetched:
    """Download what the job has ready into `out_dir`, each file at most `max_bytes`; what is
    not ready is in `problems`."""
    detail = client.job(api, job_id)
    if detail is None:
        raise ArtistError(
            f"the server at {api.base_url} knows no job {job_id} (a job just posted shows once "
            "the server has indexed its block): check the job id and the server"
        )
    get = _Getter(api, out_dir, step, max_bytes)
    frames, problems = _frames(get, job_id)
    film = None
    if (detail.frame_count or len(frames)) > 1:
        film, film_problems = _film(get, job_id)
        problems += film_problems
    return Fetched(
        job_id=job_id, out_dir=out_dir, frames=frames, film=film,
        complete=not problems, problems=problems,
    )  # fmt: skip
