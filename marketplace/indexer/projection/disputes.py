"""Projection rules, disputes: how its events change the read tables (`Projector` applies them)."""

from marketplace.db.chain_models import DisputeView
from marketplace.indexer.projection.rows import ZERO_ADDRESS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.chain import events as ev


class DisputeRules(Rows):
    """Appeals: a dispute opened, its panel drawn, votes cast, the dispute resolved."""

    def _dispute_opened(self, e: ev.DisputeOpened, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        appeal = seat.state == "Failed"
        seat.state = "Disputed" if appeal else "Contested"
        existing = self.s.get(DisputeView, (e.job_id, e.worker))
        if existing is not None:
            # The contract rewrites only these fields of an earlier record and keeps its panel
            # and votes (a seat is disputed once under today's rules: a won appeal is paid at
            # once, so nothing is left to contest).
            existing.disputer = e.disputer
            existing.appeal = appeal
            existing.bond = e.bond
            existing.reason_cid = e.reason_cid
            existing.anchor_block = at.block_number + self.config.draw_delay
            existing.deadline = at.timestamp + 2 * job.verify_window
            existing.resolved = False
            existing.fraud = None
            existing.resolved_tx = None
        else:
            self.s.add(
                DisputeView(
                    job_id=e.job_id,
                    worker=e.worker,
                    disputer=e.disputer,
                    appeal=appeal,
                    bond=e.bond,
                    reason_cid=e.reason_cid,
                    anchor_block=at.block_number + self.config.draw_delay,
                    deadline=at.timestamp + 2 * job.verify_window,
                    members=[],
                    votes={},
                    votes_fraud=0,
                    votes_honest=0,
                    voted_mask=0,
                    drawn=False,
                    resolved=False,
                )
            )
        role = "worker" if appeal else "artist"
        self._pay_in(at, job.job_id, e.disputer, role, "dispute_bond", e.bond)

    def _panel_drawn(self, e: ev.PanelDrawn, at: Position) -> None:
        self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.members = [m for m in e.members if m != ZERO_ADDRESS]
        dispute.drawn = True

    def _vote_cast(self, e: ev.VoteCast, at: Position) -> None:
        self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.votes = {**dispute.votes, e.voter: e.fraud}
        bit = 1 << dispute.members.index(e.voter)
        dispute.voted_mask |= bit
        if e.fraud:
            dispute.votes_fraud += 1
            dispute.voted_mask |= bit << 4
        else:
            dispute.votes_honest += 1

    def _dispute_resolved(self, e: ev.DisputeResolved, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.resolved = True
        dispute.fraud = e.fraud
        dispute.resolved_tx = at.tx_hash
        if dispute.appeal and not e.fraud:
            # The verifier lied: it loses its fee (left in escrow for the artist) and its slash
            # (next event) and the bond go to the worker, whose seat is then accepted and paid
            # at once without a verifier fee (the `ResultsAccepted` and `PaymentReleased` that
            # follow).
            self._credit(at, job.job_id, e.worker, "worker", "dispute_bond_return", dispute.bond)
            dispute.bond = 0
            seat.verifier = None
        elif not dispute.appeal and not e.fraud:
            # The pass stands: the bond to the worker, paid at once (`PaymentReleased` follows).
            self._credit(at, job.job_id, e.worker, "worker", "dispute_bond_award", dispute.bond)
            dispute.bond = 0
        elif not dispute.appeal:
            # The pass was overturned: its verifier loses its fee (left in escrow for the
            # artist) and is slashed to the artist (the `Slashed` that follows, if a verifier
            # had passed it); the `ResultsRejected` after that splits the worker's slash.
            seat.verifier = None
        # A lost appeal is paid out by the `ResultsRejected` that follows.
