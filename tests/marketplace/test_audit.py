"""The audit replays a finished job from the chain and IPFS alone (CLI and API): it passes on an
honest job and names the check that fails when a results list, a tile, a frame or a payment is
not what the chain committed; the ledger CSV balances row by row."""

import csv
import io
import json
import random
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.db.chain_models import LedgerEntry
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from tests.ipfs.hostile_node import hostile_node
from tests.marketplace.finished_job import FinishedJob, frames_of
from tests.marketplace.market import deploy_market, random_history
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.records import SEAT_STATES
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.audit.credits import Flows, job_credits
from tilefarm.checks.audit.history import JobHistory, read_histories, read_history
from tilefarm.checks.audit.job import AuditReport, audit_job
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.report import FrameClaim
from tilefarm.checks.audit.rounds import round_checks
from tilefarm.checks.audit.solvency import solvency
from tilefarm.checks.verification import Evidence, EvidencePatch
from tilefarm.manifest import canonical_json
from tilefarm.patches import select_patches
from tilefarm.pixels import read_exr, write_exr
from tilefarm.results import ResultsList
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.ports import free_port

pytestmark = [pytest.mark.stack, pytest.mark.chain, pytest.mark.ipfs, pytest.mark.blender]


def _cli(job: FinishedJob, *args: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).parent / "tilefarm"
    status = job.stack.status
    return subprocess.run(
        [str(cli), "audit", *args, "--rpc-url", str(status.rpc_url),
         "--ipfs-api-url", str(status.ipfs_api_url),
         "--deployments", str(job.stack.deployments_file)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _failed(report: AuditReport) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if not c.ok}


def _audit(job: FinishedJob, history: object = None, **kw: object) -> AuditReport:
    h = history or read_history(job.stack.market, job.job_id)
    return audit_job(h, job.ipfs, market=job.stack.market, **kw)  # type: ignore[arg-type]


def test_an_honest_job_passes_the_audit_with_rerendered_patches_and_tiles(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    result = _cli(job, "job", str(job.job_id), "--json", "--rerender", "--all-tiles")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True
    kinds = [c["kind"] for c in report["checks"]]
    for kind in ("results", "merkle", "tiles", "evidence"):
        assert kinds.count(kind) == 2, kind  # one per worker
    rerendered = [c["name"] for c in report["checks"] if c["kind"] == "rerender"]
    assert len(rerendered) == 4  # each worker's patches, and both frames' tiles whole
    assert "full re-render of frame 1" in rerendered and "full re-render of frame 2" in rerendered
    assert all(c["ok"] for c in report["checks"])
    assert "verified locally and by the contract's verifyTile" in json.dumps(report["checks"])
    accepted = [e for e in job.stack.market.events(job_id=job.job_id)]
    paid = sum(e.payment for e in accepted if isinstance(e, ev.PaymentReleased))
    money = report["money"]
    assert int(money["paid_to_workers"]) == paid
    assert int(money["deposit"]) == int(money["quote"])
    assert int(money["escrow_held"]) == 0
    # The frames recomputed from the tiles are the ones the server stored.
    served = {f["frame"]: (f["png_cid"], f["exr_cid"]) for f in frames_of(job.api, job.job_id)}
    assert {f["frame"]: (f["png_cid"], f["exr_cid"]) for f in report["frames"]} == served


def test_the_api_serves_the_same_audit_and_checks_the_stored_frames(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    answer = job.api.get(f"/api/audit/jobs/{job.job_id}")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["ok"] is True
    frame_checks = [c for c in report["checks"] if c["kind"] == "frames"]
    assert [c["name"] for c in frame_checks] == ["assembled frame 1", "assembled frame 2"]
    cli = json.loads(_cli(job, "job", str(job.job_id), "--json").stdout)
    assert report["money"] == cli["money"]
    assert [c for c in report["checks"] if c["kind"] != "frames"] == cli["checks"]


def test_a_tampered_results_list_fails_the_results_check(finished_job: FinishedJob) -> None:
    job = finished_job
    history = read_history(job.stack.market, job.job_id)
    revealed = next(e for e in history.events if isinstance(e, ev.ResultsRevealed))
    results = ResultsList.model_validate_json(job.ipfs.cat(revealed.results_cid))
    first = results.tiles[0].model_copy(update={"pixel_hash": "ab" * 32})
    forged = results.model_copy(update={"tiles": [first, *results.tiles[1:]]})
    forged_cid = job.ipfs.add_bytes(canonical_json(forged.model_dump(mode="json")))
    history.events = [
        e.model_copy(update={"results_cid": forged_cid}) if e is revealed else e
        for e in history.events
    ]
    report = _audit(job, history)
    assert not report.ok
    failed = _failed(report)
    assert f"results list of {revealed.worker}" in failed
    assert "not the committed root" in failed[f"results list of {revealed.worker}"]


def _with_evidence(job: FinishedJob, change: Callable[[dict[str, Any]], None]) -> AuditReport:
    """Audit with the first attestation's evidence bundle changed by `change`, sealed as the
    verifier would have sealed it (so that only the bundle is at fault)."""
    history = read_history(job.stack.market, job.job_id)
    attested = next(e for e in history.events if isinstance(e, ev.ResultsAttested))
    bundle = json.loads(job.ipfs.cat(attested.evidence_cid))
    change(bundle)
    forged = job.ipfs.add_bytes(canonical_json(bundle))
    seal = "0x" + evidence_seal(job.job_id, attested.worker, attested.verifier, forged).hex()
    history.events = [
        e.model_copy(update={"evidence_cid": forged})
        if e is attested
        else e.model_copy(update={"seal": seal})
        if isinstance(e, ev.EvidenceSealed) and e.worker == attested.worker
        and e.verifier == attested.verifier
        else e
        for e in history.events
    ]  # fmt: skip
    return _audit(job, history)


def test_evidence_listing_its_patches_in_another_order_still_passes(
    finished_job: FinishedJob,
) -> None:
    report = _with_evidence(finished_job, lambda b: b["patches"].reverse())
    assert report.ok, _failed(report)


def test_evidence_naming_other_patches_than_the_seed_selects_fails_the_evidence_check(
    finished_job: FinishedJob,
) -> None:
    def move_first_patch(bundle: dict[str, Any]) -> None:
        rect = bundle["patches"][0]["choice"]["rect"]
        rect["x"] = (rect["x"] + 8) % 32

    failed = _failed(_with_evidence(finished_job, move_first_patch))
    assert len(failed) == 1
    ((name, detail),) = failed.items()
    assert name.startswith("evidence ") and "not the 4 the seed selects" in detail


@pytest.mark.parametrize("fraud", [False, True])
def test_a_panel_votes_evidence_is_checked_against_the_panels_seed(
    finished_job: FinishedJob, fraud: bool, tmp_path: Path
) -> None:
    # A dispute the job did not have, added to its history: a panel drawn with a new seed and
    # one vote whose bundle holds that seed's patches, as an honest re-render gives them (the
    # revealed tiles themselves, cropped), so the bundle says the tiles are honest.
    job = finished_job
    history = read_history(job.stack.market, job.job_id)
    attested = next(e for e in history.events if isinstance(e, ev.ResultsAttested))
    revealed = next(e for e in history.events if isinstance(e, ev.ResultsRevealed) and
                    e.worker == attested.worker)  # fmt: skip
    seat = job.stack.market.seat(job.job_id, attested.worker)
    seed = "0x" + "5e" * 32
    results = ResultsList.model_validate_json(job.ipfs.cat(revealed.results_cid))
    tiles = {t.index: read_exr(job.ipfs.cat_to_file(t.cid, tmp_path / f"{t.index}.exr"))
             for t in results.tiles}  # fmt: skip
    rects = job.manifest.tiles()
    patches = []
    assigned = list(range(seat.first_tile, seat.first_tile + seat.tile_count))
    for i, c in enumerate(select_patches(bytes.fromhex("5e" * 32), job.manifest, assigned)):
        local = c.rect.relative_to(rects[c.tile])
        crop = tiles[c.job_tile][local.y : local.y_end, local.x : local.x_end]
        path = write_exr(tmp_path / f"patch-{i}.exr", crop)
        patches.append(EvidencePatch(choice=c, render_cid=job.ipfs.add_file(path)))
    vote_cid = Evidence(
        job_id=job.job_id, worker=attested.worker, manifest_cid=job.manifest_cid,
        merkle_root=seat.hash, first_tile=seat.first_tile, tile_count=seat.tile_count, seed=seed,
        patches=patches,
    ).publish(job.ipfs)  # fmt: skip
    accounts: Sequence[str] = job.stack.w3.eth.accounts  # web3 types it as a 1-tuple
    voter = accounts[5]
    at = history.events[-1].block_number + 1
    history.events += [
        ev.PanelDrawn(job_id=job.job_id, worker=attested.worker, members=(voter,) * 3,
                      seed=seed, block_number=at),
        ev.VoteCast(job_id=job.job_id, worker=attested.worker, voter=voter, fraud=fraud,
                    evidence_cid=vote_cid, block_number=at),
    ]  # fmt: skip
    report = _audit(job, history)
    name = f"vote evidence {vote_cid} of {voter} on {attested.worker}"
    assert name in {c.name for c in report.checks}
    if fraud:  # the bundle found the patches honest: a fraud vote contradicts it
        assert "the member voted fraud=True, but the evidence" in _failed(report)[name]
    else:
        assert report.ok, _failed(report)


def test_a_tile_whose_bytes_do_not_match_its_cid_fails_the_tiles_check(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    history = read_history(job.stack.market, job.job_id)
    commit = next(e for e in history.events if isinstance(e, ev.ResultsRevealed))
    tile = ResultsList.model_validate_json(job.ipfs.cat(commit.results_cid)).tiles[1]

    def flip_that_tile(path: str, body: bytes) -> bytes:
        if path.startswith("/api/v0/cat") and tile.cid in path and body:
            return bytes([body[0] ^ 0xFF]) + body[1:]
        return body

    assert job.stack.status.ipfs_api_url
    with (
        hostile_node(job.stack.status.ipfs_api_url, flip_that_tile) as url,
        KuboClient(url) as ipfs,
    ):
        report = audit_job(history, ipfs, market=job.stack.market)
    failed = _failed(report)
    assert list(failed) == [f"tiles of {commit.worker}"]
    assert f"tile {tile.index} ({tile.cid}) cannot be read" in failed[f"tiles of {commit.worker}"]


def test_a_server_claiming_other_frame_files_fails_the_frames_check(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    other = job.ipfs.add_bytes(b"not the frame")
    report = _audit(job, frame_claims=[FrameClaim(frame=2, png_cid=other, exr_cid=other)])
    failed = _failed(report)
    assert list(failed) == ["assembled frame 2"]
    assert f"stored {other}" in failed["assembled frame 2"]


def test_a_payment_that_does_not_match_its_assignment_fails_the_money_checks(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    history = read_history(job.stack.market, job.job_id)
    history.events = [
        e.model_copy(update={"payment": e.payment + 1}) if isinstance(e, ev.PaymentReleased) else e
        for e in history.events
    ]
    failed = _failed(_audit(job, history))
    assert set(failed) == {"each payment matches its assignment", "money in equals money out"}


def test_auditing_an_unknown_job_says_so(finished_job: FinishedJob) -> None:
    job = finished_job
    answer = job.api.get("/api/audit/jobs/999")
    assert answer.status_code == 404
    assert "has no job 999" in answer.json()["error"]["message"]
    result = _cli(job, "job", "999")
    assert result.returncode == 1
    assert "has no job 999" in result.stderr


@pytest.mark.parametrize("content", [False, True], ids=["books", "content"])
def test_the_ledger_csv_has_a_balanced_row_per_job(
    finished_job: FinishedJob, content: bool
) -> None:
    job = finished_job
    result = _cli(job, "ledger", "--csv", *(["--content"] if content else []))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    market = job.stack.market
    posted = [n for n in range(1, market.job_count() + 1) if market.job(n).posted_job]
    assert [int(r["job_id"]) for r in rows] == posted  # a round's books are its posted job's
    for r in rows:
        books = {
            k: int(r[k])
            for k in ("escrow", "top_ups", "slashed_in", "paid", "fees", "refunded", "held")
        }
        assert books["escrow"] + books["top_ups"] + books["slashed_in"] == (
            books["paid"] + books["fees"] + books["refunded"] + books["held"]
        )
        assert r["checked"] == ("all" if content else "books")
        # Other tests of the session may post a job whose manifest is not a CID: its content
        # fails, never its books.
        allowed = ("", "manifest readable") if content else ("",)
        assert r["audit_ok"] == "True" or r["failed_checks"] in allowed, r
    assert result.returncode == (0 if all(r["audit_ok"] == "True" for r in rows) else 2)
    assert "owes" in result.stderr and ": balanced" in result.stderr
    finished = next(r for r in rows if int(r["job_id"]) == job.job_id)
    assert finished["audit_ok"] == "True", finished["failed_checks"]
    assert finished["status"] == "Completed" and int(finished["held"]) == 0
    assert int(finished["paid"]) > 0 and int(finished["fees"]) > 0


def test_the_ledger_reads_no_content_unless_asked(finished_job: FinishedJob) -> None:
    """Without `--content` the ledger is the chain's books alone: it runs with IPFS down."""
    job = finished_job
    nobody = f"http://127.0.0.1:{free_port()}"
    books = _cli(job, "ledger", "--csv", "--ipfs-api-url", nobody)
    rows = {int(r["job_id"]): r for r in csv.DictReader(io.StringIO(books.stdout))}
    assert rows[job.job_id]["audit_ok"] == "True" and rows[job.job_id]["checked"] == "books"
    assert ": balanced" in books.stderr, books.stderr


def _paths(history: JobHistory) -> set[str]:
    """The paths of the protocol a job's history took: its events' names, each verdict's kind
    and outcome, a seat disputed twice, each cause of tiles going back, a tile paid in a round,
    a job that expired or left tiles waiting for a round."""
    seen = {type(e).__name__ for e in history.events}
    kinds = history.dispute_kinds()
    kind_of: dict[tuple[int, str], str] = {}  # a seat disputed twice: each verdict, its kind
    opened: list[tuple[int, str]] = []
    for e in history.events:
        if isinstance(e, ev.DisputeOpened):
            kind_of[(e.job_id, e.worker)] = kinds[(e.block_number, e.log_index)]
            opened.append((e.job_id, e.worker))
        elif isinstance(e, ev.DisputeResolved):
            seen.add(f"{kind_of[(e.job_id, e.worker)]}:{e.fraud}")
        elif isinstance(e, ev.TilesReturned) and int(e.worker, 16):
            seen.add(f"returned:{SEAT_STATES[e.cause]}")
        elif isinstance(e, ev.PaymentReleased) and e.job_id != history.job_id:
            seen.add("paid in a round")
    if len(opened) > len(set(opened)):
        seen.add("disputed twice")
    if history.job.status_name == "Expired":
        seen.add("expired")
    if history.job.status_name == "Active" and history.unsold:
        seen.add("tiles waiting")
    return seen


# Between them the seeds take every path: cancellations, unrevealed bids, late workers, missed
# draws, silent verifiers (before the seal, or once the results were revealed: slashed to the
# worker) and seats left unverified, sealed seats whose worker hid its results (rejected) or that
# the artist accepted, passes released after their window or at once, fails, rejections, appeals,
# contests, and challenges of a pass upheld (verified again) and rejected; and rounds: tiles back
# from late, rejected and unverified seats, rounds opened (on a reserve the artist topped up),
# paid, ended by a round that sold nothing or by the artist, a job that expired unsold, and tiles
# left waiting for a round.
# (Each worker's way is drawn apart from who wins: the seeds take these paths whatever the chain's
# block hashes; checked with blocks mined before each history.)
SEED_PATHS = [
    (
        3,
        {
            "JobCancelled", "BondReclaimed", "VerifierDrawMissed", "WorkerTimedOut",
            "ResultsRejected", "ResultsUnverified", "contest:True", "appeal:False", "JobToppedUp",
            "returned:Unverified", "paid in a round",
        },
    ),
    (
        18,
        {
            "BidForfeited", "EvidenceSealed", "appeal:True", "challenge:False", "contest:False",
            "disputed twice", "RoundOpened", "returned:TimedOut", "returned:Rejected",
            "tiles waiting",
        },
    ),
    (19, {"challenge:True", "ReofferingEnded", "expired", "returned:Rejected"}),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "paths"), SEED_PATHS)
def test_the_books_balance_on_random_job_histories_and_agree_with_the_indexer(
    devnet: StackStatus, tmp_path: Path, seed: int, paths: set[str]
) -> None:
    assert devnet.rpc_url
    m = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    jobs = random_history(m, random.Random(seed), jobs=4)
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    Indexer(db, m.client, m.start_block).sync()
    seen = set()
    for job_id in jobs:
        history = read_history(m.client, job_id)
        money, checks = job_money(history)
        flows = Flows()
        job_credits(history, defaultdict(int), flows=flows)
        checks += round_checks(history, flows)
        assert all(c.ok for c in checks), [c for c in checks if not c.ok]
        seen |= _paths(history)
        with db.session() as session:
            entries = session.scalars(select(LedgerEntry).where(LedgerEntry.job_id == job_id))
            by_reason: dict[str, int] = {}
            for entry in entries:
                by_reason[entry.reason] = by_reason.get(entry.reason, 0) + entry.amount
        assert money.paid_to_workers == by_reason.get("tile_payment", 0)
        assert money.verifier_fees == by_reason.get("verifier_fee", 0)
        assert money.draw_bounties == by_reason.get("draw_bounty", 0)
        assert money.reoffer_bounties == by_reason.get("reoffer_bounty", 0)
        assert money.protocol_fee == by_reason.get("protocol_fee", 0)
        assert money.top_ups == by_reason.get("top_up", 0)
        assert money.bid_bonds_forfeited == by_reason.get("unrevealed_bonds", 0)
        refunds = ("cancel_refund", "completion_refund")
        assert money.refunded == sum(by_reason.get(r, 0) for r in refunds)
        assert money.slashed == sum(v for k, v in by_reason.items() if k.startswith("slash:"))
        assert [r.job_id for r in money.rounds] == [job_id, *history.rounds]
    db.engine.dispose()
    books = solvency(m.client, read_histories(m.client))
    assert books.ok and books.balance > 0, books  # balanced, and every balance as the rules owe
    assert paths | {"PaymentReleased", "DisputeResolved", "ResultsRevealed"} <= seen
