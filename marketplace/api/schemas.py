"""Bodies the API sends and receives (`XCreate` in, `XPublic` out)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from tilefarm.blender.protocol import SceneInfo
from tilefarm.manifest import RenderManifest


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


class ScenePublic(BaseModel):
    cid: str
    filename: str
    size: int
    info: SceneInfo
    created_at: datetime


class ManifestPublic(BaseModel):
    cid: str
    manifest: RenderManifest
    created_at: datetime


class Health(BaseModel):
    status: str
    ipfs: str
    chain: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 404, 413, 415, 422, 503)
}
