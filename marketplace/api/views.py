"""API bodies of the indexer's rows, shared by the chain routes.

Each body is read from its row's attributes (`Model.model_validate(row)`, see `schemas.RowBody`);
the functions here add only what the row does not hold: a bid's outcome, a seat's last tile and
dispute, why a seat was given back in words, a worker's eligibility and declared backend by name,
the lists of a detail body. `Overlay` lays those values over the
row for the body to read.
"""

from collections.abc import Iterable, Mapping, Sequence

from marketplace.api.schemas import (
    BidPublic,
    DisputePublic,
    JobDetail,
    PanelMemberPublic,
    RoundPublic,
    SeatPublic,
    WorkerDetail,
    WorkerJob,
    WorkerSummary,
    WorkerVerification,
)
from marketplace.db.chain_models import (
    AccountView,
    ChainEvent,
    DisputeView,
    JobView,
    LedgerEntry,
    SeatView,
)
from tilefarm.hardware_codes import AbandonCause, backend_name

# Seats that never won tiles: bids only.
NOT_ASSIGNED = ("None", "Revealed", "Outbid", "Reclaimed", "Forfeited")
# Bids never opened: sealed still, their bond taken back from a cancelled job, or forfeited.
UNREVEALED = ("None", "Reclaimed", "Forfeited")


class Overlay:
    """The attributes of `row`, with `values` added or laid over them: what a body reads when it
    carries more than its row holds."""

    def __init__(self, row: object, **values: object) -> None:
        self._row = row
        self._values = values

    def __getattr__(self, name: str) -> object:
        if name in self._values:
            return self._values[name]
        return getattr(self._row, name)


def job_detail(
    job: JobView,
    seats: Sequence[SeatView],
    disputes: Mapping[str, DisputeView],
    payments: Sequence[LedgerEntry],
    events: Sequence[ChainEvent],
    rounds: Sequence[JobView],
    paid: Sequence[SeatView],
) -> JobDetail:
    """A job with its bids, the seats that won tiles (in tile order) and their disputes, its
    ledger entries, events and re-offer rounds (`paid`: the rounds' paid seats)."""
    assigned = sorted((s for s in seats if s.state not in NOT_ASSIGNED), key=lambda s: s.first_tile)
    return JobDetail.model_validate(
        Overlay(
            job,
            bids=[bid_public(s) for s in seats],
            seats=[seat_public(s, disputes.get(s.worker)) for s in assigned],
            payments=payments,
            events=events,
            rounds=[round_public(r, [s for s in paid if s.job_id == r.job_id]) for r in rounds],
        )
    )


def round_public(round_: JobView, paid: Iterable[SeatView]) -> RoundPublic:
    """A re-offer round and what its `paid` seats were paid."""
    paid = list(paid)
    return RoundPublic(
        round_id=round_.job_id,
        round=round_.round,
        status=round_.status,
        tiles=round_.tile_count,
        max_price_per_tile=round_.max_price_per_tile,
        paid=sum(s.payment for s in paid),
        tiles_paid=sum(s.tile_count for s in paid),
    )


def bid_public(seat: SeatView) -> BidPublic:
    """A seat as a bid: its price and tile count once revealed, its collateral once forfeited."""
    revealed = seat.state not in UNREVEALED
    return BidPublic.model_validate(
        Overlay(
            seat,
            bidder=seat.worker,
            revealed=revealed,
            price_per_tile=seat.price_per_tile if revealed else None,
            tile_count=seat.bid_tiles if revealed else None,
            outcome=seat.state,
            forfeited=seat.slashed if seat.state == "Forfeited" else 0,
        )
    )


def panel_member(d: DisputeView, k: int, member: str) -> PanelMemberPublic:
    """Where panel member `k` stands: drawn, its vote sealed, revealed, or silent at the end."""
    if member in d.votes:
        return PanelMemberPublic(address=member, state="revealed", fraud=d.votes[member])
    if d.resolved:
        return PanelMemberPublic(address=member, state="silent", fraud=None)
    sealed = d.committed_mask & (1 << k)
    return PanelMemberPublic(address=member, state="sealed" if sealed else "drawn", fraud=None)


def dispute_public(d: DisputeView) -> DisputePublic:
    """A dispute, its panel member by member, and the panel's pay (read from the same row) once
    it was paid."""
    return DisputePublic.model_validate(
        Overlay(
            d,
            panel=d.members,
            committed=[m for k, m in enumerate(d.members) if d.committed_mask & (1 << k)],
            members=[panel_member(d, k, m) for k, m in enumerate(d.members)],
            pay=d if d.beneficiary is not None else None,
        )
    )


def seat_public(seat: SeatView, dispute: DisputeView | None) -> SeatPublic:
    """An assignment; its verification is read from the same row."""
    return SeatPublic.model_validate(
        Overlay(
            seat,
            last_tile=seat.first_tile + seat.tile_count - 1 if seat.tile_count else None,
            verification=seat,
            dispute=dispute_public(dispute) if dispute is not None else None,
            cause=seat.abandon_cause,
            cause_text=cause_text(seat.abandon_cause),
        )
    )


def cause_text(cause: int | None) -> str | None:
    """Why a seat was given back, in words (None for a seat that was not)."""
    if cause is None:
        return None
    try:
        return AbandonCause(cause).describe()
    except ValueError:  # a cause this server does not know yet
        return f"a worker gave its tiles back (cause {cause})"


def eligible(account: AccountView, min_stake: int | None) -> bool:
    """Whether `account` may bid and is in the verifier pool (min_stake None: not read yet)."""
    return account.stake != 0 and (min_stake is None or account.stake >= min_stake)


def worker_summary(account: AccountView, min_stake: int | None) -> WorkerSummary:
    return WorkerSummary.model_validate(
        Overlay(
            account,
            eligible=eligible(account, min_stake),
            backend=backend_name(account.backend),
        )
    )


def worker_detail(
    account: AccountView,
    min_stake: int | None,
    seats: Iterable[SeatView],
    verified: Iterable[SeatView],
    history: Sequence[ChainEvent],
    *,
    jobs_total: int,
    verifications_total: int,
) -> WorkerDetail:
    """An account with (some of) its seats and the seats it verified (its fee, once it
    attested), with how many of each it has in all, and its events."""
    who = account.address
    return WorkerDetail.model_validate(
        Overlay(
            account,
            eligible=eligible(account, min_stake),
            backend=backend_name(account.backend),
            jobs_total=jobs_total,
            verifications_total=verifications_total,
            jobs=[
                WorkerJob.model_validate(
                    Overlay(
                        s,
                        tile_count=s.tile_count if s.state not in NOT_ASSIGNED else 0,
                        cause=s.abandon_cause,
                        cause_text=cause_text(s.abandon_cause),
                    )
                )
                for s in seats
            ],
            verifications=[
                WorkerVerification.model_validate(
                    Overlay(s, fee=s.verifier_fee if s.attested_by == who else 0)
                )
                for s in verified
            ],
            history=history,
        )
    )
