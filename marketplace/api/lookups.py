"""What several routes look up the same way: a job by the id in the path, a CID's form."""

from typing import Annotated

from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from marketplace.api.chain import MAX_ID
from marketplace.db.chain_models import JobView
from marketplace.errors import NotFound

CID_PATTERN = r"^b[a-z2-7]{20,120}$"  # a base32 CIDv1, as this server stores scenes and manifests
JobId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="the job id on chain")]


def find_job(session: Session, job_id: int) -> JobView:
    """The indexed job `job_id`; NotFound when the indexer has not seen it."""
    job = session.get(JobView, job_id)
    if job is None:
        raise unknown_job(job_id)
    return job


def unknown_job(job_id: int) -> NotFound:
    """The error for a job the indexer has not seen."""
    return NotFound(f"no job {job_id} has been indexed; check the id or wait for the indexer")
