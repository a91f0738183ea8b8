"""What the chain says about one posted job and its re-offer rounds: their events in order, the
contract's current view of them (`job`, `reofferOf`, `unsoldTiles`) and the market's fixed
parameters. The auditor reads nothing else from the chain.

A round is a job record of its own (`RoundOpened.round_id`): its bids, seats, verdicts, disputes
and payments name the round's id, and its seats hold tile indices of the posted job. A worker may
hold a seat in several rounds of a job, so a seat is known by `(job id, worker)`, the job id being
the round's own (the posted job's for its first sale)."""

from dataclasses import dataclass, field
from typing import Literal

from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.events import unpack_ranges
from tilefarm.adapters.chain.records import Job, MarketConfig, Reoffer, record
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
    """One worker's tiles in the job, as `TilesAssigned` gave them, in the round `job_id` (the
    posted job's own id for its first sale)."""

    worker: str
    first_tile: int
    tile_count: int
    price_per_tile: int
    job_id: int
    round: int = 0

    @property
    def key(self) -> tuple[int, str]:
        """The seat: its round's job id and its worker."""
        return (self.job_id, self.worker)

    @property
    def tiles(self) -> range:
        return range(self.first_tile, self.first_tile + self.tile_count)


@dataclass(frozen=True)
class Terms:
    """What one sale of the job offers, and on what terms: the posted job's (`round` 0, every
    tile) or a re-offer round's (`RoundOpened`)."""

    job_id: int
    round: int
    tile_count: int
    max_price_per_tile: int
    bid_bond: int
    verify_fee_per_tile: int
    ranges: tuple[tuple[int, int], ...]


@dataclass
class JobHistory:
    """One posted job's events and its rounds' (chain order), the contract's `job(id)` of each
    now, its `reofferOf(id)` and `unsoldTiles(id)` now (when read), and the market's config."""

    job_id: int
    market: str
    events: list[ev.MarketEvent]
    job: Job
    config: MarketConfig
    rounds: dict[int, Job] = field(default_factory=dict)  # round id -> `job(id)` now
    reoffer: Reoffer | None = None
    unsold: list[tuple[int, int]] | None = None
    posted: ev.JobPosted = field(init=False)

    def __post_init__(self) -> None:
        posted = [e for e in self.events if isinstance(e, ev.JobPosted)]
        if len(posted) != 1:
            raise AuditError(f"job {self.job_id} has {len(posted)} JobPosted events, not one")
        self.posted = posted[0]

    def of(self, kind: type[ev.MarketEvent]) -> list[ev.MarketEvent]:
        """The events of one kind, in chain order."""
        return [e for e in self.events if isinstance(e, kind)]

    def terms(self) -> dict[int, Terms]:
        """Each sale of the job by its job id: the posted job's, then each round's."""
        p = self.posted.params
        out = {
            self.job_id: Terms(
                self.job_id, 0, p.tile_count, p.max_price_per_tile, p.bid_bond,
                p.verify_fee_per_tile, ((0, p.tile_count),),
            )
        }  # fmt: skip
        for e in self.events:
            if isinstance(e, ev.RoundOpened):
                out[e.round_id] = Terms(
                    e.round_id, e.round, e.tiles, e.max_price_per_tile, e.bid_bond,
                    p.verify_fee_per_tile, tuple(e.tile_ranges()),
                )  # fmt: skip
        return out

    def record(self, job_id: int) -> Job:
        """The contract's `job(id)` now, of the posted job or one of its rounds."""
        return self.job if job_id == self.job_id else self.rounds[job_id]

    def assignments(self) -> list[Assignment]:
        """Every seat's assignment, by round, then first tile."""
        rounds = {job_id: t.round for job_id, t in self.terms().items()}
        found = [
            Assignment(e.worker, e.first_tile, e.tile_count, e.price_per_tile, e.job_id)
            for e in self.events
            if isinstance(e, ev.TilesAssigned)
        ]
        for a in found:
            a.round = rounds.get(a.job_id, 0)
        return sorted(found, key=lambda a: (a.round, a.first_tile))

    def commitment(self, worker: str, job_id: int | None = None) -> ev.ResultsCommitted | None:
        """The worker's commitment in round `job_id` (the posted job's sale by default)."""
        job_id = self.job_id if job_id is None else job_id
        for e in self.events:
            if isinstance(e, ev.ResultsCommitted) and (e.job_id, e.worker) == (job_id, worker):
                return e
        return None

    def revealed(self, worker: str, job_id: int | None = None) -> ev.ResultsRevealed | None:
        """The worker's latest revealed results list in round `job_id` (none before its
        verifier sealed)."""
        job_id = self.job_id if job_id is None else job_id
        found = [
            e
            for e in self.events
            if isinstance(e, ev.ResultsRevealed) and (e.job_id, e.worker) == (job_id, worker)
        ]
        return found[-1] if found else None

    def dispute_kinds(self) -> dict[tuple[int, int], DisputeKind]:
        """Each `DisputeOpened` (by its position) and its kind, as the contract's `openDispute`
        tells them apart: the worker appeals a failed seat; on an accepted seat the artist
        contests and anyone else (the worker too) challenges."""
        failed: dict[tuple[int, str], bool] = {}
        kinds: dict[tuple[int, int], DisputeKind] = {}
        for e in self.events:
            if isinstance(e, ev.ResultsAttested):
                failed[(e.job_id, e.worker)] = not e.passed
            elif isinstance(e, ev.ResultsAccepted | ev.VerifierReplaced):
                failed[(e.job_id, e.worker)] = False
            elif isinstance(e, ev.DisputeOpened):
                kind: DisputeKind
                if failed.get((e.job_id, e.worker)):
                    kind = "appeal"
                elif e.disputer == self.posted.artist:
                    kind = "contest"
                else:
                    kind = "challenge"
                kinds[(e.block_number, e.log_index)] = kind
        return kinds


def read_history(market: JobMarketClient, job_id: int, from_block: int = 0) -> JobHistory:
    """Read job `job_id` of `market` from the chain with its rounds (events from `from_block`,
    the market's deployment block when known). A round's id reads the job it is a round of."""
    count = market.job_count()
    if not 1 <= job_id <= count:
        raise UnknownJob(f"the market at {market.address} has no job {job_id} (jobs: 1..{count})")
    job = market.job(job_id)
    if not job.posted_job:
        job_id, job = job.root, market.job(job.root)
    # The node picks out each sale's events by its job id: the posted job's, then its rounds'.
    events = market.events(from_block=from_block, job_id=job_id)
    for round_id in _round_ids(events):
        events += market.events(from_block=from_block, job_id=round_id)
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return _history(market, job_id, job, events, market.config())


def read_histories(
    market: JobMarketClient, from_block: int = 0, block: int | None = None
) -> list[JobHistory]:
    """Every posted job of `market` with its rounds, all read at one block (`block`, the latest
    by default): their events in one pass from `from_block`, the contract's views of every job
    in batches."""
    block = int(market.w3.eth.block_number) if block is None else block
    config = market.config()
    root_of: dict[int, int] = {}
    by_job: dict[int, list[ev.MarketEvent]] = {}
    for event in market.events(from_block=from_block, to_block=block):
        if isinstance(event, ev.RoundOpened):
            root_of[event.round_id] = event.job_id
        job_id = event.get("job_id")
        if isinstance(job_id, int):
            by_job.setdefault(root_of.get(job_id, job_id), []).append(event)
    (count,) = market.views("jobCount", [()], block)
    ids = range(1, int(count) + 1)
    views = market.views("job", [(i,) for i in ids], block)
    jobs = {i: record(Job, v) for i, v in zip(ids, views, strict=True)}
    posted = [i for i in ids if jobs[i].posted_job]
    reoffers = market.views("reofferOf", [(i,) for i in posted], block)
    unsold = market.views("unsoldTiles", [(i,) for i in posted], block)
    histories = []
    for job_id, reoffer, packed in zip(posted, reoffers, unsold, strict=True):
        events = by_job.get(job_id, [])
        history = JobHistory(
            job_id=job_id, market=market.address, events=events, job=jobs[job_id],
            config=config, rounds={r: jobs[r] for r in _round_ids(events)},
            reoffer=record(Reoffer, reoffer), unsold=unpack_ranges(list(packed)),
        )  # fmt: skip
        histories.append(history)
    return histories


def _round_ids(events: list[ev.MarketEvent]) -> list[int]:
    return [e.round_id for e in events if isinstance(e, ev.RoundOpened)]


def _history(
    market: JobMarketClient,
    job_id: int,
    job: Job,
    events: list[ev.MarketEvent],
    config: MarketConfig,
) -> JobHistory:
    return JobHistory(
        job_id=job_id,
        market=market.address,
        events=events,
        job=job,
        config=config,
        rounds={r: market.job(r) for r in _round_ids(events)},
        reoffer=market.reoffer_of(job_id),
        unsold=market.unsold_tiles(job_id),
    )
