"""Projection rules, results: how its events change the read tables (`Projector` applies them)."""

from marketplace.db.chain_models import DisputeView
from marketplace.indexer.projection.rows import ZERO_ADDRESS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.chain import events as ev


class ResultsRules(Rows):
    """Results committed, verifiers drawn and replaced, verdicts; seats paid, rejected, late."""

    def _results_committed(self, e: ev.ResultsCommitted, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Submitted"
        seat.hash = e.merkle_root
        seat.results_cid = e.results_cid
        seat.anchor_block = e.anchor_block
        seat.deadline = at.timestamp + job.verify_window

    def _verifier_drawn(self, e: ev.VerifierDrawn, at: Position) -> None:
        self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.verifier = e.verifier
        seat.seed = e.seed

    def _verifier_draw_deferred(self, e: ev.VerifierDrawDeferred, at: Position) -> None:
        self._job(e.job_id, at)
        self._seat(e.job_id, e.worker).anchor_block = e.anchor_block

    def _results_attested(self, e: ev.ResultsAttested, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.verifier = e.verifier  # `attest` draws lazily when nobody called `drawVerifier`
        seat.attested_by = e.verifier
        seat.passed = e.passed
        seat.evidence_cid = e.evidence_cid
        if not e.passed:
            seat.state = "Failed"
            seat.deadline = at.timestamp + job.verify_window

    def _results_accepted(self, e: ev.ResultsAccepted, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Accepted"
        seat.deadline = at.timestamp + job.verify_window
        dispute = self.s.get(DisputeView, (e.job_id, e.worker))
        if dispute is not None and dispute.resolved_tx == at.tx_hash:
            seat.deadline = 0  # a won appeal leaves no window to contest in
        seat.payment = e.payment
        seat.verifier_fee = e.verifier_fee
        job.escrow -= e.payment + e.verifier_fee
        job.fees_due += seat.tile_count * self._fee_per_tile(seat.price_per_tile)
        self._account(e.worker).tiles_accepted += seat.tile_count
        self._credit(at, job.job_id, e.worker, "worker", "tile_payment", e.payment)
        if e.verifier_fee:
            assert seat.verifier is not None  # the contract pays a fee only to a drawn verifier
            self._credit(at, job.job_id, seat.verifier, "verifier", "verifier_fee", e.verifier_fee)
        self._close_seat(job, at)

    def _results_rejected(self, e: ev.ResultsRejected, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.slashed += e.slashed
        dispute = self.s.get(DisputeView, (e.job_id, e.worker))
        contested = seat.state == "Contested"
        seat.state = "Rejected"
        self._account(e.worker).tiles_rejected += seat.tile_count
        if contested:
            # The artist's contest of a paid acceptance: the slash makes it whole; its bond back.
            assert dispute is not None
            voters = self._fraud_voters(dispute, True)
            self._pay_fraud(at, job, e.slashed, voters, "fraud_slash_share")
            self._credit(
                at, job.job_id, dispute.disputer, "artist", "dispute_bond_return", dispute.bond
            )
            dispute.bond = 0
            return
        # `_reject`: the failing verifier keeps its fee; the slash (and a lost appeal's bond)
        # goes to the honest verifiers and the artist; the tiles' escrow returns at completion.
        fee = seat.tile_count * job.verify_fee_per_tile if seat.verifier else 0
        job.escrow -= fee
        seat.verifier_fee = fee
        if seat.verifier:
            self._credit(at, job.job_id, seat.verifier, "verifier", "verifier_fee", fee)
        honest: list[str] = []
        extra = 0
        if dispute is not None and dispute.resolved_tx == at.tx_hash:
            # A lost appeal: the fraud voters share with the failing verifier, plus the bond.
            honest = self._fraud_voters(dispute, True)
            extra = dispute.bond
            dispute.bond = 0
        if seat.verifier:
            honest.append(seat.verifier)
        self._pay_fraud(at, job, e.slashed + extra, honest, "fraud_slash_share")
        self._close_seat(job, at)

    def _worker_timed_out(self, e: ev.WorkerTimedOut, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "TimedOut"
        seat.slashed += e.slashed
        self._account(e.worker).timeouts += 1
        self._credit(at, job.job_id, job.artist, "artist", "late_slash", e.slashed)
        self._close_seat(job, at)

    def _verifier_replaced(self, e: ev.VerifierReplaced, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        if e.silent_verifier != ZERO_ADDRESS:
            self._account(e.silent_verifier).timeouts += 1
        if e.round >= 3:
            # MAX_VERIFIER_ROUNDS: a ResultsAccepted without a fee follows; the contract leaves
            # the silent verifier's slot in the seat.
            return
        seat.round = e.round
        seat.verifier = None
        seat.seed = None
        seat.anchor_block = at.block_number + self.config.draw_delay
        seat.deadline = at.timestamp + job.verify_window
