"""Checking a worker's committed results, the same way for a verifier, a challenger, a panel
member, the `tilefarm verify` command and an auditor.

Verification is blind (docs/protocol.md): the verifier renders its evidence from the chain's
claim alone (`evidence`), seals it, and only then judges it against the tiles the worker reveals
(`judge`). The judge renders nothing, so anyone can recompute a verdict from its evidence.
"""

from tilefarm.checks.verification.check import check_results
from tilefarm.checks.verification.claims import (
    claim_from_chain,
    committed_workers,
    drawn_seed,
)
from tilefarm.checks.verification.committed import (
    CommittedResultsInvalid,
    fetch_results,
    fetch_tile,
    require_cid,
)
from tilefarm.checks.verification.evidence import (
    MAX_EVIDENCE_BYTES,
    Evidence,
    EvidencePatch,
    load_evidence,
    render_evidence,
)
from tilefarm.checks.verification.judge import CheckReport, PatchCheck, judge_evidence

__all__ = [
    "MAX_EVIDENCE_BYTES",
    "CheckReport",
    "CommittedResultsInvalid",
    "Evidence",
    "EvidencePatch",
    "PatchCheck",
    "check_results",
    "claim_from_chain",
    "committed_workers",
    "drawn_seed",
    "fetch_results",
    "fetch_tile",
    "judge_evidence",
    "load_evidence",
    "render_evidence",
    "require_cid",
]
