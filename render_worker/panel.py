"""A panel member's part in a dispute, once it checked the seat (`render_worker/verifier.py`: on an
appeal or a contest it re-renders the panel seed's patches and votes fraud if the tiles fail; on a
challenge it recomputes the attested pass from its verifier's evidence, render-free, and votes
fraud, "contradicted", if the evidence is unusable or gives a fail): seal the vote, reveal it once
the market accepts reveals, and resolve the dispute when the reveal window is over, since the panel
is paid only at resolution.

The salt is derived from the worker's key and the dispute
(`tilefarm.adapters.chain.votes.vote_salt`), so it is never stored, and the vote itself is read back
from the sealed commitment on chain by trying both answers. The evidence CID is sealed with the vote
(nobody can copy another member's evidence after the reveals) and kept in the duty's row until the
reveal.

Duty stages of a panel duty (`DutyRow.kind == "panel"`): drawn -> checked (its verdict stored)
-> sealed (VoteCommitted) -> revealed (VoteCast) -> attested (DisputeResolved), or error.
"""

import logging
import time
from collections.abc import Callable

from render_worker.state import DutyRow, WorkerState
from render_worker.transactions import TxFailed, TxSender
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.records import Dispute
from tilefarm.adapters.chain.votes import vote_commitment, vote_salt

log = logging.getLogger("render_worker")

PANEL_SIZE = 3


class PanelVoter:
    """Seals, reveals and resolves the panel votes of one worker."""

    def __init__(
        self,
        me: str,
        secret: bytes,
        market: JobMarketClient,
        state: WorkerState,
        sender: TxSender,
        not_yet: Callable[[str], bool],
    ) -> None:
        self.me = me
        self._secret = secret
        self.market = market
        self.state = state
        self.sender = sender
        self.not_yet = not_yet

    def act(self, duties: list[DutyRow], now: int | None = None) -> None:
        """Do what each open panel duty needs next."""
        now = int(time.time()) if now is None else now
        for duty in duties:
            if duty.kind != "panel":
                continue
            if duty.stage == "checked":
                self._seal(duty)
            elif duty.stage == "sealed":
                self._reveal(duty, now)
            elif duty.stage == "revealed":
                self._send(f"resolveDispute:{duty.job_id}:{duty.worker}", duty, "resolveDispute")

    def _seal(self, duty: DutyRow) -> None:
        # A member votes "fraud" where a verifier would attest "not passed".
        fraud = not duty.passed
        salt = vote_salt(self._secret, duty.job_id, duty.worker)
        evidence = duty.evidence_cid or ""
        commitment = vote_commitment(duty.job_id, duty.worker, self.me, fraud, salt, evidence)
        purpose = f"commitVote:{duty.job_id}:{duty.worker}"
        if self._send(purpose, duty, "commitVote", commitment):
            self._set_stage(duty, "sealed")

    def _reveal(self, duty: DutyRow, now: int) -> None:
        dispute = self.market.dispute(duty.job_id, duty.worker)
        if not reveals_open(dispute, now):
            return
        salt = vote_salt(self._secret, duty.job_id, duty.worker)
        evidence = duty.evidence_cid or ""
        fraud = self._sealed_vote(duty, salt, evidence)
        if fraud is None:
            reason = "no sealed vote of this worker matches its salt and evidence"
            self._set_stage(duty, "error", reason)
            return
        purpose = f"revealVote:{duty.job_id}:{duty.worker}"
        if self._send(purpose, duty, "revealVote", fraud, salt, evidence):
            self._set_stage(duty, "revealed")

    def _sealed_vote(self, duty: DutyRow, salt: bytes, evidence: str) -> bool | None:
        """The vote this worker sealed, read from its commitment on chain."""
        sealed = self.market.vote_commitment_of(duty.job_id, duty.worker, self.me)
        for fraud in (not duty.passed, bool(duty.passed)):
            commitment = vote_commitment(duty.job_id, duty.worker, self.me, fraud, salt, evidence)
            if commitment == sealed:
                return fraud
        return None

    def _send(self, purpose: str, duty: DutyRow, function: str, *args: object) -> bool:
        try:
            self.sender.send(purpose, function, duty.job_id, duty.worker, *args)
            return True
        except ContractReverted as exc:
            if self.not_yet(exc.error):
                log.debug("%s not sent: %s", purpose, exc)
            else:  # too late, or no longer ours: nothing more to do
                log.warning("%s not sent: %s", purpose, exc)
                self._set_stage(duty, "error", str(exc))
        except TxFailed as exc:  # mined but reverted: the next pass tries once more
            log.warning("%s", exc)
        return False

    def _set_stage(self, duty: DutyRow, stage: str, reason: str | None = None) -> None:
        with self.state.session() as s:
            row = s.get(DutyRow, duty.id)
            if row is None or row.stage in ("attested", "error"):
                return
            row.stage = stage
            if reason is not None:
                row.reason = reason


def reveals_open(dispute: Dispute, now: int) -> bool:
    """The market accepts reveals: every seated member sealed its vote, or the commit window
    closed."""
    seated = sum(1 << k for k, m in enumerate(_members(dispute)) if m != 0)
    return dispute.committed_mask & 7 == seated or now > dispute.deadline


def _members(dispute: Dispute) -> tuple[int, int, int]:
    return dispute.member0, dispute.member1, dispute.member2
