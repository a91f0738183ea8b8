"""The drawn verifier's duty on one seat, blind (docs/protocol.md, steps 6-8).

Stages of a verify duty (`DutyRow.kind == "verify"`):

    drawn -> evidenced -> sealed -> opened -> checked -> attested   (or error)

- drawn: render the seed's patches from the chain's claim alone (the worker's tiles are still
  hidden), publish the evidence bundle, and store its CID in the duty's row (background thread);
- evidenced: check that the evidence still names the chain's claim (a reorganisation during the
  render can change it: then render again), and seal that CID on chain (`sealEvidence`). It was
  stored before the seal was signed,
  so a worker restarted at any point seals, and later attests, the evidence it rendered first
  (a second render would publish another bundle: its render timings differ);
- sealed: wait for the worker's reveal (`ResultsRevealed` moves the row on, in
  `render_worker/chain/projection.py`);
- opened: judge the sealed evidence against the revealed tiles, render-free (judging thread);
- checked: attest the verdict naming the sealed evidence.

A verifier drawn again in a later round has another row (another seed) and renders anew. Each
transaction's purpose names the duty's seed: one sent for a draw that a chain reorganisation
removed is not sent again for the new draw (`stale`).
"""

import logging
from collections.abc import Callable

from sqlalchemy import select

from render_worker.chain import calls
from render_worker.chain.calls import Call
from render_worker.chain.purposes import Action, Purpose, seed_tag
from render_worker.chain.sender import TxFailed, TxSender
from render_worker.duties.verifier import Verifier
from render_worker.state.models import DutyRow
from render_worker.state.stages import DutyStage
from render_worker.state.store import WorkerState
from render_worker.work.threads import Background
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.votes import evidence_seal

log = logging.getLogger("render_worker")

DRAW_ANSWERS = (Action.SEAL_EVIDENCE, Action.ATTEST)


def purpose(function: str, job_id: int, worker: str, rnd: int, seed: str) -> str:
    """The purpose key of a duty's transaction: `attest:7:0xW:0:1a2b...`."""
    return Purpose(Action(function), job_id, worker, rnd, seed_tag(seed)).key


def stale(state: WorkerState, purpose: Purpose | str) -> bool:
    """Whether a removed `sealEvidence` or `attest` transaction answers a draw the worker no
    longer holds (the reorganisation took the draw, and a new one has another seed)."""
    p = purpose if isinstance(purpose, Purpose) else Purpose.parse(purpose)
    if p.action not in DRAW_ANSWERS or p.worker is None or p.round is None or not p.tag:
        return False
    with state.session() as s:
        seeds = s.scalars(
            select(DutyRow.seed).where(
                DutyRow.job_id == p.job_id,
                DutyRow.worker == p.worker,
                DutyRow.round == p.round,
                DutyRow.kind == "verify",
            )
        )
        return all(not held.removeprefix("0x").startswith(p.tag) for held in seeds)


class VerifierDuty:
    """Moves the worker's verify duties through their stages."""

    def __init__(
        self,
        me: str,
        state: WorkerState,
        sender: TxSender,
        verifier: Callable[[], Verifier],
        background: Background,
    ) -> None:
        """`verifier` returns the verifier to use now (a test may swap the daemon's)."""
        self.me = me
        self.state = state
        self.sender = sender
        self.verifier = verifier
        self.background = background

    def act(self, duties: list[DutyRow]) -> None:
        """Do what each open verify duty needs next."""
        for duty in duties:
            if duty.kind != "verify":
                continue
            if duty.stage == DutyStage.DRAWN:
                self._render(duty)
            elif duty.stage == DutyStage.EVIDENCED:
                self._seal(duty)
            elif duty.stage == DutyStage.OPENED:
                self._judge(duty)
            elif duty.stage == DutyStage.CHECKED:
                self._attest(duty)

    def _render(self, duty: DutyRow) -> None:
        # Plain values, taken now: the row may be replaced (another draw) while the render runs.
        duty_id, seed, job_id, worker = duty.id, duty.seed, duty.job_id, duty.worker

        def work() -> None:
            try:
                cid = self.verifier().evidence(job_id, worker, seed)
            except Exception as exc:
                log.error("duty %d: rendering the evidence failed: %s", duty_id, exc)
                self._done(
                    duty_id,
                    seed,
                    DutyStage.DRAWN,
                    stage=DutyStage.ERROR,
                    reason=f"no evidence: {exc}",
                )
                return
            self._done(duty_id, seed, DutyStage.DRAWN, stage=DutyStage.EVIDENCED, evidence_cid=cid)
            log.info("job %d: evidence on %s's results rendered blind: %s", job_id, worker, cid)

        self.background(f"evidence:{duty_id}:{seed}", work, False)

    def _seal(self, duty: DutyRow) -> None:
        assert duty.evidence_cid is not None  # stored with the stage
        try:
            stale = self.verifier().stale_evidence(
                duty.job_id, duty.worker, duty.seed, duty.evidence_cid
            )
        except Exception as exc:  # the chain or IPFS did not answer: the next pass tries again
            log.warning("duty %d: cannot check the evidence before sealing: %s", duty.id, exc)
            return
        if stale:  # the claim changed under the render (a reorganisation): render again
            log.warning("duty %d: %s; rendering it again", duty.id, stale)
            self._done(
                duty.id, duty.seed, DutyStage.EVIDENCED, stage=DutyStage.DRAWN, evidence_cid=None
            )
            return
        seal = evidence_seal(duty.job_id, duty.worker, self.me, duty.evidence_cid)
        call = calls.seal_evidence(duty.job_id, duty.worker, duty.round, duty.seed, seal)
        if self._send(duty, call):
            self._done(duty.id, duty.seed, DutyStage.EVIDENCED, stage=DutyStage.SEALED)
            log.info("job %d: sealed the evidence on %s's results", duty.job_id, duty.worker)

    def _judge(self, duty: DutyRow) -> None:
        duty_id, seed, job_id, worker = duty.id, duty.seed, duty.job_id, duty.worker
        evidence_cid = duty.evidence_cid
        assert evidence_cid is not None

        def work() -> None:
            try:
                verdict = self.verifier().judge(job_id, worker, seed, evidence_cid)
            except Exception as exc:  # the next pass tries again, within the window
                log.error("duty %d: judging the sealed evidence failed: %s", duty_id, exc)
                return
            self._done(duty_id, seed, DutyStage.OPENED, stage=DutyStage.CHECKED,
                       passed=verdict.passed, reason=verdict.reason)  # fmt: skip
            log.info("verified job %d worker %s: %s (%s)", job_id, worker,
                     "pass" if verdict.passed else "FAIL", verdict.reason)  # fmt: skip

        self.background(f"judge:{duty_id}:{seed}", work, True)

    def _attest(self, duty: DutyRow) -> None:
        evidence_cid = duty.evidence_cid or ""  # stored with the evidence, before the seal
        verdict = calls.attest(duty.job_id, duty.worker, duty.round, duty.seed, bool(duty.passed),
                               evidence_cid)  # fmt: skip
        if self._send(duty, verdict):
            self._done(duty.id, duty.seed, DutyStage.CHECKED, stage=DutyStage.ATTESTED)

    def _send(self, duty: DutyRow, call: Call) -> bool:
        key = call.purpose.key
        try:
            self.sender.send(call)
            return True
        except ContractReverted as exc:
            if calls.not_yet(exc.error):
                log.debug("%s not sent yet: %s", key, exc)
            else:  # too late, or no longer ours: nothing more to do
                log.warning("%s not sent: %s", key, exc)
                self._done(duty.id, duty.seed, duty.stage, stage=DutyStage.ERROR, reason=str(exc))
        except TxFailed as exc:  # mined but reverted: the next pass tries once more
            log.warning("%s", exc)
        return False

    def _done(self, duty_id: int, seed: str, expected: str, **fields: object) -> None:
        """Store a step's outcome if the row still stands where the step began: a reorganisation
        may have replaced the duty meanwhile (another draw, another seed, possibly under the same
        id), and an event may have moved it on."""
        with self.state.session() as s:
            row = s.get(DutyRow, duty_id)
            if row is None or row.seed != seed or row.stage != expected:
                return
            for name, value in fields.items():
                setattr(row, name, value)
