"""Projection rules, disputes: how its events change the read tables (`Projector` applies them).

Three kinds of dispute: the worker appeals a fail, the artist contests a pass (the tiles are
fraudulent), anyone else but the verifier challenges a pass (it contradicts the verifier's own
sealed evidence; a panel's "fraud" then means "contradicted"). The money of a verdict
(`resolveDispute`): the side that lost pays the panel. When the disputer won (an appeal found
honest, a contest found fraud, a challenge upheld) its bond comes back to it and the panel's fee is
up to one dispute bond taken out of the loser's slash (`_feeOutOf`: the overruled failing verifier's
on an appeal, the worker's fraud slash on a contest, the contradicted verifier's on a challenge,
whose rest goes to the challenger); when it lost, its bond is the fee. An upheld challenge verifies
the seat again in a new round (`VerifierReplaced`); a rejected one leaves the pass standing with a
fresh contest window. `PanelPaid` closes the transaction with the panel's pay: the fee shared by the
members who revealed, the stakes forfeited by the silent and outvoted members (their `Slashed`,
reasons Silence and Outvoted, just before) shared by the members who revealed for the outcome (or,
when none did, credited to the treasury), and what was left to the party the outcome favours.

The members' commit window starts when the panel is drawn: `drawPanel` sets the dispute's
deadline to the draw's time plus the job's verification window.
"""

from marketplace.db.chain_models import DisputeKind, DisputeView
from marketplace.indexer.projection.rows import ZERO_ADDRESS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev

# The seat's state while a dispute of each kind is open, and who opened it.
SEAT_STATE_OF: dict[DisputeKind, str] = {
    "appeal": "Disputed", "contest": "Contested", "challenge": "Challenged",
}  # fmt: skip
DISPUTER_ROLE: dict[DisputeKind, str] = {
    "appeal": "worker", "contest": "artist", "challenge": "challenger",
}  # fmt: skip


class DisputeRules(Rows):
    """Appeals, contests and challenges: a dispute opened, its panel drawn, votes sealed and
    revealed, the dispute resolved and its panel paid."""

    def _dispute_opened(self, e: ev.DisputeOpened, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        # The contract's `openDispute`: the worker appeals its fail; on a pass, the artist
        # contests and anyone else (the worker included) challenges.
        kind: DisputeKind
        if seat.state == "Failed":
            kind = "appeal"
        elif e.disputer == job.artist:
            kind = "contest"
        else:
            kind = "challenge"
        appeal = kind == "appeal"
        seat.state = SEAT_STATE_OF[kind]
        existing = self.s.get(DisputeView, (e.job_id, e.worker))
        if existing is not None:
            # The contract starts every dispute from a clean record: a pass whose challenge was
            # rejected may be disputed again, and a seat verified again after an upheld challenge
            # may fail and be appealed. Earlier disputes stay in the chain's events.
            self.s.delete(existing)
            self.s.flush()
        self.s.add(
            DisputeView(
                job_id=e.job_id,
                worker=e.worker,
                disputer=e.disputer,
                kind=kind,
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
                committed_mask=0,
                commitments={},
                resolved=False,
                fee_each=0,
                bonds_each=0,
                remainder=0,
                forfeited=0,
                to_treasury=0,
            )
        )
        self._pay_in(at, job, e.disputer, DISPUTER_ROLE[kind], "dispute_bond", e.bond)

    def _panel_drawn(self, e: ev.PanelDrawn, at: Position) -> None:
        job = self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.members = [m for m in e.members if m != ZERO_ADDRESS]
        dispute.drawn = True
        # The members' commit window starts at the draw (which comes before the first deadline).
        dispute.deadline = at.timestamp + job.verify_window

    def _vote_committed(self, e: ev.VoteCommitted, at: Position) -> None:
        self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.commitments = {**dispute.commitments, e.voter: e.commitment}
        dispute.committed_mask |= 1 << dispute.members.index(e.voter)

    def _vote_cast(self, e: ev.VoteCast, at: Position) -> None:
        # A reveal: the contract checked it against the member's commitment.
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
        if dispute.appeal != e.fraud:
            # The disputer won: its bond comes back; the panel's fee comes out of the loser's
            # slash (the `Slashed` or `ResultsRejected` that follows).
            role = DISPUTER_ROLE[dispute.kind]
            self._credit(at, job, dispute.disputer, role, "dispute_bond_return", dispute.bond)
        # Otherwise the bond is the panel's fee, paid out by the `PanelPaid` that ends the
        # transaction. Either way the dispute holds it no longer.
        dispute.bond = 0
        if dispute.kind == "challenge":
            # Upheld: the verifier's `Slashed` (FalseAccusation) pays the panel and the
            # challenger; its `VerifierReplaced` starts a new round (or `ResultsUnverified`
            # closes the seat). Rejected: the pass stands, with a fresh contest window.
            if not e.fraud:
                seat.state = "Accepted"
                seat.deadline = at.timestamp + job.verify_window
        elif dispute.appeal and not e.fraud:
            # The verifier lied: it loses its fee (left in escrow for the artist) and its slash
            # (next event), less the panel's fee, goes to the worker, whose seat is then
            # accepted and paid at once without a verifier fee (the `ResultsAccepted` and
            # `PaymentReleased` that follow).
            seat.verifier = None
        elif not dispute.appeal and e.fraud:
            # The pass was overturned: its verifier loses its fee (back to the reserve with the
            # tiles) and is slashed to the artist (the `Slashed` that follows, if a verifier
            # had passed it); the `ResultsRejected` after that splits the worker's slash less
            # the panel's fee.
            seat.verifier = None
        # A lost appeal is paid out by the `ResultsRejected` that follows; a lost contest by the
        # `PaymentReleased`.

    def _panel_paid(self, e: ev.PanelPaid, at: Position) -> None:
        """The contract's `_payPanel`, with the amounts it emitted."""
        job = self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.fee_each = e.fee_each
        dispute.bonds_each = e.bonds_each
        dispute.remainder = e.remainder
        dispute.beneficiary = e.beneficiary
        assert dispute.fraud is not None, "a panel paid before its verdict"
        winners = 0
        for member in dispute.members:
            if member not in dispute.votes:
                continue  # silent: slashed (its `Slashed` came just before), paid nothing
            self._credit(at, job, member, "panel", "panel_fee", e.fee_each)
            if dispute.votes[member] == dispute.fraud:  # it revealed for the outcome
                winners += 1
                self._credit(at, job, member, "panel", "panel_forfeits", e.bonds_each)
        if winners == 0:
            # Nobody revealed a vote for the outcome: what the members forfeited goes to the
            # treasury, not to the side their silence favoured.
            dispute.to_treasury = dispute.forfeited
            treasury = self.config.treasury
            self._credit(at, job, treasury, "treasury", "panel_forfeits", dispute.forfeited)
        self._credit(
            at, job, e.beneficiary, self._beneficiary_role(job.artist, dispute, e),
            "panel_remainder", e.remainder,
        )  # fmt: skip

    @staticmethod
    def _beneficiary_role(artist: str, dispute: DisputeView, e: ev.PanelPaid) -> str:
        """Who the party the outcome favours is: the artist on fraud (an appeal or a contest);
        on a challenge the challenger when upheld, else the verifier whose pass stood; the
        worker otherwise."""
        if dispute.kind == "challenge":
            return "challenger" if dispute.fraud else "verifier"
        return "artist" if e.beneficiary == artist else "worker"
