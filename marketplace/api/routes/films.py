"""`/api/jobs/{id}/film`: the film of a job of several frames, made once every frame is assembled
(`marketplace.assembly.film`): an H.264 MP4 at the scene's frame rate and a ZIP of the frames'
PNG and EXR files, both served from IPFS with their CID checked."""

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from marketplace.api.deps import Services, services
from marketplace.api.lookups import JobId, find_job
from marketplace.api.schemas import ERROR_RESPONSES
from marketplace.assembly.assembler import NO_FRAMES
from marketplace.assembly.film import MAX_ATTEMPTS, scene_fps
from marketplace.assembly.film_cache import FilmCache
from marketplace.db.frame_models import (
    FILM_FAILED,
    FILM_READY,
    FRAME_ASSEMBLED,
    AssembledFrame,
    AssemblyJob,
    JobFilm,
)
from marketplace.errors import NotFound, UpstreamUnavailable
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable
from tilefarm.errors import TilefarmError

router = APIRouter(prefix="/api/jobs", tags=["films"])

MEDIA = {"mp4": "video/mp4", "zip": "application/zip"}


class FilmPublic(BaseModel):
    """A job's film, or why there is none (yet)."""

    job_id: int = Field(description="the posted job (a round's film is its job's)")
    status: Literal["none", "pending", "ready", "failed"] = Field(
        description="none: the job has one frame (or none will ever be rendered); pending: "
        "its frames are not all assembled yet, or the film is being made (after a failed try, "
        "error says why; it is tried again); ready: download it; failed: it cannot be made "
        "(error says why)"
    )
    fps: float = Field(description="frames per second: the scene's, 24 when unknown")
    frames: int = Field(description="frames in the film: the manifest's, in its order")
    frames_assembled: int = Field(description="of those, frames assembled so far")
    mp4_cid: str | None = Field(None, description="the H.264 MP4 on IPFS")
    zip_cid: str | None = Field(None, description="the ZIP of every frame's PNG and EXR on IPFS")
    mp4_url: str | None = None
    zip_url: str | None = None
    error: str | None = Field(None, description="why there is no film, when it is known")


def _film(svc: Services, job_id: int) -> FilmPublic:
    """The film of `job_id` (of its posted job, for a round)."""
    with svc.db.session() as session:
        job = find_job(session, job_id)
        if job.root:
            job = find_job(session, job.root)
        posted = job.job_id
        known = session.get(AssemblyJob, posted)
        if known is not None and known.manifest_cid != job.manifest_cid:
            known = None  # read for another job under this number: assembled afresh soon
        row = session.get(JobFilm, posted) if known is not None else None
        assembled = session.scalar(
            select(func.count()).where(
                AssembledFrame.job_id == posted, AssembledFrame.status == FRAME_ASSEMBLED
            )
        )
    body = FilmPublic(
        job_id=posted, status="pending", fps=24.0, frames=job.frame_count,
        frames_assembled=assembled if known is not None else 0,
    )  # fmt: skip
    if known is not None and known.error is not None:
        body.status, body.error = "failed", f"the job's manifest is unusable: {known.error}"
        return body
    try:
        # Read once: stored here (posted, or read by the assembler), else from IPFS.
        manifest = svc.manifests.fetch(job.manifest_cid).manifest
    except IpfsUnavailable as exc:
        raise UpstreamUnavailable(f"IPFS is unavailable; try again: {exc}") from None
    except (IpfsError, TilefarmError) as exc:
        body.status, body.error = "failed", f"the job's manifest is unusable: {exc}"
        return body
    body.frames = len(manifest.frames)
    with svc.db.session() as session:
        body.fps = float(scene_fps(session, manifest))
    if body.frames < 2:
        body.status = "none"
        body.error = "a job of one frame has no film: download the frame itself"
    elif job.status in NO_FRAMES:
        body.status = "none"
        body.error = f"the job ended {job.status}: no frame was rendered"
    elif row is not None and row.status == FILM_READY:
        body.status, body.fps = "ready", row.fps
        body.mp4_cid, body.zip_cid = row.mp4_cid, row.zip_cid
        body.mp4_url = f"/api/jobs/{posted}/film.mp4"
        body.zip_url = f"/api/jobs/{posted}/film.zip"
    elif row is not None and row.status == FILM_FAILED:
        body.error = row.error
        if row.attempts >= MAX_ATTEMPTS:
            body.status = "failed"
    return body


@router.get("/{job_id}/film", response_model=FilmPublic, responses=ERROR_RESPONSES)
def get_film(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> FilmPublic:
    """The job's film: made once every frame of a job of several frames is assembled, an H.264
    MP4 (yuv420p, the scene's frame rate, an odd width or height made even by repeating the last
    column or row) and a ZIP of every frame's
    PNG and EXR (`frame-0001.png`, `frame-0001.exr`)."""
    return _film(svc, job_id)


def _download(svc: Services, job_id: int, kind: Literal["mp4", "zip"]) -> FileResponse:
    body = _film(svc, job_id)
    cid = body.mp4_cid if kind == "mp4" else body.zip_cid
    if body.status != "ready" or cid is None:
        reason = body.error or (
            f"{body.frames_assembled} of its {body.frames} frames are assembled; the film is "
            "made once all are"
        )
        raise NotFound(f"job {body.job_id} has no film ({body.status}): {reason}")
    path = _checked_copy(svc, cid, kind)
    return FileResponse(
        path,
        media_type=MEDIA[kind],
        filename=f"job-{body.job_id}-film.{kind}",
        content_disposition_type="inline" if kind == "mp4" else "attachment",
        headers={"x-ipfs-cid": cid, "cache-control": "public, max-age=31536000, immutable"},
    )


def _checked_copy(svc: Services, cid: str, kind: str) -> Path:
    """A local copy of `cid`, its bytes checked against the CID when it was fetched: a film can
    be large, and a player asks for it in ranges, so it is served from disk, not memory. One
    fetch per film at a time, a few copies kept (`FilmCache`)."""

    def fetch(dest: Path) -> None:
        try:
            svc.ipfs.cat_to_file(cid, dest)  # appears only once its bytes match the CID
        except IpfsUnavailable as exc:
            raise UpstreamUnavailable(f"IPFS is unavailable; try again: {exc}") from None
        except (IpfsError, TilefarmError, OSError) as exc:
            raise UpstreamUnavailable(
                f"the film's {kind.upper()} ({cid}) cannot be read: {exc}"
            ) from exc

    return FilmCache.at(svc.settings.state_dir / "films").copy(f"{cid}.{kind}", fetch)


def _responses(kind: Literal["mp4", "zip"]) -> dict[int | str, dict[str, object]]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {**ERROR_RESPONSES, 200: {"content": {MEDIA[kind]: binary}}}


@router.get("/{job_id}/film.mp4", response_class=FileResponse, responses=_responses("mp4"))
def download_mp4(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> FileResponse:
    """The film as an H.264 MP4 (byte ranges served, for players): the exact bytes on IPFS."""
    return _download(svc, job_id, "mp4")


@router.get("/{job_id}/film.zip", response_class=FileResponse, responses=_responses("zip"))
def download_zip(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> FileResponse:
    """Every frame's PNG and EXR in one ZIP (`frame-0001.png`, `frame-0001.exr`, ...): the
    exact bytes on IPFS."""
    return _download(svc, job_id, "zip")
