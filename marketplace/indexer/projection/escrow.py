"""Projection rules, escrow: how its events change the read tables (`Projector` applies them)."""

from marketplace.indexer.projection.rows import Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev


class EscrowRules(Rows):
    """A job posted into escrow (its reserve full), cancelled, or completed with its refund and
    fee once no seat or round of it is open and none may open."""

    def _job_posted(self, e: ev.JobPosted, at: Position) -> None:
        p = e.params
        job = self._new_job(
            at, job_id=e.job_id, artist=e.artist, manifest_cid=e.manifest_cid,
            tile_count=p.tile_count, frame_count=p.frame_count,
            max_price_per_tile=p.max_price_per_tile, verify_fee_per_tile=p.verify_fee_per_tile,
            bid_bond=p.bid_bond, bid_window=p.bid_window, reveal_window=p.reveal_window,
            render_window=p.render_window, verify_window=p.verify_window, deposit=e.deposit,
            escrow=e.deposit, bid_end=e.bid_end, reveal_end=e.reveal_end,
            max_rounds=p.max_rounds, rounds_left=p.max_rounds, final_deadline=p.final_deadline,
            reserve=e.deposit, next_max_price_per_tile=p.max_price_per_tile,
        )  # fmt: skip
        self._account(e.artist)
        self._pay_in(at, job, e.artist, "artist", "deposit", e.deposit)

    def _job_cancelled(self, e: ev.JobCancelled, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.reserve = 0
        job.status = "Cancelled"
        self._credit(at, job, job.artist, "artist", "cancel_refund", e.refund)

    def _job_completed(self, e: ev.JobCompleted, at: Position) -> None:
        # The contract's `_tryComplete`, always on a posted job. Emitted by the settlement of a
        # posted job that sold nothing and may not re-offer, it means the job expired.
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.fees_due = 0
        job.reserve = 0
        expired = self._sold_nothing.pop(job.job_id, None) == at.tx_hash
        job.status = "Expired" if expired else "Completed"
        self._credit(at, job, self.config.treasury, "treasury", "protocol_fee", e.protocol_fee)
        self._credit(at, job, job.artist, "artist", "completion_refund", e.artist_refund)
