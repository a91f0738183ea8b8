"""Turning the indexer's rows into API bodies (shared by the chain routes)."""

from marketplace.api.schemas import (
    BidPublic,
    DisputePublic,
    EventPublic,
    JobLedger,
    JobSummary,
    LedgerEntryPublic,
    PanelMemberPublic,
    PanelPayPublic,
    RoundPublic,
    SeatPublic,
    VerificationPublic,
    WorkerSummary,
)
from marketplace.db.chain_models import (
    AccountView,
    ChainEvent,
    DisputeView,
    JobView,
    LedgerEntry,
    SeatView,
)
from marketplace.indexer.ledger import JobMoney

# Seats that never won tiles: bids only.
NOT_ASSIGNED = ("None", "Revealed", "Outbid", "Reclaimed", "Forfeited")
# Bids never opened: sealed still, their bond taken back from a cancelled job, or forfeited.
UNREVEALED = ("None", "Reclaimed", "Forfeited")


def job_summary(job: JobView) -> JobSummary:
    return JobSummary(
        job_id=job.job_id,
        artist=job.artist,
        manifest_cid=job.manifest_cid,
        status=job.status,
        tile_count=job.tile_count,
        frame_count=job.frame_count,
        max_price_per_tile=str(job.max_price_per_tile),
        verify_fee_per_tile=str(job.verify_fee_per_tile),
        deposit=str(job.deposit),
        escrow=str(job.escrow),
        open_seats=job.open_seats,
        bid_end=job.bid_end,
        reveal_end=job.reveal_end,
        render_deadline=job.render_deadline,
        posted_block=job.posted_block,
        posted_at=job.posted_at,
        updated_block=job.updated_block,
        root=job.root,
        round=job.round,
        latest=job.latest,
        open_rounds=job.open_rounds,
        max_rounds=job.max_rounds,
        rounds_left=job.rounds_left,
        final_deadline=job.final_deadline,
        reserve=str(job.reserve),
        next_max_price_per_tile=str(job.next_max_price_per_tile),
        unsold=[(first, count) for first, count in job.unsold],
        offered=[(first, count) for first, count in job.offered],
    )


def round_public(round_: JobView, paid: list[SeatView]) -> RoundPublic:
    """A re-offer round and what its `paid` seats were paid."""
    return RoundPublic(
        round_id=round_.job_id,
        round=round_.round,
        status=round_.status,
        tiles=round_.tile_count,
        max_price_per_tile=str(round_.max_price_per_tile),
        paid=str(sum(s.payment for s in paid)),
        tiles_paid=sum(s.tile_count for s in paid),
    )


def event_public(row: ChainEvent) -> EventPublic:
    return EventPublic(
        block_number=row.block_number,
        log_index=row.log_index,
        tx_hash=row.tx_hash,
        timestamp=row.timestamp,
        name=row.name,
        job_id=row.job_id,
        actor=row.actor,
        args=row.args,
    )


def ledger_entry(entry: LedgerEntry) -> LedgerEntryPublic:
    return LedgerEntryPublic(
        block_number=entry.block_number,
        log_index=entry.log_index,
        round_id=entry.round_id,
        direction=entry.direction,
        party=entry.party,
        role=entry.role,
        reason=entry.reason,
        amount=str(entry.amount),
    )


def bid_public(seat: SeatView) -> BidPublic:
    revealed = seat.state not in UNREVEALED
    return BidPublic(
        bidder=seat.worker,
        commitment=seat.commitment,
        committed_block=seat.committed_block,
        declared_tiles=seat.declared_tiles,
        collateral=str(seat.collateral),
        revealed=revealed,
        price_per_tile=str(seat.price_per_tile) if revealed else None,
        tile_count=seat.bid_tiles if revealed else None,
        outcome=seat.state,
        forfeited=str(seat.slashed) if seat.state == "Forfeited" else "0",
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
    pay = None
    if d.beneficiary is not None:
        pay = PanelPayPublic(
            beneficiary=d.beneficiary, fee_each=str(d.fee_each), bonds_each=str(d.bonds_each),
            remainder=str(d.remainder), forfeited=str(d.forfeited),
            to_treasury=str(d.to_treasury),
        )  # fmt: skip
    return DisputePublic(
        disputer=d.disputer,
        kind=d.kind,
        appeal=d.appeal,
        bond=str(d.bond),
        reason_cid=d.reason_cid,
        anchor_block=d.anchor_block,
        deadline=d.deadline,
        panel=d.members,
        committed=[m for k, m in enumerate(d.members) if d.committed_mask & (1 << k)],
        votes=d.votes,
        members=[panel_member(d, k, m) for k, m in enumerate(d.members)],
        resolved=d.resolved,
        fraud=d.fraud,
        pay=pay,
    )


def seat_public(seat: SeatView, dispute: DisputeView | None) -> SeatPublic:
    return SeatPublic(
        worker=seat.worker,
        state=seat.state,
        price_per_tile=str(seat.price_per_tile),
        first_tile=seat.first_tile,
        tile_count=seat.tile_count,
        last_tile=seat.first_tile + seat.tile_count - 1 if seat.tile_count else None,
        merkle_root=seat.merkle_root,
        results_cid=seat.results_cid,
        verification=VerificationPublic(
            verifier=seat.verifier,
            round=seat.round,
            anchor_block=seat.anchor_block,
            seed=seat.seed,
            evidence_seal=seat.evidence_seal,
            attested_by=seat.attested_by,
            passed=seat.passed,
            evidence_cid=seat.evidence_cid,
            deadline=seat.deadline,
        ),
        dispute=dispute_public(dispute) if dispute is not None else None,
        payment=str(seat.payment),
        verifier_fee=str(seat.verifier_fee),
        slashed=str(seat.slashed),
    )


def worker_summary(a: AccountView, min_stake: int | None) -> WorkerSummary:
    eligible = a.stake != 0 and (min_stake is None or a.stake >= min_stake)
    return WorkerSummary(
        address=a.address,
        stake=str(a.stake),
        unstaking=str(a.unstaking),
        unlock_at=a.unlock_at,
        balance=str(a.balance),
        earned=str(a.earned),
        withdrawn=str(a.withdrawn),
        eligible=eligible,
        account_id=a.account_id,
        tiles_accepted=a.tiles_accepted,
        tiles_rejected=a.tiles_rejected,
        timeouts=a.timeouts,
        slashes=a.slashes,
    )


def job_ledger(m: JobMoney) -> JobLedger:
    return JobLedger(
        job_id=m.job_id,
        status=m.status,
        paid_in=str(m.paid_in),
        deposit=str(m.deposit),
        bid_bonds_in=str(m.bid_bonds_in),
        dispute_bonds_in=str(m.dispute_bonds_in),
        slashed=str(m.slashed),
        paid_out=str(m.paid_out),
        to_artist=str(m.to_artist),
        refunded=str(m.refunded),
        forfeits=str(m.forfeits),
        to_workers=str(m.to_workers),
        to_verifiers=str(m.to_verifiers),
        to_treasury=str(m.to_treasury),
        protocol_fee=str(m.protocol_fee),
        panels_to_treasury=str(m.panels_to_treasury),
        to_bidders=str(m.to_bidders),
        to_drawers=str(m.to_drawers),
        to_panels=str(m.to_panels),
        to_challengers=str(m.to_challengers),
        held=str(m.held),
        balanced=m.balanced,
        top_ups=str(m.top_ups),
        unrevealed_bonds=str(m.unrevealed_bonds),
        to_openers=str(m.to_openers),
        rounds=m.rounds,
        tiles_paid_twice=m.tiles_paid_twice,
    )
