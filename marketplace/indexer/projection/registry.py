"""Projection rules, registry: how its events change the read tables (`Projector` applies them)."""

from sqlalchemy import select

from marketplace.db.chain_models import AccountView, DisputeView
from marketplace.indexer.projection.rows import Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev

# Who a slash is taken from, by its reason, in the ledger (a worker otherwise).
ROLE_OF_SLASH = {
    "FalseAccusation": "verifier",
    "Silence": "verifier",
    "Outvoted": "verifier",
    "Unrevealed": "bidder",
}


class RegistryRules(Rows):
    """Staking, slashing and withdrawals: the accounts of the registry."""

    def _staked(self, e: ev.Staked, at: Position) -> None:
        account = self._account(e.worker)
        account.stake = e.total_stake
        if account.account_id == 0:
            # The contract's `_register`: permanent ids in order of first stake.
            self.s.flush()
            taken = self.s.scalar(
                select(AccountView.account_id).order_by(AccountView.account_id.desc())
            )
            account.account_id = (taken or 0) + 1

    def _unstake_requested(self, e: ev.UnstakeRequested, at: Position) -> None:
        account = self._account(e.worker)
        account.stake -= e.amount
        account.unstaking += e.amount
        account.unlock_at = e.unlock_at

    def _stake_withdrawn(self, e: ev.StakeWithdrawn, at: Position) -> None:
        self._account(e.worker).unstaking = 0

    def _slashed(self, e: ev.Slashed, at: Position) -> None:
        # The contract's `_slashAmount`: the amount taken comes out of the stake first, then out
        # of what is unstaking.
        account = self._account(e.worker)
        from_stake = min(e.amount, account.stake)
        account.stake -= from_stake
        account.unstaking -= e.amount - from_stake
        account.slashes += 1
        reason = ev.SLASH_REASONS[e.reason]
        role = ROLE_OF_SLASH.get(reason, "worker")
        job = self._job(e.job_id, at)
        self._pay_in(at, job, e.worker, role, f"slash:{reason}", e.amount)
        if reason in ("Silence", "Outvoted"):
            # A panel member's, in `resolveDispute` (after its `DisputeResolved`): it joins what
            # the members forfeited, shared at the `PanelPaid` that ends the transaction. (A
            # silent verifier's, outside a verdict, is credited by its `VerifierReplaced`.)
            judged = self._judged_by(e.job_id, at)
            if judged is not None and e.worker in judged.members:
                judged.forfeited += e.amount
        elif reason == "FalseAccusation":
            # Emitted by `resolveDispute` right after its `DisputeResolved`: a verifier whose
            # fail was overturned pays the worker it failed, less the panel's fee; one whose
            # pass contradicted its own evidence pays the challenger, less the panel's fee; one
            # whose pass was overturned by the artist's contest pays the artist.
            dispute = self._judged_by(e.job_id, at)
            assert dispute is not None, "a false-accusation slash outside a verdict"
            owed = e.amount - self._panel_fee_out_of(e.amount)
            if dispute.kind == "appeal":
                self._credit(at, job, dispute.worker, "worker", "false_accusation", owed)
            elif dispute.kind == "challenge":
                self._credit(at, job, dispute.disputer, "challenger", "challenge_reward", owed)
            else:
                self._credit(at, job, job.artist, "artist", "false_pass", e.amount)
        # Late and lapse slashes go into the posted job's reserve at the `WorkerTimedOut`,
        # `SeatAbandoned` or `VerifierDrawMissed` that follows, a silent verifier's is credited
        # by the `VerifierReplaced` (it names the waiting worker), a fraud slash is split by the
        # `ResultsRejected` (the honest verifiers' half, the rest into the reserve), a panel
        # member's (Silence or Outvoted, in `resolveDispute`) by the `PanelPaid` that ends the
        # transaction, and an unrevealed bid's collateral (Unrevealed) by the `BidForfeited` that
        # follows.

    def _judged_by(self, job_id: int, at: Position) -> DisputeView | None:
        """The dispute of `job_id` whose verdict this event's transaction carries out, if any."""
        return self.s.scalars(
            select(DisputeView).where(
                DisputeView.job_id == job_id, DisputeView.resolved_tx == at.tx_hash
            )
        ).one_or_none()

    def _hardware_declared(self, e: ev.HardwareDeclared, at: Position) -> None:
        # The latest declaration stands, staked or not (the contract's `declareHardware`).
        account = self._account(e.account)
        account.backend = e.backend
        account.vram_mib = e.vram_mib

    def _withdrawn(self, e: ev.Withdrawn, at: Position) -> None:
        account = self._account(e.account)
        account.balance -= e.amount
        account.withdrawn += e.amount
