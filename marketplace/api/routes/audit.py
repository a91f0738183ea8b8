"""`/api/audit/jobs/{id}`: the same audit as `tilefarm audit job ID --json`, run by the server.

The audit reads the chain (through the indexer's contract client, never the indexed tables) and
IPFS; the only thing taken from this server's database is what it claims to have assembled, and
that claim is itself checked against the frames recomputed from the committed tiles."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from marketplace.api.chain import ChainServices, chain_services
from marketplace.api.deps import Services, services
from marketplace.api.lookups import JobId
from marketplace.api.schemas import ERROR_RESPONSES
from marketplace.db.frame_models import FRAME_ASSEMBLED, AssembledFrame
from marketplace.errors import NotFound, UpstreamUnavailable
from tilefarm.adapters.ipfs import IpfsUnavailable
from tilefarm.checks.audit.history import UnknownJob, read_history
from tilefarm.checks.audit.job import AuditReport, audit_job
from tilefarm.checks.audit.report import FrameClaim
from tilefarm.errors import TilefarmError

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("/jobs/{job_id}", response_model=AuditReport, responses=ERROR_RESPONSES)
def audit_job_route(
    job_id: JobId,
    svc: Annotated[Services, Depends(services)],
    chain: Annotated[ChainServices, Depends(chain_services)],
) -> AuditReport:
    """Replay job `job_id` from chain events and IPFS: manifest, results lists and Merkle
    proofs, tiles (CIDs, pixel hashes), verification evidence, assembled frames and money.
    `ok` is false when any check fails; each failed check says what was wrong."""
    if chain.indexer is None:
        raise UpstreamUnavailable("this server follows no market (no deployments file)")
    with svc.db.session() as session:
        claims = [
            FrameClaim(frame=f.frame, png_cid=f.png_cid, exr_cid=f.exr_cid)
            for f in session.scalars(
                select(AssembledFrame).where(
                    AssembledFrame.job_id == job_id, AssembledFrame.status == FRAME_ASSEMBLED
                )
            )
        ]
    market = chain.indexer.client
    try:
        history = read_history(market, job_id, chain.indexer.start_block)
        return audit_job(history, svc.ipfs, market=market, frame_claims=claims)
    except UnknownJob as exc:
        raise NotFound(str(exc)) from None
    except IpfsUnavailable as exc:
        raise UpstreamUnavailable(f"IPFS is unavailable: {exc}") from None
    except TilefarmError as exc:
        raise UpstreamUnavailable(f"the audit could not run: {exc}") from None
