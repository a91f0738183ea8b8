"""`/api/manifests`: validate a render manifest and store it on IPFS under its CID."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from marketplace.api.deps import Services, services
from marketplace.api.lookups import CID_PATTERN
from marketplace.api.schemas import ERROR_RESPONSES, ManifestPublic
from marketplace.db.models import SceneRecord
from marketplace.errors import NotFound, Unprocessable, UpstreamUnavailable
from marketplace.scene_rules import manifest_problem
from tilefarm.adapters.blender.protocol import SceneInfo
from tilefarm.adapters.ipfs import IpfsError
from tilefarm.manifest import RenderManifest

router = APIRouter(prefix="/api/manifests", tags=["manifests"])


@router.post("", response_model=ManifestPublic, status_code=201, responses=ERROR_RESPONSES)
async def create_manifest(
    manifest: RenderManifest, svc: Annotated[Services, Depends(services)]
) -> ManifestPublic:
    """Store a manifest for a scene uploaded here; its CID is what the job is posted with.

    A scene set to another engine than Cycles needs `cycles_instead: true` (422
    `engine_not_cycles` otherwise): the job then says it is rendered with Cycles instead. The
    colour's working space must be the scene's (422 otherwise)."""
    with svc.db.session() as session:
        scene = session.get(SceneRecord, manifest.scene_cid)
        if scene is None:
            raise Unprocessable(
                f"scene_cid {manifest.scene_cid} is not a scene uploaded here; "
                "upload the .blend to /api/scenes first"
            )
        info = SceneInfo.model_validate(scene.info)
    problem = manifest_problem(info, manifest)
    if problem is not None:
        raise problem
    body = manifest.canonical_json()
    try:
        cid = await run_in_threadpool(svc.ipfs.add_bytes, body, name="manifest.json")
    except IpfsError as exc:
        raise UpstreamUnavailable(f"the manifest could not be stored on IPFS: {exc}") from None
    stored = await run_in_threadpool(svc.manifests.add, cid, manifest)
    return ManifestPublic.model_validate(stored)


@router.get("/{cid}", response_model=ManifestPublic, responses=ERROR_RESPONSES)
def get_manifest(
    cid: Annotated[str, PathParam(pattern=CID_PATTERN)],
    svc: Annotated[Services, Depends(services)],
) -> ManifestPublic:
    """A manifest stored here, by its CID: posted here, or read from IPFS for a job."""
    stored = svc.manifests.get(cid)
    if stored is None:
        raise NotFound(f"no manifest with CID {cid} is stored here")
    return ManifestPublic.model_validate(stored)
