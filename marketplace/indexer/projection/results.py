"""Projection rules, results: how its events change the read tables (`Projector` applies them)."""

from sqlalchemy import select

from marketplace.db.chain_models import DisputeView, JobView, LedgerEntry, SeatView
from marketplace.indexer.projection.rows import ZERO_ADDRESS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev

MAX_VERIFIER_ROUNDS = 3  # the contract's constant


class ResultsRules(Rows):
    """Results committed, verifiers drawn, evidence sealed, results revealed, verifiers replaced,
    verdicts; seats paid, rejected (a fail, or a reveal the worker let pass), late, given back,
    lapsed or left unverified."""

    def _results_committed(self, e: ev.ResultsCommitted, at: Position) -> None:
        # The Merkle root only: the results list stays hidden until `ResultsRevealed`.
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Submitted"
        seat.hash = e.merkle_root
        seat.merkle_root = e.merkle_root
        seat.anchor_block = e.anchor_block
        seat.deadline = at.timestamp + job.verify_window

    def _evidence_sealed(self, e: ev.EvidenceSealed, at: Position) -> None:
        # The verifier sealed its evidence unseen; the worker's reveal window starts now.
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Sealed"
        seat.evidence_seal = e.seal
        seat.deadline = at.timestamp + job.verify_window

    def _results_revealed(self, e: ev.ResultsRevealed, at: Position) -> None:
        # The results list, public from now on; the verifier's window to attest starts now.
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Opened"
        seat.results_cid = e.results_cid
        seat.deadline = at.timestamp + job.verify_window

    def _verifier_drawn(self, e: ev.VerifierDrawn, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.verifier = e.verifier
        seat.seed = e.seed
        seat.deadline = at.timestamp + job.verify_window  # the verifier's window starts now
        self._funds(job, at).escrow -= e.bounty
        self._credit(at, job, e.caller, "drawer", "draw_bounty", e.bounty)

    def _verifier_draw_missed(self, e: ev.VerifierDrawMissed, at: Position) -> None:
        # The contract's `_lapse`: the seat is taken like a late one (its `Slashed` came first).
        job = self._job(e.job_id, at)
        self._time_out(job, self._seat(e.job_id, e.worker), e.slashed, at)

    def _results_attested(self, e: ev.ResultsAttested, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.attested_by = e.verifier
        seat.passed = e.passed
        seat.evidence_cid = e.evidence_cid
        if not e.passed:
            seat.state = "Failed"
            seat.deadline = at.timestamp + job.verify_window

    def _results_accepted(self, e: ev.ResultsAccepted, at: Position) -> None:
        # A verdict accepted the tiles; nothing is credited before `PaymentReleased`.
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Accepted"
        seat.deadline = at.timestamp + job.verify_window  # the contest window

    def _payment_released(self, e: ev.PaymentReleased, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Paid"
        seat.deadline = 0
        seat.payment = e.payment
        seat.verifier_fee = e.verifier_fee
        funds = self._funds(job, at)
        funds.escrow -= e.payment + e.verifier_fee
        funds.fees_due += seat.tile_count * self._fee_per_tile(seat.price_per_tile)
        self._account(e.worker).tiles_accepted += seat.tile_count
        self._credit(at, job, e.worker, "worker", "tile_payment", e.payment)
        if e.verifier_fee:
            assert seat.verifier is not None  # the contract pays a fee only to a drawn verifier
            self._credit(at, job, seat.verifier, "verifier", "verifier_fee", e.verifier_fee)
        self._close_seat(job, at)

    def _results_unverified(self, e: ev.ResultsUnverified, at: Position) -> None:
        # Silence is never a verdict: the seat closes unpaid; its tiles and their escrow go back
        # to the reserve (the `TilesReturned` that follows).
        job = self._job(e.job_id, at)
        self._seat(e.job_id, e.worker).state = "Unverified"
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
            # The artist's contest of an accepted seat: nothing was paid; the pay, its fee and
            # the overruled verifier's fee go back to the reserve with the tiles. The panel's fee
            # comes out of the worker's slash; the fraud voters share the rest with the reserve
            # (the artist's bond came back at the `DisputeResolved`).
            assert dispute is not None
            voters = self._fraud_voters(dispute, True)
            fee = self._panel_fee_out_of(e.slashed)
            self._pay_fraud(at, job, e.slashed - fee, voters, "fraud_slash_share")
            self._close_seat(job, at)
            return
        # `_reject`: the failing verifier keeps its fee; the slash goes to the honest verifiers
        # and the reserve; the tiles and the rest of their escrow go back to the reserve (the
        # `TilesReturned` that follows).
        fee = self._verifier_fee(job, seat) if seat.verifier else 0
        self._funds(job, at).escrow -= fee
        seat.verifier_fee = fee
        if seat.verifier:
            self._credit(at, job, seat.verifier, "verifier", "verifier_fee", fee)
        honest: list[str] = []
        if dispute is not None and dispute.resolved_tx == at.tx_hash:
            # A lost appeal: the fraud voters share with the failing verifier (the appeal's
            # bond is the panel's fee, paid by the `PanelPaid` that follows).
            honest = self._fraud_voters(dispute, True)
        if seat.verifier:
            honest.append(seat.verifier)
        self._pay_fraud(at, job, e.slashed, honest, "fraud_slash_share")
        self._close_seat(job, at)

    def _worker_timed_out(self, e: ev.WorkerTimedOut, at: Position) -> None:
        job = self._job(e.job_id, at)
        self._time_out(job, self._seat(e.job_id, e.worker), e.slashed, at)

    def _seat_abandoned(self, e: ev.SeatAbandoned, at: Position) -> None:
        # `abandonSeat`: the worker gives its seat back before the deadline, with its cause; the
        # contract times it out exactly as `claimLate` does (same slash, same tiles returned).
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.abandon_cause = e.cause
        self._time_out(job, seat, e.slashed, at)

    def _time_out(self, job: JobView, seat: SeatView, slashed: int, at: Position) -> None:
        """The contract's `_timeOut`: the seat is lost, the late slash goes into the posted
        job's reserve (it pays for the tiles' next round first); the tiles go back with the
        `TilesReturned` that follows."""
        seat.state = "TimedOut"
        seat.slashed += slashed
        self._account(seat.worker).timeouts += 1
        self._into_reserve(job, slashed, at)
        self._close_seat(job, at)

    def _verifier_replaced(self, e: ev.VerifierReplaced, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        dispute = self.s.get(DisputeView, (e.job_id, e.worker))
        overturned = dispute is not None and (dispute.kind, dispute.resolved_tx) == (
            "challenge", at.tx_hash,
        )  # fmt: skip
        if e.silent_verifier != ZERO_ADDRESS and not overturned:
            self._account(e.silent_verifier).timeouts += 1
            # The silent verifier's `Slashed` (reason Silence) came just before, in this
            # transaction; it goes to the worker left waiting.
            slashed = self.s.scalar(
                select(LedgerEntry.amount)
                .where(
                    LedgerEntry.round_id == e.job_id,
                    LedgerEntry.block_number == at.block_number,
                    LedgerEntry.log_index < at.log_index,
                    LedgerEntry.direction == "in",
                    LedgerEntry.party == e.silent_verifier,
                    LedgerEntry.reason == "slash:Silence",
                )
                .order_by(LedgerEntry.log_index.desc())
                .limit(1)
            )
            self._credit(at, job, e.worker, "worker", "silence_slash", slashed or 0)
        # Otherwise an upheld challenge replaced a verifier whose pass contradicted its own
        # evidence: its slash went to the challenger (`Slashed`, reason FalseAccusation).
        if e.round >= MAX_VERIFIER_ROUNDS:
            # `ResultsUnverified` follows; the contract leaves the last round and verifier.
            return
        # The contract's `_nextRound`: a new anchor, a new draw, a new seal and a new reveal
        # (the results revealed in an earlier round stay public).
        seat.state = "Submitted"
        seat.round = e.round
        seat.verifier = None
        seat.seed = None
        seat.evidence_seal = None
        seat.attested_by = None
        seat.passed = None
        seat.evidence_cid = None
        seat.anchor_block = at.block_number + self.config.draw_delay
        seat.deadline = at.timestamp + job.verify_window
