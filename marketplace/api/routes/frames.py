"""`/api/jobs/{id}/frames`: a job's frames, pending until the assembler stores them, and their
downloads (PNG, 8-bit sRGB; EXR, linear float) served from IPFS with their CID checked; while a
frame is pending, the preview of the tiles its workers revealed (unverified)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from marketplace.api.deps import Services, services
from marketplace.api.lookups import JobId, find_job
from marketplace.api.schemas import ERROR_RESPONSES
from marketplace.db.chain_models import JobView
from marketplace.db.frame_models import FRAME_ASSEMBLED, AssembledFrame, AssemblyJob
from marketplace.db.frame_models import FramePreview as PreviewRow
from marketplace.errors import NotFound, UpstreamUnavailable
from tilefarm.adapters.ipfs import IpfsError, IpfsUnavailable
from tilefarm.checks.audit.frames import frame_stem
from tilefarm.errors import TilefarmError
from tilefarm.manifest import MAX_FRAME

router = APIRouter(prefix="/api/jobs", tags=["frames"])

FrameNumber = Annotated[int, PathParam(ge=0, le=MAX_FRAME, description="the Blender frame")]
MEDIA = {"png": "image/png", "exr": "image/x-exr"}


class FramePreview(BaseModel):
    """A pending frame's preview: the tiles its workers revealed, stitched, before any verdict
    on most of them (unverified); the tiles not revealed are transparent."""

    png_url: str = Field(
        description="the preview as an 8-bit RGBA PNG (changes as tiles come), scaled down to "
        "at most 1024 px on its longest side (a smaller frame keeps its size)"
    )
    tiles_shown: int = Field(description="tiles of the frame in the preview")
    tiles_total: int = Field(description="tiles of the frame")
    tiles_verified: int = Field(description="tiles shown whose seat a verdict has accepted")
    unverified_tiles: list[int] = Field(
        description="the shown tiles no verdict has accepted yet (indices in the frame's tile "
        "grid, row by row from the top left): they may still be refused and replaced"
    )
    updated_at: datetime = Field(description="when the preview was last made")


class FramePublic(BaseModel):
    frame: int = Field(description="the Blender frame number")
    status: Literal["pending", "assembled"]
    width: int
    height: int
    png_cid: str | None
    exr_cid: str | None
    png_url: str
    exr_url: str
    error: str | None = Field(
        None, description="why the accepted tiles cannot be assembled yet (retried)"
    )
    assembled_at: datetime | None = Field(None, description="when this server stored the frame")
    missing_tiles: list[int] = Field(
        default_factory=list,
        description="tiles of the frame's grid no round delivered before the job ended: "
        "transparent in the assembled frame",
    )
    preview: FramePreview | None = Field(
        None,
        description="while the frame is pending and a worker revealed some of its tiles: "
        "their preview, unverified; none once the frame is assembled",
    )


class FrameList(BaseModel):
    job_id: int
    frames: list[FramePublic]
    error: str | None = Field(None, description="why the job's frames cannot be listed")


def _preview(job_id: int, frame: int, preview: PreviewRow | None) -> FramePreview | None:
    if preview is None or not preview.tiles:
        return None
    verified = set(preview.verified)
    return FramePreview(
        png_url=f"/api/jobs/{job_id}/frames/{frame}/preview.png",
        tiles_shown=len(preview.tiles),
        tiles_total=preview.tiles_total,
        tiles_verified=len(verified),
        unverified_tiles=[t for t in preview.tiles if t not in verified],
        updated_at=preview.updated_at,
    )


def _public(
    job_id: int,
    frame: int,
    width: int,
    height: int,
    row: AssembledFrame | None,
    preview: PreviewRow | None = None,
) -> FramePublic:
    done = row is not None and row.status == FRAME_ASSEMBLED
    return FramePublic(
        frame=frame,
        status="assembled" if done else "pending",
        width=width,
        height=height,
        png_cid=row.png_cid if done and row else None,
        exr_cid=row.exr_cid if done and row else None,
        png_url=f"/api/jobs/{job_id}/frames/{frame}.png",
        exr_url=f"/api/jobs/{job_id}/frames/{frame}.exr",
        error=row.error if row is not None and not done else None,
        assembled_at=row.assembled_at if done and row else None,
        missing_tiles=list(row.missing_tiles or []) if done and row else [],
        preview=None if done else _preview(job_id, frame, preview),
    )


@router.get("/{job_id}/frames", response_model=FrameList, responses=ERROR_RESPONSES)
def list_frames(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> FrameList:
    """Every frame of the job's manifest: `pending` until all its tiles are accepted on chain
    and the server has stitched and stored it, then `assembled` with the PNG and EXR CIDs."""
    with svc.db.session() as session:
        job = find_job(session, job_id)
        known = _assembly(session, job)
        stored = select(AssembledFrame).where(AssembledFrame.job_id == job_id)
        rows = {r.frame: r for r in session.scalars(stored)} if known is not None else {}
        shown = select(PreviewRow).where(PreviewRow.job_id == job_id)
        previews = (
            {p.frame: p for p in session.scalars(shown.options(defer(PreviewRow.png)))}
            if known is not None
            else {}
        )
    if known is not None and known.error is not None:
        return FrameList(job_id=job_id, frames=[], error=known.error)
    try:
        # Read once: stored here (posted, or read by the assembler), else from IPFS.
        manifest = svc.manifests.fetch(job.manifest_cid).manifest
    except IpfsUnavailable as exc:
        raise UpstreamUnavailable(f"IPFS is unavailable; try again: {exc}") from None
    except (IpfsError, TilefarmError) as exc:
        return FrameList(job_id=job_id, frames=[], error=f"the job's manifest is unusable: {exc}")
    width, height = manifest.resolution.width, manifest.resolution.height
    frames = [
        _public(job_id, f, width, height, rows.get(f), previews.get(f)) for f in manifest.frames
    ]
    return FrameList(job_id=job_id, frames=frames)


def _assembly(session: Session, job: JobView) -> AssemblyJob | None:
    """What the assembler keeps for the job: none while what it has was read for another job
    under this number (a reorganisation handed the number on) and until it assembles afresh."""
    known = session.get(AssemblyJob, job.job_id)
    return known if known is not None and known.manifest_cid == job.manifest_cid else None


def _download(svc: Services, job_id: int, frame: int, kind: Literal["png", "exr"]) -> Response:
    with svc.db.session() as session:
        job = find_job(session, job_id)
        known = _assembly(session, job)
        row = None if known is None else session.get(AssembledFrame, (job_id, frame))
    if row is None:
        # Once the assembler has read a usable manifest, it is stored here.
        stored = svc.manifests.get(job.manifest_cid) if known and known.error is None else None
        if stored is not None:
            frames = stored.manifest.frames
            raise NotFound(f"job {job_id} has no frame {frame}; its frames are {frames}")
        raise NotFound(
            f"frame {frame} of job {job_id} is not assembled: the server has not read the job's "
            "manifest yet, or the frame is not in it"
        )
    cid = row.png_cid if kind == "png" else row.exr_cid
    if row.status != FRAME_ASSEMBLED or cid is None:
        reason = f" ({row.error})" if row.error else ""
        raise NotFound(
            f"frame {frame} of job {job_id} is not assembled yet: it is stored once every tile "
            f"of it is accepted on chain{reason}"
        )
    try:
        data = svc.ipfs.cat(cid)  # re-hashed against the CID: a lying node is refused
    except IpfsError as exc:
        raise UpstreamUnavailable(
            f"the frame's {kind.upper()} ({cid}) cannot be read: {exc}"
        ) from exc
    name = f"{frame_stem(job_id, frame)}.{kind}"
    return Response(
        data,
        media_type=MEDIA[kind],
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "x-ipfs-cid": cid,
            "cache-control": "public, max-age=31536000, immutable",
        },
    )


DOWNLOAD_RESPONSES = {
    **ERROR_RESPONSES,
    200: {
        "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in MEDIA.values()}
    },
}


@router.get("/{job_id}/frames/{frame}.png", response_class=Response, responses=DOWNLOAD_RESPONSES)
def download_png(
    job_id: JobId, frame: FrameNumber, svc: Annotated[Services, Depends(services)]
) -> Response:
    """The assembled frame as an 8-bit sRGB PNG: the exact bytes stored on IPFS."""
    return _download(svc, job_id, frame, "png")


@router.get("/{job_id}/frames/{frame}.exr", response_class=Response, responses=DOWNLOAD_RESPONSES)
def download_exr(
    job_id: JobId, frame: FrameNumber, svc: Annotated[Services, Depends(services)]
) -> Response:
    """The assembled frame as a linear float EXR: the exact bytes stored on IPFS."""
    return _download(svc, job_id, frame, "exr")


PREVIEW_RESPONSES = {
    **ERROR_RESPONSES,
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
}


@router.get(
    "/{job_id}/frames/{frame}/preview.png", response_class=Response, responses=PREVIEW_RESPONSES
)
def preview_png(
    job_id: JobId, frame: FrameNumber, svc: Annotated[Services, Depends(services)]
) -> Response:
    """The preview of a frame still pending: the tiles its workers revealed (unverified), the
    others transparent, as an 8-bit RGBA PNG at most 1024 px on its longest side (a smaller
    frame keeps its size). It changes as tiles are revealed (at most every few seconds), and
    is gone once the frame is assembled (then download the frame itself)."""
    with svc.db.session() as session:
        job = find_job(session, job_id)
        known = _assembly(session, job)
        row = None if known is None else session.get(AssembledFrame, (job_id, frame))
        preview = None if row is None else session.get(PreviewRow, (job_id, frame))
        if row is not None and row.status == FRAME_ASSEMBLED:
            raise NotFound(
                f"frame {frame} of job {job_id} is assembled: it has no preview any more; "
                f"download it at /api/jobs/{job_id}/frames/{frame}.png"
            )
        if preview is None or not preview.tiles:
            if row is None and known is not None and known.error is None:
                stored = svc.manifests.get(job.manifest_cid)
                if stored is not None and frame not in stored.manifest.frames:
                    frames = stored.manifest.frames
                    raise NotFound(f"job {job_id} has no frame {frame}; its frames are {frames}")
            raise NotFound(
                f"frame {frame} of job {job_id} has no preview: none of its tiles has been "
                "revealed by its worker yet (or the frame is not in the job)"
            )
        png = preview.png
    return Response(
        png,
        media_type="image/png",
        headers={
            "cache-control": "no-cache",
            "x-tiles-shown": str(len(preview.tiles)),
            "x-tiles-total": str(preview.tiles_total),
        },
    )
