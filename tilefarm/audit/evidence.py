"""Checking the verification evidence on chain: every verifier's attestation and every panel
member's vote names an evidence bundle on IPFS, which must name the committed results, the seed
the chain drew for that verdict, exactly the patches that seed selects, and the same verdict.

Panel votes are sealed: a member commits a hash of its vote, its evidence CID and a secret salt
(`tilefarm.chain.votes.vote_commitment`), and reveals them later (`VoteCast`), so neither the
vote nor the bundle can be changed after another member's reveal. The hash cannot be recomputed
without the salt, which never appears in an event, and the contract refused any reveal that did
not match its seal; what the events can show is the order: each revealed vote was sealed first,
by a member of the panel, once; and nobody revealed before reveals opened (every member sealed,
or the commit window, one verification window from the panel's draw, closed), so nobody could
copy a vote it had seen revealed."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass
class _Panel:
    drawn_block: int = 0  # the commit window opens at the draw
    members: list[str] = field(default_factory=list)
    sealed: list[str] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)
    resolved: bool = False
    problems: list[str] = field(default_factory=list)
    opened_by: str = ""  # when the first reveal came, relative to the reveals opening


def sealed_vote_checks(
    h: JobHistory, who: str, block_time: Callable[[int], int] | None = None
) -> list[Check]:
    """One check per dispute of `who`'s seat: every reveal follows a seal by the same panel
    member, each member seals and reveals once, nothing is revealed after the verdict, and the
    first reveal came once every member had sealed or after the commit window (the dispute's
    `deadline`: the panel's draw block's time plus one verification window; `block_time` reads
    a block's timestamp, and without it only the first condition can be seen)."""
    panels: list[_Panel] = []
    window = h.posted.params.verify_window
    for e in h.events:
        if getattr(e, "worker", None) != who:
            continue
        if isinstance(e, ev.DisputeOpened):
            panels.append(_Panel())
        if not panels:
            continue
        p = panels[-1]
        if isinstance(e, ev.PanelDrawn):
            p.members = [m for m in e.members if int(m, 16) != 0]
            p.drawn_block = e.block_number
        elif isinstance(e, ev.VoteCommitted):
            if e.voter not in p.members:
                p.problems.append(f"{e.voter} sealed a vote but is not on the panel")
            elif e.voter in p.sealed:
                p.problems.append(f"{e.voter} sealed twice")
            elif p.revealed:
                p.problems.append(f"{e.voter} sealed after a vote was revealed")
            p.sealed.append(e.voter)
        elif isinstance(e, ev.VoteCast):
            if p.resolved:
                p.problems.append(f"{e.voter} revealed after the verdict")
            if e.voter not in p.sealed:
                p.problems.append(f"{e.voter} revealed a vote it never sealed")
            elif e.voter in p.revealed:
                p.problems.append(f"{e.voter} revealed twice")
            if not p.revealed:
                p.opened_by = _reveals_opened(p, e, window, block_time)
            p.revealed.append(e.voter)
        elif isinstance(e, ev.DisputeResolved):
            p.resolved = True
    checks = []
    for p in panels:
        if not p.revealed and not p.problems:
            detail = f"{len(p.sealed)} vote(s) sealed, none revealed"
        else:
            detail = "; ".join(p.problems) or (
                f"{len(p.sealed)} vote(s) sealed, {len(p.revealed)} revealed, each by the member "
                f"that sealed it, once; the first reveal came {p.opened_by}"
            )
        name = f"sealed votes on {who}"
        checks.append(Check(kind="evidence", name=name, ok=not p.problems, detail=detail))
    return checks


def _reveals_opened(
    p: _Panel, first: ev.VoteCast, window: int, block_time: Callable[[int], int] | None
) -> str:
    """When the first reveal came: after every member sealed, or after the commit window closed
    (a problem of `p` when neither)."""
    if p.members and set(p.members) <= set(p.sealed):
        return "after every member had sealed"
    if block_time is None:
        return "before every member had sealed (the commit window's close not checked: no chain)"
    deadline = block_time(p.drawn_block) + window
    revealed_at = block_time(first.block_number)
    if revealed_at > deadline:
        return f"after the commit window closed at {deadline}"
    p.problems.append(
        f"{first.voter} revealed at {revealed_at}, before every member had sealed and before "
        f"the commit window closed at {deadline}"
    )
    return "too early"


def _patch_key(choice: dict[str, Any]) -> tuple[int, int, int, int, int]:
    rect = choice["rect"]
    return (
        int(choice["job_tile"]), int(rect["x"]), int(rect["y"]),
        int(rect["width"]), int(rect["height"]),
    )  # fmt: skip
