"""Turning the indexer's rows into API bodies (shared by the chain routes)."""

from marketplace.api.schemas import (
    BidPublic,
    DisputePublic,
    EventPublic,
    JobLedger,
    JobSummary,
    LedgerEntryPublic,
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
NOT_ASSIGNED = ("None", "Revealed", "Outbid", "Reclaimed")


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
        direction=entry.direction,
        party=entry.party,
        role=entry.role,
        reason=entry.reason,
        amount=str(entry.amount),
    )


def bid_public(seat: SeatView) -> BidPublic:
    revealed = seat.state not in ("None", "Reclaimed")
    return BidPublic(
        bidder=seat.worker,
        commitment=seat.commitment,
        committed_block=seat.committed_block,
        revealed=revealed,
        price_per_tile=str(seat.price_per_tile) if revealed else None,
        tile_count=seat.bid_tiles if revealed else None,
        outcome=seat.state,
    )


def dispute_public(d: DisputeView) -> DisputePublic:
    return DisputePublic(
        disputer=d.disputer,
        appeal=d.appeal,
        bond=str(d.bond),
        reason_cid=d.reason_cid,
        anchor_block=d.anchor_block,
        deadline=d.deadline,
        panel=d.members,
        votes=d.votes,
        resolved=d.resolved,
        fraud=d.fraud,
    )


def seat_public(seat: SeatView, dispute: DisputeView | None) -> SeatPublic:
    submitted = seat.results_cid is not None
    return SeatPublic(
        worker=seat.worker,
        state=seat.state,
        price_per_tile=str(seat.price_per_tile),
        first_tile=seat.first_tile,
        tile_count=seat.tile_count,
        last_tile=seat.first_tile + seat.tile_count - 1 if seat.tile_count else None,
        merkle_root=seat.hash if submitted else None,
        results_cid=seat.results_cid,
        verification=VerificationPublic(
            verifier=seat.verifier,
            round=seat.round,
            anchor_block=seat.anchor_block,
            seed=seat.seed,
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
        to_workers=str(m.to_workers),
        to_verifiers=str(m.to_verifiers),
        to_treasury=str(m.to_treasury),
        to_bidders=str(m.to_bidders),
        to_drawers=str(m.to_drawers),
        held=str(m.held),
        balanced=m.balanced,
    )
