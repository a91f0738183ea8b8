"""Projection rules, registry: how its events change the read tables (`Projector` applies them)."""

from sqlalchemy import select

from marketplace.db.chain_models import AccountView, DisputeView
from marketplace.indexer.projection.rows import BPS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.chain import events as ev


class RegistryRules(Rows):
    """Staking, slashing and withdrawals: the accounts of the registry."""

    def _staked(self, e: ev.Staked, at: Position) -> None:
        account = self._account(e.worker)
        account.stake = e.total_stake
        if account.pool_slot == 0:
            self.s.flush()
            taken = self.s.scalar(
                select(AccountView.pool_slot).order_by(AccountView.pool_slot.desc())
            )
            account.pool_slot = (taken or 0) + 1

    def _unstake_requested(self, e: ev.UnstakeRequested, at: Position) -> None:
        account = self._account(e.worker)
        account.stake -= e.amount
        account.unstaking += e.amount
        account.unlock_at = e.unlock_at

    def _stake_withdrawn(self, e: ev.StakeWithdrawn, at: Position) -> None:
        self._account(e.worker).unstaking = 0

    def _slashed(self, e: ev.Slashed, at: Position) -> None:
        bps = (
            self.config.fraud_slash_bps,
            self.config.late_slash_bps,
            self.config.false_accusation_slash_bps,
        )[e.reason]
        account = self._account(e.worker)
        from_stake = account.stake * bps // BPS
        from_unstaking = account.unstaking * bps // BPS
        account.stake -= from_stake
        account.unstaking -= from_unstaking
        account.slashes += 1
        reason = ev.SLASH_REASONS[e.reason]
        role = "verifier" if reason == "FalseAccusation" else "worker"
        self._pay_in(at, e.job_id, e.worker, role, f"slash:{reason}", e.amount)
        if reason == "FalseAccusation":
            # Emitted by `resolveDispute` of a won appeal, right after its `DisputeResolved`:
            # the slash goes to the worker the lying verifier failed.
            dispute = self.s.scalars(
                select(DisputeView).where(
                    DisputeView.job_id == e.job_id, DisputeView.resolved_tx == at.tx_hash
                )
            ).one()
            self._credit(at, e.job_id, dispute.worker, "worker", "false_accusation", e.amount)

    def _withdrawn(self, e: ev.Withdrawn, at: Position) -> None:
        account = self._account(e.account)
        account.balance -= e.amount
        account.withdrawn += e.amount
