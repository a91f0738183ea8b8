"""A panel member's part in a dispute: check the seat (`render_worker/duties/verifier.py`: on an
appeal or a contest it re-renders the panel seed's patches, on the render thread, and votes fraud
if the tiles fail; on a challenge it recomputes the attested pass from its verifier's evidence,
render-free on the judging thread, and votes fraud, "contradicted", if the evidence is unusable or
gives a fail), seal the vote, reveal it once the market accepts reveals, and resolve the dispute
when the reveal window is over, since the panel is paid only at resolution.

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

from render_worker.chain import calls
from render_worker.chain.calls import Call
from render_worker.chain.sender import TxFailed, TxSender
from render_worker.duties.verifier import Verifier
from render_worker.state.models import DutyRow
from render_worker.state.stages import DutyStage
from render_worker.state.store import WorkerState
from render_worker.work.threads import Threads
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.records import Dispute
from tilefarm.adapters.chain.votes import vote_commitment, vote_salt

log = logging.getLogger("render_worker")

PANEL_SIZE = 3


class PanelVoter:
    """Checks, seals, reveals and resolves the panel votes of one worker."""

    def __init__(
        self,
        me: str,
        secret: bytes,
        market: JobMarketClient,
        state: WorkerState,
        sender: TxSender,
        verifier: Callable[[], Verifier],
        threads: Threads,
    ) -> None:
        """`verifier` returns the verifier to check with now (a test may swap the daemon's)."""
        self.me = me
        self._secret = secret
        self.market = market
        self.state = state
        self.sender = sender
        self.verifier = verifier
        self.threads = threads

    def act(self, duties: list[DutyRow], now: int | None = None) -> None:
        """Do what each open panel duty needs next."""
        now = int(time.time()) if now is None else now
        for duty in duties:
            if duty.kind != "panel":
                continue
            if duty.stage == DutyStage.DRAWN:
                self._check(duty)
            elif duty.stage == DutyStage.CHECKED:
                self._seal(duty)
            elif duty.stage == DutyStage.SEALED:
                self._reveal(duty, now)
            elif duty.stage == DutyStage.REVEALED:
                self._send(calls.resolve_as_panel(duty.job_id, duty.worker), duty)

    def _check(self, duty: DutyRow) -> None:
        """Render-free on a challenge (does the pass contradict its evidence?), a re-render of
        the panel seed's patches on an appeal or a contest."""
        key = f"panel:{duty.id}:{duty.seed}"
        if self.threads.claimed(key):
            return  # running, or done: its outcome is stored and the row has moved on
        challenged = self.market.seat(duty.job_id, duty.worker).state_name == "Challenged"

        def work() -> None:
            try:
                if challenged:
                    verdict = self.verifier().panel_recheck(duty.job_id, duty.worker)
                else:
                    verdict = self.verifier().panel_check(duty.job_id, duty.worker, duty.seed)
            except Exception as exc:
                log.error("duty %d: the panel check failed to run: %s", duty.id, exc)
                self._checked(duty, stage=DutyStage.ERROR, reason=str(exc))
                return
            self._checked(
                duty, stage=DutyStage.CHECKED, passed=verdict.passed,
                evidence_cid=verdict.evidence_cid, reason=verdict.reason,
            )  # fmt: skip
            log.info("panel on job %d worker %s: %s (%s)", duty.job_id, duty.worker,
                     "honest" if verdict.passed else "FRAUD", verdict.reason)  # fmt: skip

        self.threads.start(key, work, challenged)

    def _checked(self, duty: DutyRow, **fields: object) -> None:
        """Store a check's outcome; the chain loop seals the vote, the thread only checks."""
        with self.state.session() as s:
            row = s.get(DutyRow, duty.id)
            # A reorganisation may have replaced the duty meanwhile (another draw, another seed,
            # possibly under the same id): an outcome for another seed is not its outcome.
            if row is None or row.seed != duty.seed or row.stage != DutyStage.DRAWN:
                return
            for name, value in fields.items():
                setattr(row, name, value)

    def _seal(self, duty: DutyRow) -> None:
        # A member votes "fraud" where a verifier would attest "not passed".
        fraud = not duty.passed
        salt = vote_salt(self._secret, duty.job_id, duty.worker)
        evidence = duty.evidence_cid or ""
        commitment = vote_commitment(duty.job_id, duty.worker, self.me, fraud, salt, evidence)
        if self._send(calls.commit_vote(duty.job_id, duty.worker, commitment), duty):
            self._set_stage(duty, DutyStage.SEALED)

    def _reveal(self, duty: DutyRow, now: int) -> None:
        dispute = self.market.dispute(duty.job_id, duty.worker)
        if not reveals_open(dispute, now):
            return
        salt = vote_salt(self._secret, duty.job_id, duty.worker)
        evidence = duty.evidence_cid or ""
        fraud = self._sealed_vote(duty, salt, evidence)
        if fraud is None:
            reason = "no sealed vote of this worker matches its salt and evidence"
            self._set_stage(duty, DutyStage.ERROR, reason)
            return
        if self._send(calls.reveal_vote(duty.job_id, duty.worker, fraud, salt, evidence), duty):
            self._set_stage(duty, DutyStage.REVEALED)

    def _sealed_vote(self, duty: DutyRow, salt: bytes, evidence: str) -> bool | None:
        """The vote this worker sealed, read from its commitment on chain."""
        sealed = self.market.vote_commitment_of(duty.job_id, duty.worker, self.me)
        for fraud in (not duty.passed, bool(duty.passed)):
            commitment = vote_commitment(duty.job_id, duty.worker, self.me, fraud, salt, evidence)
            if commitment == sealed:
                return fraud
        return None

    def _send(self, call: Call, duty: DutyRow) -> bool:
        purpose = call.purpose.key
        try:
            self.sender.send(call)
            return True
        except ContractReverted as exc:
            if calls.not_yet(exc.error):
                log.debug("%s not sent: %s", purpose, exc)
            else:  # too late, or no longer ours: nothing more to do
                log.warning("%s not sent: %s", purpose, exc)
                self._set_stage(duty, DutyStage.ERROR, str(exc))
        except TxFailed as exc:  # mined but reverted: the next pass tries once more
            log.warning("%s", exc)
        return False

    def _set_stage(self, duty: DutyRow, stage: DutyStage, reason: str | None = None) -> None:
        with self.state.session() as s:
            row = s.get(DutyRow, duty.id)
            if row is None or row.stage in (DutyStage.ATTESTED, DutyStage.ERROR):
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
