"""Projection rules, escrow: how its events change the read tables (`Projector` applies them)."""

from marketplace.db.chain_models import JobView
from marketplace.indexer.projection.rows import Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.chain import events as ev


class EscrowRules(Rows):
    """A job posted into escrow, cancelled, or completed with its refund and fee."""

    def _job_posted(self, e: ev.JobPosted, at: Position) -> None:
        p = e.params
        self.s.add(
            JobView(
                job_id=e.job_id,
                artist=e.artist,
                manifest_cid=e.manifest_cid,
                status="Bidding",
                tile_count=p.tile_count,
                frame_count=p.frame_count,
                max_price_per_tile=p.max_price_per_tile,
                verify_fee_per_tile=p.verify_fee_per_tile,
                bid_bond=p.bid_bond,
                bid_window=p.bid_window,
                reveal_window=p.reveal_window,
                render_window=p.render_window,
                verify_window=p.verify_window,
                deposit=e.deposit,
                escrow=e.deposit,
                fees_due=0,
                open_seats=0,
                commits=0,
                reveals=0,
                bid_end=e.bid_end,
                reveal_end=e.reveal_end,
                render_deadline=0,
                posted_block=at.block_number,
                posted_at=at.timestamp,
                updated_block=at.block_number,
            )
        )
        self._account(e.artist)
        self._pay_in(at, e.job_id, e.artist, "artist", "deposit", e.deposit)

    def _job_cancelled(self, e: ev.JobCancelled, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.status = "Cancelled"
        self._credit(at, job.job_id, job.artist, "artist", "cancel_refund", e.refund)

    def _job_completed(self, e: ev.JobCompleted, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.fees_due = 0
        job.status = "Completed"
        self._credit(
            at, job.job_id, self.config.treasury, "treasury", "protocol_fee", e.protocol_fee
        )
        self._credit(at, job.job_id, job.artist, "artist", "completion_refund", e.artist_refund)
