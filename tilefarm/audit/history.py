"""What the chain says about one job: its events in order, the contract's current view of it and
the market's fixed parameters. The auditor reads nothing else from the chain."""

from dataclasses import dataclass, field
from typing import Literal

from tilefarm.chain import events as ev
from tilefarm.chain.bindings import JobMarketClient
from tilefarm.chain.records import Job, MarketConfig
from tilefarm.errors import TilefarmError

# A worker's appeal of a fail, the artist's contest of a pass (the tiles are fraudulent), anyone
# else's challenge of a pass (it contradicts its verifier's own sealed evidence).
DisputeKind = Literal["appeal", "contest", "challenge"]


class AuditError(TilefarmError):
    """The audit cannot start (an unknown job, an unreachable chain...)."""


class UnknownJob(AuditError):
    """No job with this id was posted on the market."""


@dataclass
class Assignment:
    """One worker's tiles in the job, as `TilesAssigned` gave them."""

    worker: str
    first_tile: int
    tile_count: int
    price_per_tile: int


@dataclass
class JobHistory:
    """One job's events (chain order), the contract's `job(id)` now, and the market's config."""

    job_id: int
    market: str
    events: list[ev.MarketEvent]
    job: Job
    config: MarketConfig
    posted: ev.JobPosted = field(init=False)

    def __post_init__(self) -> None:
        posted = [e for e in self.events if isinstance(e, ev.JobPosted)]
        if len(posted) != 1:
            raise AuditError(f"job {self.job_id} has {len(posted)} JobPosted events, not one")
        self.posted = posted[0]

    def of(self, kind: type[ev.MarketEvent]) -> list[ev.MarketEvent]:
        """The events of one kind, in chain order."""
        return [e for e in self.events if isinstance(e, kind)]

    def assignments(self) -> list[Assignment]:
        """Every worker's assignment, by first tile."""
        found = [
            Assignment(e.worker, e.first_tile, e.tile_count, e.price_per_tile)
            for e in self.events
            if isinstance(e, ev.TilesAssigned)
        ]
        return sorted(found, key=lambda a: a.first_tile)

    def commitment(self, worker: str) -> ev.ResultsCommitted | None:
        for e in self.events:
            if isinstance(e, ev.ResultsCommitted) and e.worker == worker:
                return e
        return None

    def revealed(self, worker: str) -> ev.ResultsRevealed | None:
        """The worker's latest revealed results list (none before its verifier sealed)."""
        found = [e for e in self.events if isinstance(e, ev.ResultsRevealed) and e.worker == worker]
        return found[-1] if found else None

    def dispute_kinds(self) -> dict[tuple[int, int], DisputeKind]:
        """Each `DisputeOpened` (by its position) and its kind, as the contract's `openDispute`
        tells them apart: the worker appeals a failed seat; on an accepted seat the artist
        contests and anyone else (the worker too) challenges."""
        failed: dict[str, bool] = {}
        kinds: dict[tuple[int, int], DisputeKind] = {}
        for e in self.events:
            if isinstance(e, ev.ResultsAttested):
                failed[e.worker] = not e.passed
            elif isinstance(e, ev.ResultsAccepted | ev.VerifierReplaced):
                failed[e.worker] = False
            elif isinstance(e, ev.DisputeOpened):
                kind: DisputeKind
                if failed.get(e.worker):
                    kind = "appeal"
                elif e.disputer == self.posted.artist:
                    kind = "contest"
                else:
                    kind = "challenge"
                kinds[(e.block_number, e.log_index)] = kind
        return kinds


def read_history(market: JobMarketClient, job_id: int, from_block: int = 0) -> JobHistory:
    """Read job `job_id` of `market` from the chain (events from `from_block`, the market's
    deployment block when known)."""
    count = market.job_count()
    if not 1 <= job_id <= count:
        raise UnknownJob(f"the market at {market.address} has no job {job_id} (jobs: 1..{count})")
    return JobHistory(
        job_id=job_id,
        market=market.address,
        events=market.events(from_block=from_block, job_id=job_id),
        job=market.job(job_id),
        config=market.config(),
    )


def read_histories(market: JobMarketClient, from_block: int = 0) -> list[JobHistory]:
    """Every job of `market` (its events read in one pass, from `from_block`)."""
    config = market.config()
    by_job: dict[int, list[ev.MarketEvent]] = {}
    for event in market.events(from_block=from_block):
        job_id = getattr(event, "job_id", None)
        if isinstance(job_id, int):
            by_job.setdefault(job_id, []).append(event)
    return [
        JobHistory(
            job_id=job_id,
            market=market.address,
            events=by_job.get(job_id, []),
            job=market.job(job_id),
            config=config,
        )
        for job_id in range(1, market.job_count() + 1)
    ]
