"""`/api/scenes`: upload a .blend, read back what was found in it."""

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from marketplace.api.deps import Services, services
from marketplace.api.lookups import CID_PATTERN
from marketplace.api.rate_limit import UploadLimiter
from marketplace.api.schemas import ERROR_RESPONSES, ErrorBody, ScenePublic
from marketplace.db.models import SceneRecord
from marketplace.errors import NotFound, Unprocessable, UpstreamUnavailable
from marketplace.scene_rules import check_scene
from tilefarm.adapters.ipfs import IpfsError

router = APIRouter(prefix="/api/scenes", tags=["scenes"])

BINARY = {"schema": {"type": "string", "format": "binary"}}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before uploading again",
        "schema": {"type": "integer"},
    }
}
# An upload over its client's rate (`rate_limit`), one that found no free Blender child in time
# (`SceneIntake.inspect`), or IPFS down.
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    429: {
        "model": ErrorBody,
        "description": "`rate_limited` (details: `limit`, `per_minute`, `retry_after_seconds`): "
        "this client started more uploads, or sent more bytes, than it may per minute; nothing "
        "of the upload was read",
        "headers": RETRY_AFTER,
    },
    422: {
        "model": ErrorBody,
        "description": "the scene cannot be rendered as saved (nothing is stored): "
        "`engine_not_cycles` (details: `engine`) when it is set to another engine than Cycles, "
        "unless cycles_instead=true; `missing_files` (details: `missing_files`, `more`) when it "
        "names outside files it does not carry, unless allow_missing=true; `unprocessable` when "
        "Blender cannot read it or it has no camera",
    },
    503: {
        "model": ErrorBody,
        "description": "busy (every scene reader taken: try again after Retry-After) or IPFS "
        "unavailable",
        "headers": RETRY_AFTER,
    },
}


@router.post(
    "",
    response_model=ScenePublic,
    status_code=201,
    responses=UPLOAD_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_scene(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    filename: Annotated[str, Query(min_length=1, max_length=255)] = "scene.blend",
    allow_missing: Annotated[
        bool,
        Query(
            description="accept a scene that names outside files (textures, libraries, "
            "caches, fonts, sounds) it does not carry: workers render it without them"
        ),
    ] = False,
    cycles_instead: Annotated[
        bool,
        Query(
            description="accept a scene set to Eevee or Workbench: it is rendered with Cycles "
            "(its manifest must then say cycles_instead too)"
        ),
    ] = False,
) -> ScenePublic:
    """Stream a .blend as the raw request body; it is checked, read by a sandboxed Blender and
    stored on IPFS. The same bytes uploaded twice give the same scene.

    A scene that would not render as saved is refused before anything is stored (422): one set
    to another engine than Cycles, then one that names outside files it does not carry (the
    files are never read: only whether the .blend carries them counts). Each refusal says how
    to fix the scene, or which flag accepts it as it is.

    Each client (IPv4 address, IPv6 /64) may start `upload_rate_per_minute` uploads and send
    `upload_bytes_per_minute` bytes a minute; beyond either it is refused (429, Retry-After),
    mid-stream once it is more than one largest scene in debt."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in filename):
        # Neither a file's name nor storable as text by every database (PostgreSQL: no NUL).
        raise Unprocessable(
            f"the filename {filename!r} holds a control character: name the scene without one"
        )
    name = PurePath(filename).name or "scene.blend"
    limiter: UploadLimiter = request.app.state.upload_limiter
    client = request.client.host if request.client is not None else "unknown"
    limiter.admit(client)
    declared = request.headers.get("content-length")
    path = await svc.intake.receive(
        request.stream(),
        int(declared) if declared else None,
        # Refused mid-stream once in debt by more than a scene (uploads started side by side).
        on_bytes=lambda size: limiter.spend(client, size, max_debt=svc.intake.max_bytes),
    )
    try:
        info = await svc.intake.inspect(path, name)
        check_scene(info, name, allow_missing=allow_missing, cycles_instead=cycles_instead)
        try:
            cid = await run_in_threadpool(svc.ipfs.add_file, path)
        except IpfsError as exc:
            raise UpstreamUnavailable(f"the scene could not be stored on IPFS: {exc}") from None
        size = path.stat().st_size
    finally:
        svc.intake.discard(path)
    with svc.db.session() as session:
        record = session.get(SceneRecord, cid)
        if record is None:
            record = SceneRecord(cid=cid, filename=name, size=size, info=info.model_dump())
            session.add(record)
            session.flush()
        return ScenePublic.model_validate(record)


@router.get("/{cid}", response_model=ScenePublic, responses=ERROR_RESPONSES)
def get_scene(
    cid: Annotated[str, PathParam(pattern=CID_PATTERN)],
    svc: Annotated[Services, Depends(services)],
) -> ScenePublic:
    """A scene received earlier, by its CID."""
    with svc.db.session() as session:
        record = session.get(SceneRecord, cid)
        if record is None:
            raise NotFound(f"no scene with CID {cid} was uploaded here")
        return ScenePublic.model_validate(record)
