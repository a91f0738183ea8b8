"""What the chain says about one worker's results: its tile range, its Merkle root, the seed of
its verifier draw and, once revealed, its results list's CID."""

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.events import (
    JobPosted,
    ResultsCommitted,
    ResultsRevealed,
    VerifierDrawn,
)
from tilefarm.errors import TilefarmError
from tilefarm.results import Claim


def claim_from_chain(market: JobMarketClient, job_id: int, worker: str, seed: str) -> Claim:
    """What the chain says `worker` committed for `job_id` (with its latest revealed list). A
    re-offer round has no posting of its own: its tiles are those of the job it re-offers."""
    root = market.job(job_id).root or job_id
    posted = next((e for e in market.events(job_id=root) if isinstance(e, JobPosted)), None)
    committed = revealed = None
    for event in market.events(job_id=job_id):
        if isinstance(event, ResultsCommitted) and event.worker == worker:
            committed = event
        elif isinstance(event, ResultsRevealed) and event.worker == worker:
            revealed = event
    if posted is None or committed is None:
        raise TilefarmError(f"job {job_id} has no posted job or no results of {worker} on chain")
    seat = market.seat(job_id, worker)
    return Claim(
        job_id=job_id,
        worker=worker,
        manifest_cid=posted.manifest_cid,
        results_cid=revealed.results_cid if revealed is not None else "",
        merkle_root=committed.merkle_root,
        first_tile=seat.first_tile,
        tile_count=seat.tile_count,
        seed=seed,
    )


def drawn_seed(market: JobMarketClient, job_id: int, worker: str) -> str | None:
    """The seed of the latest verifier draw for `worker`'s results, if one was drawn."""
    seeds = [
        e.seed
        for e in market.events(job_id=job_id)
        if isinstance(e, VerifierDrawn) and e.worker == worker
    ]
    return seeds[-1] if seeds else None


def committed_workers(market: JobMarketClient, job_id: int) -> list[str]:
    """Workers that committed results to `job_id`, in commit order."""
    return [e.worker for e in market.events(job_id=job_id) if isinstance(e, ResultsCommitted)]
