"""Auditing one job end to end from the chain and IPFS alone.

For the job's manifest, every committed seat (its revealed results list against the committed
root, a Merkle proof per tile checked locally and by the contract's own `verifyTile`, every
tile's bytes against its CID and its pixels against its pixel hash), the verification evidence of
every attestation and panel vote (sealed before the reveal, naming the commitment and the seed's
patches, and giving its verdict again without rendering) and the order of each panel's sealed
votes (`tilefarm.checks.audit.evidence`),
the frames (recomputed from the tiles the chain accepted, in whichever round: the CIDs the
assembled files must have, compared with what a server claims when given; once the job has ended,
the tiles no round delivered stay transparent), the money (`tilefarm.checks.audit.money`) and the
tiles and reserve through the job's re-offer rounds (`tilefarm.checks.audit.rounds`: no tile held or
paid twice). A posted job's audit covers its rounds: their seats are audited like the posted job's
own, each under its round's job id. With `rerender`, the patches of every verdict's seed are
rendered again in a Blender child and must give its verdict.
"""

import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.ipfs import IpfsError, KuboClient, fetch_manifest
from tilefarm.checks.audit.credits import Flows, RuleProblems, job_credits
from tilefarm.checks.audit.evidence import Verdict, evidence_checks, sealed_vote_checks
from tilefarm.checks.audit.frames import frame_stem, needs_blender, write_frame_files
from tilefarm.checks.audit.history import Assignment, JobHistory
from tilefarm.checks.audit.money import Money, job_money
from tilefarm.checks.audit.report import Check, CheckKind, FrameAudit, FrameClaim, SeatAudit
from tilefarm.checks.audit.rerender import rerender_tiles
from tilefarm.checks.audit.rounds import replay, round_checks
from tilefarm.checks.verification import check_results
from tilefarm.checks.verification.committed import (
    CommittedResultsInvalid,
    fetch_results,
    fetch_tile,
    require_cid,
)
from tilefarm.cids import cid_digest, cid_of_file
from tilefarm.errors import TilefarmError
from tilefarm.hardware import BackendClass
from tilefarm.manifest import RenderManifest
from tilefarm.merkle import merkle_proof, verify_proof
from tilefarm.results import Claim, Commitment, ResultsList

# Seat states whose tiles a verdict accepted: the frames are made of them.
DELIVERED = ("Accepted", "Paid")


class AuditReport(BaseModel):
    """Everything the audit checked about one job."""

    job_id: int
    market: str
    status: str
    artist: str
    manifest_cid: str
    ok: bool
    checks: list[Check]
    money: Money
    seats: list[SeatAudit]
    frames: list[FrameAudit]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


class _Audit:
    def __init__(
        self,
        history: JobHistory,
        ipfs: KuboClient,
        work_dir: Path,
        market: JobMarketClient | None,
    ) -> None:
        self.h = history
        self.ipfs = ipfs
        self.work = work_dir
        self.market = market
        self.checks: list[Check] = []
        self.tiles: dict[int, Path] = {}  # job tile -> checked EXR of a seat that delivered it
        self.backends: dict[int, BackendClass] = {}  # job tile -> what its results list says
        # Job tiles the chain accepted (None without a chain to ask: every checked tile counts).
        self.delivered: set[int] | None = set() if market is not None else None

    def block_time(self, block_number: int) -> int:
        """A block's timestamp, read from the chain."""
        assert self.market is not None
        return int(self.market.w3.eth.get_block(block_number)["timestamp"])

    def check(self, kind: CheckKind, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(kind=kind, name=name, ok=ok, detail=detail))
        return ok

    # -- manifest

    def manifest(self) -> RenderManifest | None:
        cid = self.h.posted.manifest_cid
        try:
            require_cid(cid, "its CID")
            manifest = fetch_manifest(self.ipfs, cid)
        except (IpfsError, TilefarmError) as exc:
            self.check("manifest", "manifest readable", False, f"manifest {cid}: {exc}")
            return None
        params = self.h.posted.params
        ok = manifest.job_tile_count == params.tile_count and len(manifest.frames) == (
            params.frame_count
        )
        self.check(
            "manifest",
            "manifest matches the posted job",
            ok,
            f"manifest {cid}: {len(manifest.frames)} frame(s) x {manifest.tile_count} tiles; "
            f"posted {params.frame_count} frame(s), {params.tile_count} tiles",
        )
        return manifest

    # -- one seat

    def seat(
        self, a: Assignment, manifest: RenderManifest | None, rerender: BlenderChild | None
    ) -> SeatAudit:
        who = a.worker
        name = who if a.round == 0 else f"{who} in round {a.round}"
        state = self.market.seat(a.job_id, who).state_name if self.market else "?"
        delivered = state in DELIVERED or self.delivered is None
        if delivered and self.delivered is not None:
            self.delivered.update(a.tiles)
        commit = self.h.commitment(who, a.job_id)
        revealed = self.h.revealed(who, a.job_id)
        mine = [e for e in self.h.events if (e.get("job_id"), e.get("worker")) == a.key]
        drawn = [e for e in mine if isinstance(e, ev.VerifierDrawn)]
        attested = [e for e in mine if isinstance(e, ev.ResultsAttested)]
        audit = SeatAudit(
            worker=who, job_id=a.job_id, round=a.round, first_tile=a.first_tile,
            tile_count=a.tile_count, price_per_tile=str(a.price_per_tile), state=state,
            results_cid=revealed.results_cid if revealed else None,
            merkle_root=commit.merkle_root if commit else None,
            verifier=drawn[-1].verifier if drawn else None,
            seed=drawn[-1].seed if drawn else None,
            passed=attested[-1].passed if attested else None,
            evidence_cids=[e.evidence_cid for e in attested],
        )  # fmt: skip
        self.checks += sealed_vote_checks(
            self.h, who, self.block_time if self.market else None, a.job_id
        )
        if commit is None or manifest is None:
            # Nothing committed (timed out): nothing on IPFS to check. No usable manifest (its
            # check failed above): no rectangle to hold a tile to, so no tile is read.
            return audit
        if revealed is None:
            # Blind verification: the list stays hidden until a verifier sealed its evidence;
            # the artist may accept before that, or the worker may never reveal (rejected).
            self.check(
                "results", f"results list of {name}", True,
                f"committed root {commit.merkle_root}; the results list was never revealed "
                f"(seat {state}): no tiles to check",
            )  # fmt: skip
            return audit
        try:
            results = fetch_results(
                self.ipfs,
                Commitment(
                    job_id=a.job_id, worker=a.worker, manifest_cid=self.h.posted.manifest_cid,
                    results_cid=revealed.results_cid, merkle_root=commit.merkle_root,
                    first_tile=a.first_tile, tile_count=a.tile_count,
                ),
            )  # fmt: skip
        except (CommittedResultsInvalid, IpfsError) as exc:
            self.check("results", f"results list of {name}", False, str(exc))
            return audit
        self.check(
            "results",
            f"results list of {name}",
            True,
            f"{revealed.results_cid} (revealed) lists tiles {a.first_tile}.."
            f"{a.first_tile + a.tile_count - 1} and hashes to the committed root "
            f"{commit.merkle_root}",
        )
        self.proofs(a, name, results, commit.merkle_root)
        tiles_checked = self.fetch_tiles(a, name, results, delivered, manifest)
        scratch = self.work / "judge" / f"{a.job_id}-{who}"
        checks, seeded = evidence_checks(
            self.h, self.ipfs, who, a, manifest, commit, scratch, tiles_checked
        )
        self.checks += checks
        if rerender is not None:
            for v in seeded:
                self.rerender(who, a, commit, v, rerender)
        return audit

    def proofs(self, a: Assignment, name: str, results: ResultsList, root: str) -> None:
        leaves = results.leaves()
        root_bytes = bytes.fromhex(root.removeprefix("0x"))
        bad_local, bad_chain = [], []
        checked_on_chain = self.market is not None
        for i, tile in enumerate(results.tiles):
            proof = merkle_proof(leaves, i)
            if not verify_proof(proof, root_bytes, leaves[i]):
                bad_local.append(tile.index)
            if self.market is not None:
                try:
                    on_chain = self.market.verify_tile(
                        a.job_id, a.worker, tile.index, cid_digest(tile.cid),
                        bytes.fromhex(tile.pixel_hash), proof,
                    )  # fmt: skip
                except TilefarmError:
                    checked_on_chain = False  # the seat is in a state the view refuses
                    on_chain = True
                if not on_chain:
                    bad_chain.append(tile.index)
        where = "locally and by the contract's verifyTile" if checked_on_chain else "locally"
        self.check(
            "merkle",
            f"Merkle proofs of {name}",
            not bad_local and not bad_chain,
            f"tiles {bad_local or bad_chain} do not prove against the root"
            if bad_local or bad_chain
            else f"{len(leaves)} proof(s) verified {where}",
        )

    def fetch_tiles(
        self,
        a: Assignment,
        name: str,
        results: ResultsList,
        delivered: bool,
        manifest: RenderManifest,
    ) -> bool:
        """Fetch and check every tile of a seat's results (those of a seat that `delivered` make
        the frames); whether all of them checked out. A tile whose file declares another size
        than its rectangle is refused before it is decoded (without a manifest, `seat` checks no
        tile at all)."""
        problems = []
        rects = manifest.tiles()
        for tile in results.tiles:
            dest = self.work / "tiles" / f"{a.job_id}-{a.worker}" / f"{tile.index}.exr"
            rect = rects[tile.index % len(rects)]
            try:
                fetch_tile(self.ipfs, tile, dest, rect.shape)
                if delivered:
                    self.tiles[tile.index] = dest
                    self.backends[tile.index] = results.backend_of(tile.index)
            except (CommittedResultsInvalid, IpfsError) as exc:
                problems.append(str(exc))
        return self.check(
            "tiles",
            f"tiles of {name}",
            not problems,
            "; ".join(problems)
            or f"{len(results.tiles)} tile(s): bytes match their CIDs, pixels their hashes",
        )

    def rerender(
        self, who: str, a: Assignment, commit: ev.ResultsCommitted, v: Verdict, child: BlenderChild
    ) -> None:
        """Render the patches of `v`'s seed again and judge them against the revealed tiles:
        the verdict must be `v`'s."""
        assert v.seed is not None
        claim = Claim(
            job_id=a.job_id, worker=who, manifest_cid=self.h.posted.manifest_cid,
            results_cid=v.results_cid, merkle_root=commit.merkle_root,
            first_tile=a.first_tile, tile_count=a.tile_count, seed=v.seed,
        )  # fmt: skip
        scratch = self.work / "rerender" / f"{a.job_id}-{who}"
        scratch.mkdir(parents=True, exist_ok=True)
        if (self.work / "scene.blend").exists() and not (scratch / "scene.blend").exists():
            (scratch / "scene.blend").hardlink_to(self.work / "scene.blend")
        report, _ = check_results(claim, self.ipfs, scratch, child)
        if not (self.work / "scene.blend").exists() and (scratch / "scene.blend").exists():
            (self.work / "scene.blend").hardlink_to(scratch / "scene.blend")
        worst = min((p.psnr_db for p in report.patches if p.psnr_db is not None), default=None)
        self.check(
            "rerender",
            f"re-render of {who}'s patches" + (f" in round {a.round}" if a.round else ""),
            report.passed == v.passed,
            f"{report.reason} (worst {worst} dB); the chain says {v.how} passed={v.passed}",
        )

    # -- frames

    def frames(
        self, manifest: RenderManifest, claims: dict[int, FrameClaim], child: BlenderChild | None
    ) -> list[FrameAudit]:
        out = []
        per = manifest.tile_count
        ended = self.h.job.terminal
        for position, frame in enumerate(manifest.frames):
            wanted = range(position * per, (position + 1) * per)
            claim = claims.get(frame)
            audit = FrameAudit(
                frame=frame,
                claimed_png_cid=claim.png_cid if claim else None,
                claimed_exr_cid=claim.exr_cid if claim else None,
            )
            delivered = self.delivered if self.delivered is not None else set(self.tiles)
            # Once the job has ended, the tiles no round delivered are missing for good.
            missing = [t for t in wanted if t not in delivered] if ended else []
            present = [t for t in wanted if t not in missing]
            if not all(t in self.tiles for t in present):
                audit.note = "not every tile of this frame was checked: no frame to recompute"
            elif not present:
                audit.note = "no round delivered a tile of this frame"
            elif needs_blender(manifest) and child is None:
                audit.note = "denoised or colour-managed frame: recomputed only with --rerender"
            else:
                files = write_frame_files(
                    manifest,
                    {t - wanted.start: self.tiles[t] for t in present},
                    self.work / "frames",
                    frame_stem(self.h.job_id, frame),
                    child,
                    missing=[t - wanted.start for t in missing],
                )
                if missing:
                    audit.note = f"tiles {[t - wanted.start for t in missing]} were never delivered"
                audit.png_cid, audit.exr_cid = cid_of_file(files.png), cid_of_file(files.exr)
            if claim is not None and (claim.png_cid or claim.exr_cid):
                same = (claim.png_cid, claim.exr_cid) == (audit.png_cid, audit.exr_cid)
                self.check(
                    "frames", f"assembled frame {frame}", same,
                    "the stored PNG and EXR are the committed tiles stitched"
                    if same
                    else f"stored {claim.png_cid} / {claim.exr_cid}, the tiles make "
                    f"{audit.png_cid} / {audit.exr_cid}",
                )  # fmt: skip
            out.append(audit)
        return out


def audit_job(
    history: JobHistory,
    ipfs: KuboClient,
    *,
    market: JobMarketClient | None = None,
    work_dir: Path | None = None,
    rerender: bool = False,
    all_tiles: bool = False,
    frame_claims: Sequence[FrameClaim] = (),
    child_factory: Callable[[], BlenderChild] = BlenderChild,
) -> AuditReport:
    """Audit one job. `market` (when given) reads the seats' states and checks the Merkle proofs
    with the contract's `verifyTile`; `frame_claims` are a server's stored frames to check.
    `rerender` re-renders every verdict's patches; `all_tiles` (with it) every tile whole."""
    with tempfile.TemporaryDirectory(prefix="tilefarm-audit-") as scratch:
        work = work_dir or Path(scratch)
        audit = _Audit(history, ipfs, work, market)
        manifest = audit.manifest()
        child = child_factory() if rerender else None
        try:
            if child is not None:
                child.start()
            seats = [audit.seat(a, manifest, child) for a in history.assignments()]
            if child is not None and all_tiles and manifest is not None and audit.tiles:
                audit.checks += rerender_tiles(
                    manifest, audit.tiles, ipfs, child, work, audit.backends
                )
            frames = (
                audit.frames(manifest, {c.frame: c for c in frame_claims}, child)
                if manifest is not None
                else []
            )
        finally:
            if child is not None:
                child.close()
    books = audit_books(history)
    checks = audit.checks + books.checks
    return books.model_copy(
        update={"ok": all(c.ok for c in checks), "checks": checks, "seats": seats, "frames": frames}
    )


def audit_books(history: JobHistory) -> AuditReport:
    """Audit one job's books from its events alone, reading nothing else: the money, the tiles
    and reserve through its rounds, each panel's pay and each forfeit (what `audit ledger`
    checks of every job; `audit_job` adds the content: manifest, results, tiles, evidence,
    frames)."""
    flows = Flows()
    job_credits(history, defaultdict(int), flows=flows)
    replayed = replay(history, flows)
    money, money_checks = job_money(history, flows, replayed)
    checks = (
        money_checks
        + round_checks(history, flows, replayed)
        + panel_pay_checks(history)
        + forfeit_checks(history)
    )
    return AuditReport(
        job_id=history.job_id, market=history.market, status=history.job.status_name,
        artist=history.posted.artist, manifest_cid=history.posted.manifest_cid,
        ok=all(c.ok for c in checks), checks=checks, money=money, seats=[], frames=[],
    )  # fmt: skip


def panel_pay_checks(history: JobHistory) -> list[Check]:
    """Whether every dispute panel of the job was paid (`PanelPaid`) what the rules owe it."""
    paid = history.of(ev.PanelPaid)
    if not paid:
        return []
    problems = RuleProblems()
    job_credits(history, defaultdict(int), problems)
    return [
        Check(
            kind="money",
            name="each dispute panel is paid by the rules",
            ok=not problems.panels,
            detail="; ".join(problems.panels)
            or f"{len(paid)} panel(s): the fee shared by the members that revealed, the silent "
            "and outvoted members' slashes by those that voted for the outcome (or, if none "
            "did, to the treasury), the rest to the side the outcome favours",
        )
    ]


def forfeit_checks(history: JobHistory) -> list[Check]:
    """Whether every forfeited sealed bid (`BidForfeited`) was an unrevealed one and credited the
    artist its slash, at most the collateral its declared tiles locked at the maximum price."""
    forfeited = [e for e in history.events if isinstance(e, ev.BidForfeited)]
    if not forfeited:
        return []
    problems = RuleProblems()
    job_credits(history, defaultdict(int), problems)
    total = sum(e.slashed for e in forfeited)
    return [
        Check(
            kind="money",
            name="each forfeited bid pays the artist its collateral",
            ok=not problems.forfeits,
            detail="; ".join(problems.forfeits)
            or f"{len(forfeited)} unrevealed bid(s) forfeited: {total} wei slashed to the "
            "artist, none above the collateral its commit locked",
        )
    ]
