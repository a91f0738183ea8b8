"""The worker's own seat once its tiles are rendered (docs/protocol.md, steps 5-10), blind: it
commits only its results' Merkle root, and reveals its results list once its drawn verifier has
sealed its evidence.

- `commit_results` (rendered): the root on chain; the list's CID is kept in the job's row first,
  so that the reveal names it after a restart too;
- `draw_verifier` (committed): as soon as the anchor block is mined; nobody else may draw before
  the verification window, and the seat lapses if nobody draws before the anchor's hash expires;
- `reveal_results` (sealed): the list goes to IPFS and on chain, in each round (a new verifier
  seals anew);
- `appeal` (failed): a failed verdict on work rendered as the manifest says goes to a panel, and
  `follow_dispute` (appealed) draws the panel and resolves.
"""

import logging
from dataclasses import KW_ONLY, dataclass

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.state.models import JobRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.assignment import AssignmentRenderer, results_document
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import canonical_json

log = logging.getLogger("render_worker")


@dataclass
class OwnSeat:
    """Moves one worker's own seats on, from committing their results to their verdicts."""

    me: str
    market: JobMarketClient
    ipfs: KuboClient
    state: WorkerState
    sender: TxSender
    renderer: AssignmentRenderer
    _: KW_ONLY
    appeal_failures: bool

    def commit_results(self, job: JobRow) -> None:
        """Commit the Merkle root only. The results list's CID is kept in the job's row before
        the commitment is signed (the reveal names it after a restart too); the list itself
        reaches IPFS only with the reveal, so nobody learns a tile's CID from it before."""
        results = self.renderer.results(job.job_id, self.me, job.manifest_cid)
        root, cid = results.root(), cid_of_bytes(results_document(results))
        if (job.results_cid, job.merkle_root) != (cid, "0x" + root.hex()):
            self.state.update_job(job.job_id, results_cid=cid, merkle_root="0x" + root.hex())
        if self.sender.try_send(calls.commit_results(job.job_id, root)):
            self.state.move(job.job_id, Stage.COMMITTED)
            log.info(
                "job %d: committed %d tiles, root 0x%s", job.job_id, len(results.tiles), root.hex()
            )

    def reveal_results(self, job: JobRow) -> None:
        """The verifier sealed its evidence: publish the results list and reveal its CID, in
        each round (a new verifier seals anew)."""
        seat = self.market.seat(job.job_id, self.me)
        if seat.state_name != "Sealed":
            return  # revealed already (its event moves the job on), or the seat moved on
        results = self.renderer.results(job.job_id, self.me, job.manifest_cid)
        cid = self.ipfs.add_bytes(results_document(results), name="results.json")
        if job.results_cid is not None and cid != job.results_cid:
            reason = f"the results list is {cid} now, not the committed {job.results_cid}"
            log.error("job %d: %s; its tiles in the worker's database changed", job.job_id, reason)
            self.state.move(job.job_id, Stage.ERROR, reason)
            return
        if self.sender.try_send(calls.reveal_results(job.job_id, seat.round, cid)):
            self.state.move(job.job_id, Stage.OPENED)
            log.info("job %d: revealed the results list %s (round %d)", job.job_id, cid,
                     seat.round)  # fmt: skip

    def draw_verifier(self, job: JobRow) -> None:
        seat = self.market.seat(job.job_id, self.me)
        if seat.state_name != "Submitted" or seat.verifier_id != 0:
            return
        if self.market.w3.eth.block_number < seat.anchor_block:
            return
        self.sender.try_send(calls.draw_own_verifier(job.job_id, self.me, seat.round))

    def appeal(self, job: JobRow) -> None:
        """A failed verdict on work this worker rendered as the manifest says: ask a panel."""
        if not self.appeal_failures:
            return
        reason = canonical_json(
            {
                "job_id": job.job_id,
                "worker": self.me,
                "results_cid": job.results_cid,
                "appeal": "rendered as the manifest says; re-render any patch to check",
            }
        )
        reason_cid = self.ipfs.add_bytes(reason, name="appeal.json")
        bond = self.market.config().dispute_bond
        if self.sender.try_send(calls.appeal(job.job_id, self.me, reason_cid, bond)):
            self.state.move(job.job_id, Stage.APPEALED)
            log.info("job %d: appealed the failed verdict (bond %d wei)", job.job_id, bond)

    def follow_dispute(self, job: JobRow) -> None:
        """An appeal is lost if no panel is drawn in time: draw it, then resolve."""
        dispute = self.market.dispute(job.job_id, self.me)
        if not dispute.drawn:
            if self.market.w3.eth.block_number >= dispute.anchor_block:
                self.sender.try_send(calls.draw_own_panel(job.job_id, self.me))
            return
        self.sender.try_send(calls.resolve_own_dispute(job.job_id, self.me))
