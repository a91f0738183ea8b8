"""Checking the verification evidence on chain. Verification is blind (docs/protocol.md): the drawn
verifier re-renders the patches its seed selects, publishes them as an evidence bundle
(`tilefarm-evidence/1`, `tilefarm.checks.verification.Evidence`) and seals it (`EvidenceSealed`)
before the worker reveals its results list (`ResultsRevealed`); it then attests, naming the evidence
it sealed. The verdict is a function of the evidence and the revealed tiles alone, so the audit
recomputes it without rendering (`tilefarm.checks.verification.judge_evidence`).

For every attested verdict the audit requires: the attested evidence is the sealed one (its
`tilefarm.adapters.chain.votes.evidence_seal` is the round's seal, made by the attesting verifier)
and the seal came before the round's reveal; the bundle names the commitment (job, worker, manifest,
Merkle root, tile range) and the seed the chain drew for that round, with exactly the patches that
seed selects; and the recomputed verdict is the attested one. A verdict its own evidence contradicts
is reported, unless a panel overturned it (an upheld challenge or contest of a pass, a won appeal of
a fail).

A panel member's vote on an appeal or a contest names a bundle rendered for the panel's seed
(`PanelDrawn`), checked the same way against the vote ("fraud" is a fail). A vote on a challenge
answers "does the pass contradict its own evidence?" ("fraud" is yes): it is checked against the
challenged pass's evidence, recomputed.

Panel votes are sealed: a member commits a hash of its vote, its evidence CID and a secret salt
(`tilefarm.adapters.chain.votes.vote_commitment`), and reveals them later (`VoteCast`), so neither
the vote nor the bundle can be changed after another member's reveal. The hash cannot be recomputed
without the salt, which never appears in an event, and the contract refused any reveal that did not
match its seal; what the events can show is the order: each revealed vote was sealed first, by a
member of the panel, once; and nobody revealed before reveals opened (every member sealed, or the
commit window, one verification window from the panel's draw, closed), so nobody could copy a vote
it had seen revealed."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm.checks.audit.history import Assignment, DisputeKind, JobHistory
from tilefarm.checks.audit.report import Check
from tilefarm.checks.verification import CheckReport, Evidence, judge_evidence, load_evidence
from tilefarm.manifest import RenderManifest
from tilefarm.patches import PatchChoice, select_patches
from tilefarm.results import Claim

MAX_VERIFIER_ROUNDS = 3  # the contract's constant


@dataclass(frozen=True)
class Verdict:
    """One verdict on a worker's results: a verifier's attestation or a panel member's vote, the
    seed it had to check with and the results list revealed before it."""

    name: str
    evidence_cid: str
    seed: str | None
    passed: bool  # for a vote: not "fraud"
    how: str  # "attested" or "voted"
    by: str  # the verifier or the panel member
    results_cid: str  # the latest list revealed before the verdict ("" when none was)
    seal: ev.EvidenceSealed | None = None  # an attestation's round's seal
    revealed: ev.ResultsRevealed | None = None  # the reveal the attestation judged
    kind: DisputeKind | None = None  # a vote's dispute
    challenged: "Verdict | None" = None  # a vote on a challenge: the pass challenged
    overturned_by: str = ""  # an attestation a panel overturned, and how


def _position(e: ev.MarketEvent) -> tuple[int, int]:
    return (e.block_number, e.log_index)


def verdicts(h: JobHistory, who: str, job_id: int | None = None) -> list[Verdict]:
    """Every verdict on `who`'s results in job (or round) `job_id`, the posted job by default,
    in chain order: each verifier's attestation (with the seed of its round's `VerifierDrawn`,
    the round's `EvidenceSealed` and the reveal before it) and each panel member's vote (with the
    seed of the `PanelDrawn`)."""
    job_id = h.job_id if job_id is None else job_id
    out: list[Verdict] = []
    kinds = h.dispute_kinds()
    verifier_seed = panel_seed = None
    seal: ev.EvidenceSealed | None = None
    revealed: ev.ResultsRevealed | None = None
    kind: DisputeKind | None = None
    attested: int | None = None  # the standing attestation's index in `out`
    for e in h.events:
        if e.get("worker") != who or e.get("job_id") != job_id:
            continue
        results_cid = revealed.results_cid if revealed is not None else ""
        if isinstance(e, ev.VerifierDrawn):
            verifier_seed, seal = e.seed, None
        elif isinstance(e, ev.VerifierReplaced) and e.round < MAX_VERIFIER_ROUNDS:
            verifier_seed, seal = None, None
        elif isinstance(e, ev.EvidenceSealed):
            seal = e
        elif isinstance(e, ev.ResultsRevealed):
            revealed = e
        elif isinstance(e, ev.ResultsAttested):
            attested = len(out)
            out.append(
                Verdict(
                    f"evidence {e.evidence_cid} of {who}", e.evidence_cid, verifier_seed,
                    e.passed, "attested", e.verifier, results_cid, seal=seal, revealed=revealed,
                )
            )  # fmt: skip
        elif isinstance(e, ev.DisputeOpened):
            kind, panel_seed = kinds.get(_position(e)), None
        elif isinstance(e, ev.PanelDrawn):
            panel_seed = e.seed
        elif isinstance(e, ev.VoteCast):
            if kind == "challenge":
                name = f"vote of {e.voter} on the challenge of {who}'s pass"
            else:
                name = f"vote evidence {e.evidence_cid} of {e.voter} on {who}"
            challenged = out[attested] if kind == "challenge" and attested is not None else None
            out.append(
                Verdict(
                    name, e.evidence_cid, panel_seed, not e.fraud, "voted", e.voter, results_cid,
                    kind=kind, challenged=challenged,
                )
            )  # fmt: skip
        elif isinstance(e, ev.DisputeResolved) and attested is not None:
            how = _overturned(out[attested], kind, e.fraud)
            if how:  # the verdict no longer stands (a pass that stood may be disputed again)
                out[attested] = replace(out[attested], overturned_by=how)
                attested = None
    return out


def _overturned(attested: Verdict, kind: DisputeKind | None, fraud: bool) -> str:
    """How a panel's verdict overturned `attested` ("" when it did not)."""
    if attested.passed and fraud and kind == "challenge":
        return "an upheld challenge (the verifier was slashed, the seat verified again)"
    if attested.passed and fraud and kind == "contest":
        return "the artist's upheld contest"
    if not attested.passed and not fraud and kind == "appeal":
        return "the worker's won appeal"
    return ""


@dataclass
class _Recomputed:
    """An evidence bundle judged on a claim: why it cannot carry a verdict, or its report."""

    problems: list[str] = field(default_factory=list)
    report: CheckReport | None = None

    @property
    def passed(self) -> bool:
        """Whether the evidence supports a pass (unusable evidence supports none)."""
        return not self.problems and self.report is not None and self.report.passed

    @property
    def contradicts_pass(self) -> bool:
        """Whether a pass on this evidence contradicts it (`CheckReport.contradicts_pass`)."""
        return bool(self.problems) or self.report is None or self.report.contradicts_pass()


def evidence_checks(
    h: JobHistory,
    ipfs: KuboClient,
    who: str,
    a: Assignment,
    manifest: RenderManifest,
    commit: ev.ResultsCommitted,
    work_dir: Path,
    tiles_checked: bool = True,
) -> tuple[list[Check], list[Verdict]]:
    """Check every verdict's evidence on `who`'s results, recomputing each verdict from its
    evidence and the revealed tiles (scratch files under `work_dir`); returns the checks and the
    verdicts a re-render can check (the ones with a seed whose evidence was rendered). When the
    revealed tiles could not be checked here (`tiles_checked` false: the tiles check says why), a
    recomputation that fails on them before judging a patch proves nothing about the verdict."""
    checks: list[Check] = []
    seeded: list[Verdict] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(kind="evidence", name=name, ok=ok, detail=detail))

    found = verdicts(h, who, a.job_id)
    if not found:
        check(
            f"verification evidence of {who}", True,
            "no verifier attested (accepted by the artist or after the verifier rounds)",
        )  # fmt: skip
        return checks, seeded
    judged: dict[tuple[str, str, str], _Recomputed] = {}

    def recompute(v: Verdict) -> _Recomputed:
        assert v.seed is not None
        key = (v.evidence_cid, v.results_cid, v.seed)
        if key not in judged:
            claim = Claim(
                job_id=a.job_id, worker=who, manifest_cid=h.posted.manifest_cid,
                results_cid=v.results_cid, merkle_root=commit.merkle_root,
                first_tile=a.first_tile, tile_count=a.tile_count, seed=v.seed,
            )  # fmt: skip
            scratch = work_dir / f"{len(judged):03d}"
            judged[key] = _recompute(claim, v.evidence_cid, manifest, ipfs, scratch)
        return judged[key]

    for v in found:
        if v.kind == "challenge":
            check(v.name, *_challenge_vote(v, recompute))
            continue
        if v.seed is None:
            check(v.name, False, "a verdict without a drawn seed")
            continue
        sealing = _seal_problems(a.job_id, who, v) if v.how == "attested" else []
        result = recompute(v)
        report = result.report
        if report is not None and not report.patches and not report.passed and not tiles_checked:
            check(v.name, True, f"not recomputed: {report.reason} (see the tiles check)")
            continue
        unsupported = list(result.problems)
        if report is not None and report.passed != v.passed:
            said = f"the verifier attested passed={v.passed}" if v.how == "attested" else (
                f"the member voted fraud={not v.passed}"
            )  # fmt: skip
            unsupported.append(
                f"it contradicts its own evidence: {said}, but the evidence, recomputed without "
                f"rendering, says passed={report.passed} ({report.reason})"
            )
        if unsupported and v.overturned_by and not sealing:
            # The protocol caught it: a panel overturned the verdict.
            check(v.name, True, "; ".join(unsupported) + f"; overturned by {v.overturned_by}")
            continue
        if sealing or unsupported or report is None:
            check(v.name, False, "; ".join(sealing + unsupported))
        else:
            sealed = "sealed before the results were revealed; " if v.how == "attested" else ""
            check(
                v.name, True,
                f"{sealed}names the commitment and the seed's {len(report.patches)} patches; "
                f"recomputed without rendering: {report.reason}",
            )  # fmt: skip
        seeded.append(v)
    return checks, seeded


def _seal_problems(job_id: int, who: str, v: Verdict) -> list[str]:
    """Why an attestation's evidence is not the evidence its verifier sealed unseen."""
    seal = v.seal
    if seal is None:
        return ["no evidence was sealed in its round"]
    problems = []
    if seal.verifier != v.by:
        problems.append(f"the evidence was sealed by {seal.verifier}, not by {v.by}")
    want = "0x" + evidence_seal(job_id, who, v.by, v.evidence_cid).hex()
    if seal.seal.lower() != want:
        problems.append(
            f"it is not the evidence sealed: the seal {seal.seal} is not its hash {want}"
        )
    if v.revealed is None or _position(v.revealed) < _position(seal):
        problems.append("its evidence was not sealed before the results were revealed")
    return problems


def _recompute(
    claim: Claim, cid: str, manifest: RenderManifest, ipfs: KuboClient, work_dir: Path
) -> _Recomputed:
    """The bundle at `cid`: it must name `claim` (its commitment and seed) with exactly the
    patches the seed selects; then the verdict it gives on the revealed tiles."""
    try:
        evidence = load_evidence(ipfs, cid)
    except (IpfsError, ValueError) as exc:
        return _Recomputed([f"the evidence bundle is unusable: {exc}"])
    problems = _naming_problems(evidence, claim, manifest)
    if problems:
        return _Recomputed(problems)
    report = judge_evidence(claim, evidence, ipfs, work_dir)
    if not report.evidence_ok:
        return _Recomputed([f"the evidence is unusable: {report.reason}"])
    return _Recomputed(report=report)


def _naming_problems(evidence: Evidence, claim: Claim, manifest: RenderManifest) -> list[str]:
    problems = []
    named = (evidence.job_id, evidence.worker.lower(), evidence.manifest_cid,
             evidence.merkle_root.lower(), evidence.first_tile, evidence.tile_count)  # fmt: skip
    committed = (claim.job_id, claim.worker.lower(), claim.manifest_cid,
                 claim.merkle_root.lower(), claim.first_tile, claim.tile_count)  # fmt: skip
    if named != committed:
        problems.append("it names other results than the commitment")
    if evidence.seed.lower() != claim.seed.lower():
        problems.append(f"its seed is not the drawn seed {claim.seed}")
    chosen = select_patches(claim.seed_bytes(), manifest, claim.assigned())
    # The verifier renders frame by frame, so its list may be in another order: compare sets.
    if sorted(_key(p.choice) for p in evidence.patches) != sorted(_key(c) for c in chosen):
        problems.append(
            f"its {len(evidence.patches)} patches are not the {len(chosen)} the seed selects"
        )
    return problems


def _key(c: PatchChoice) -> tuple[int, int, int, int, int, int]:
    return (c.job_tile, c.frame, c.rect.x, c.rect.y, c.rect.width, c.rect.height)


def _challenge_vote(v: Verdict, recompute: Callable[[Verdict], _Recomputed]) -> tuple[bool, str]:
    """A vote on a challenge against the challenged pass's evidence, recomputed: "fraud"
    (contradicted) is right when that evidence does not support the pass."""
    target = v.challenged
    if target is None or target.seed is None:
        return False, "a vote on a challenge, but no pass with a drawn seed was challenged"
    result = recompute(target)
    contradicted = result.contradicts_pass
    why = "; ".join(result.problems) or (result.report.reason if result.report else "")
    ok = (not v.passed) == contradicted
    return ok, (
        f"voted {'contradicted' if not v.passed else 'not contradicted'}; the challenged "
        f"evidence {target.evidence_cid}, recomputed without rendering, "
        f"{'contradicts' if contradicted else 'supports'} the pass ({why})"
    )


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
    h: JobHistory,
    who: str,
    block_time: Callable[[int], int] | None = None,
    job_id: int | None = None,
) -> list[Check]:
    """One check per dispute of `who`'s seat in job (or round) `job_id`, the posted job by
    default: every reveal follows a seal by the same panel
    member, each member seals and reveals once, nothing is revealed after the verdict, and the
    first reveal came once every member had sealed or after the commit window (the dispute's
    `deadline`: the panel's draw block's time plus one verification window; `block_time` reads
    a block's timestamp, and without it only the first condition can be seen)."""
    panels: list[_Panel] = []
    window = h.posted.params.verify_window
    job_id = h.job_id if job_id is None else job_id
    for e in h.events:
        if e.get("worker") != who or e.get("job_id") != job_id:
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
