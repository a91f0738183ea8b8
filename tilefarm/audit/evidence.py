"""Checking the verification evidence on chain: every verifier's attestation and every panel
member's vote names an evidence bundle on IPFS, which must name the committed results, the seed
the chain drew for that verdict, exactly the patches that seed selects, and the same verdict."""

import json
from dataclasses import dataclass
from typing import Any

from tilefarm.audit.history import Assignment, JobHistory
from tilefarm.audit.report import Check
from tilefarm.chain import events as ev
from tilefarm.ipfs import IpfsError, KuboClient
from tilefarm.manifest import RenderManifest
from tilefarm.patches import select_patches

MAX_EVIDENCE_BYTES = 8 << 20


@dataclass(frozen=True)
class Verdict:
    """One verdict on a worker's results and the seed it had to check with."""

    name: str
    evidence_cid: str
    seed: str | None
    passed: bool
    how: str  # "attested" or "voted"


def verdicts(h: JobHistory, who: str) -> list[Verdict]:
    """Every verdict on `who`'s results with the seed it had to check with: a verifier's
    attestation (the seed of its `VerifierDrawn`) and each panel member's vote (the seed of
    the `PanelDrawn`), in chain order."""
    out: list[Verdict] = []
    verifier_seed = panel_seed = None
    for e in h.events:
        if getattr(e, "worker", None) != who:
            continue
        if isinstance(e, ev.VerifierDrawn):
            verifier_seed = e.seed
        elif isinstance(e, ev.VerifierReplaced) and e.round < 3:
            verifier_seed = None
        elif isinstance(e, ev.ResultsAttested):
            name = f"evidence {e.evidence_cid} of {who}"
            out.append(Verdict(name, e.evidence_cid, verifier_seed, e.passed, "attested"))
        elif isinstance(e, ev.PanelDrawn):
            panel_seed = e.seed
        elif isinstance(e, ev.VoteCast):
            name = f"vote evidence {e.evidence_cid} of {e.voter} on {who}"
            out.append(Verdict(name, e.evidence_cid, panel_seed, not e.fraud, "voted"))
    return out


def evidence_checks(
    h: JobHistory,
    ipfs: KuboClient,
    who: str,
    a: Assignment,
    manifest: RenderManifest,
    commit: ev.ResultsCommitted,
) -> tuple[list[Check], list[Verdict]]:
    """Check every verdict's evidence bundle on `who`'s results; returns the checks and the
    verdicts that had a seed (to re-render)."""
    checks: list[Check] = []
    seeded: list[Verdict] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(kind="evidence", name=name, ok=ok, detail=detail))

    found = verdicts(h, who)
    if not found:
        check(
            f"verification evidence of {who}", True,
            "no verifier attested (accepted by the artist or after the verifier rounds)",
        )  # fmt: skip
        return checks, seeded
    assigned = list(range(a.first_tile, a.first_tile + a.tile_count))
    for v in found:
        if v.seed is None:
            check(v.name, False, "a verdict without a drawn seed")
            continue
        try:
            bundle = json.loads(ipfs.cat(v.evidence_cid, max_bytes=MAX_EVIDENCE_BYTES))
            claim = bundle["claim"]
            named = sorted(_patch_key(p["choice"]) for p in bundle["patches"])
            passed = bool(bundle["passed"])
        except (IpfsError, ValueError, KeyError, TypeError) as exc:
            check(v.name, False, f"the evidence bundle is unusable: {exc}")
            continue
        chosen = select_patches(bytes.fromhex(v.seed.removeprefix("0x")), manifest, assigned)
        # The verifier checks frame by frame, so its list is in another order: compare sets.
        expected = sorted(_patch_key(c.model_dump()) for c in chosen)
        problems = []
        if (
            claim.get("results_cid") != commit.results_cid
            or str(claim.get("merkle_root", "")).lower() != commit.merkle_root.lower()
        ):
            problems.append("it names other results than the commitment")
        if str(claim.get("seed", "")).lower() != v.seed.lower():
            problems.append(f"its seed is not the drawn seed {v.seed}")
        if named != expected:
            problems.append(
                f"its {len(named)} patches are not the {len(expected)} the seed selects"
            )
        if passed != v.passed:
            problems.append(f"it says passed={passed}, but the chain says {v.how} "
                            f"passed={v.passed}")  # fmt: skip
        check(
            v.name, not problems,
            "; ".join(problems)
            or f"names the commitment, the seed's {len(expected)} patches and the verdict",
        )  # fmt: skip
        seeded.append(v)
    return checks, seeded


def _patch_key(choice: dict[str, Any]) -> tuple[int, int, int, int, int]:
    rect = choice["rect"]
    return (
        int(choice["job_tile"]), int(rect["x"]), int(rect["y"]),
        int(rect["width"]), int(rect["height"]),
    )  # fmt: skip
