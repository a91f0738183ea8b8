"""Blind verification through the server and the auditor, on a real market with real files on IPFS
and no Blender (`tests.marketplace.blind`): a seat's results show only once revealed; a pass whose
own evidence contradicts it is reported by the audit, and once challenged it shows on the API
with its money (the challenger's gain, the verifier's slash, the panel's pay) projected and
audited as the contract credited it."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marketplace.app import create_app
from marketplace.assembly import frames_due
from marketplace.db.chain_models import LedgerEntry
from marketplace.db.frame_models import AssembledFrame
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from render_worker.duties.recheck import recheck_pass
from tests.marketplace.blind import RealSeat, real_job
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import (
    Bid,
    Market,
    assert_matches_chain,
    auction,
    commit_results,
    deploy_market,
    draw,
    panel_of,
    panel_votes,
    reveal,
    seal,
    stake_all,
    stranger,
)
from tests.marketplace.test_chain_api import assert_api_matches_chain, synced
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.audit.credits import check_credits
from tilefarm.checks.audit.history import read_histories, read_history
from tilefarm.checks.audit.job import AuditReport, audit_job, panel_pay_checks
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.solvency import solvency
from tilefarm.cids import cid_of_bytes
from tilefarm.manifest import canonical_json
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack, pytest.mark.ipfs]

FALSE_ACCUSATION = 2


@pytest.fixture
def market(devnet: StackStatus, tmp_path: Path) -> Market:
    assert devnet.rpc_url
    m = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    stake_all(m)
    return m


@pytest.fixture
def chain_api(devnet: StackStatus, tmp_path: Path, market: Market) -> Iterator[TestClient]:
    settings = server_settings(
        devnet, tmp_path / "server", deployments_file=market.deployments_file, poll_interval=0.05
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _failed(report: AuditReport) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if not c.ok}


def _check(report: AuditReport, name: str) -> str:
    (found,) = [c for c in report.checks if c.name == name]
    assert found.ok, found.detail
    return found.detail


def test_a_seats_results_show_only_once_revealed(chain_api: TestClient, market: Market) -> None:
    a = market.workers[0]
    job_id = auction(market, [Bid(a, 10**14, 8)])

    def seat() -> dict[str, Any]:
        synced(chain_api, market)
        (found,) = chain_api.get(f"/api/jobs/{job_id}").json()["seats"]
        assert isinstance(found, dict)
        return found

    assert (seat()["state"], seat()["merkle_root"], seat()["results_cid"]) == (
        "Assigned",
        None,
        None,
    )
    commit_results(market, job_id, a)
    committed = seat()
    root = market.client.seat(job_id, a).hash
    assert (committed["state"], committed["merkle_root"], committed["results_cid"]) == (
        "Submitted", root, None,
    )  # fmt: skip
    verifier = draw(market, job_id, a)
    seal(market, job_id, a, verifier, "bafy-sealed-evidence")
    sealed = seat()
    assert (sealed["state"], sealed["results_cid"]) == ("Sealed", None)  # still hidden
    verification = sealed["verification"]
    want = "0x" + evidence_seal(job_id, a, verifier, "bafy-sealed-evidence").hex()
    assert verification["evidence_seal"] == want and verification["verifier"] == verifier
    reveal(market, job_id, a, "bafy-revealed-list")
    revealed = seat()
    assert (revealed["state"], revealed["results_cid"]) == ("Opened", "bafy-revealed-list")
    market.client.attest(verifier, job_id, a, True, "bafy-sealed-evidence")
    accepted = seat()
    assert accepted["state"] == "Accepted" and accepted["results_cid"] == "bafy-revealed-list"
    status = chain_api.get(f"/api/jobs/{job_id}/status").json()
    assert (status["tiles_submitted"], status["tiles_accepted"]) == (8, 8)
    names = [e["name"] for e in chain_api.get(f"/api/jobs/{job_id}/events").json()["items"]]
    assert names[-5:] == [
        "VerifierDrawn", "EvidenceSealed", "ResultsRevealed", "ResultsAttested", "ResultsAccepted",
    ]  # fmt: skip
    assert_api_matches_chain(chain_api, market)


def test_a_worker_that_hides_its_results_after_the_seal_is_rejected_as_a_fraud(
    chain_api: TestClient, market: Market
) -> None:
    a = market.workers[0]
    job_id = auction(market, [Bid(a, 10**14, 8)])
    commit_results(market, job_id, a)
    verifier = draw(market, job_id, a)
    seal(market, job_id, a, verifier, "bafy-sealed-evidence")
    market.advance(market.client.job(job_id).verify_window + 1)
    market.client.finalize_rejection(market.artist, job_id, a)
    synced(chain_api, market)
    (seat,) = chain_api.get(f"/api/jobs/{job_id}").json()["seats"]
    assert (seat["state"], seat["results_cid"]) == ("Rejected", None)
    assert int(seat["slashed"]) > 0 and int(seat["verifier_fee"]) > 0  # the verifier kept its fee
    assert_api_matches_chain(chain_api, market)


def test_the_audit_reports_a_verdict_that_contradicts_its_own_evidence(
    market: Market, kubo: KuboClient, tmp_path: Path
) -> None:
    honest = real_job(market, kubo, tmp_path / "honest", market.workers[0])
    verifier, evidence = honest.verify(honest=True)
    report = audit_job(read_history(market.client, honest.job_id), kubo, market=market.client)
    assert report.ok, _failed(report)
    detail = _check(report, f"evidence {evidence} of {honest.worker}")
    assert "sealed before the results were revealed" in detail
    assert "recomputed without rendering: all 4 patches match" in detail

    # A lazy verifier seals patches it never rendered and passes the tiles: nobody challenges.
    lazy = real_job(market, kubo, tmp_path / "lazy", market.workers[1])
    _, grey = lazy.verify(honest=False)
    report = audit_job(read_history(market.client, lazy.job_id), kubo, market=market.client)
    failed = _failed(report)
    assert list(failed) == [f"evidence {grey} of {lazy.worker}"]
    assert (
        "it contradicts its own evidence: the verifier attested passed=True"
        in failed[f"evidence {grey} of {lazy.worker}"]
    )
    assert "says passed=False (4 of 4 patches differ" in failed[f"evidence {grey} of {lazy.worker}"]

    # A fail on honest tiles with honest evidence, left unappealed, contradicts it too.
    liar = real_job(market, kubo, tmp_path / "liar", market.workers[2])
    _, fine = liar.verify(honest=True, passed=False)
    report = audit_job(read_history(market.client, liar.job_id), kubo, market=market.client)
    assert "says passed=True" in _failed(report)[f"evidence {fine} of {liar.worker}"]

    # The attested evidence must be the sealed one, sealed before the reveal.
    history = read_history(market.client, honest.job_id)
    attested = next(e for e in history.events if isinstance(e, ev.ResultsAttested))
    sealed = next(e for e in history.events if isinstance(e, ev.EvidenceSealed))
    revealed = next(e for e in history.events if isinstance(e, ev.ResultsRevealed))
    other = honest.evidence("0x" + "5e" * 32)
    history.events = [
        e.model_copy(update={"evidence_cid": other}) if e is attested else e for e in history.events
    ]
    name = f"evidence {other} of {honest.worker}"
    detail = _failed(audit_job(history, kubo, market=market.client))[name]
    assert "it is not the evidence sealed" in detail and "not the drawn seed" in detail
    history = read_history(market.client, honest.job_id)
    sealed = next(e for e in history.events if isinstance(e, ev.EvidenceSealed))
    late = sealed.model_copy(update={"block_number": revealed.block_number + 1})
    history.events = [late if e is sealed else e for e in history.events]
    history.events.sort(key=lambda e: (e.block_number, e.log_index))
    detail = _failed(audit_job(history, kubo, market=market.client))[
        f"evidence {evidence} of {honest.worker}"
    ]
    assert "its evidence was not sealed before the results were revealed" in detail
    assert verifier == sealed.verifier


def _challenge(m: Market, seat: RealSeat) -> tuple[str, list[str]]:
    """A stranger challenges the seat's pass and a panel is drawn; returns both."""
    challenger = stranger(m)
    m.client.open_dispute(challenger, seat.job_id, seat.worker, "bafy-challenge")
    assert m.client.seat(seat.job_id, seat.worker).state_name == "Challenged"
    m.mine(3)
    m.client.draw_panel(m.artist, seat.job_id, seat.worker)
    members = panel_of(m, seat.job_id, seat.worker)
    assert len(members) == 3 and challenger not in members
    return challenger, members


@pytest.mark.parametrize("upheld", [True, False], ids=["upheld", "rejected"])
def test_a_challenged_pass_shows_on_the_api_and_its_money_is_projected_and_audited(
    chain_api: TestClient, market: Market, kubo: KuboClient, tmp_path: Path, upheld: bool
) -> None:
    m, c = market, market.client
    seat = real_job(m, kubo, tmp_path / "job", m.workers[0])
    verifier, evidence = seat.verify(honest=not upheld)  # a lazy verifier's pass is contradicted
    challenger, members = _challenge(m, seat)
    synced(chain_api, m)
    (shown,) = chain_api.get(f"/api/jobs/{seat.job_id}").json()["seats"]
    assert shown["state"] == "Challenged"
    assert (shown["dispute"]["kind"], shown["dispute"]["appeal"]) == ("challenge", False)
    assert shown["dispute"]["disputer"] == challenger
    # Upheld 2 to 1 (the third member outvoted), or rejected unanimously.
    votes = {x: (k < 2) if upheld else False for k, x in enumerate(members)}
    stake_before = c.account(verifier).stake
    panel_votes(m, seat.job_id, seat.worker, votes)

    events = c.events(job_id=seat.job_id)
    bond = m.config.dispute_bond
    slashes = [
        e for e in events
        if isinstance(e, ev.Slashed) and e.worker == verifier and e.reason == FALSE_ACCUSATION
    ]  # fmt: skip
    (paid,) = [e for e in events if isinstance(e, ev.PanelPaid)]
    if upheld:
        (slash,) = slashes
        assert slash.amount == stake_before * m.config.false_accusation_slash_bps // 10_000
        fee = min(slash.amount, bond)
        gain = bond + slash.amount - fee  # its bond back, the slash less the panel's fee
        assert paid.beneficiary == challenger
        assert c.balance_of(challenger) == gain + paid.remainder
        assert c.seat(seat.job_id, seat.worker).state_name == "Submitted"  # verified again
        assert c.seat(seat.job_id, seat.worker).round == 1
    else:
        assert slashes == [] and paid.beneficiary == verifier
        fee, gain = bond, 0  # the challenger's bond paid the panel
        assert c.balance_of(challenger) == 0
        assert c.seat(seat.job_id, seat.worker).state_name == "Accepted"

    synced(chain_api, m)
    detail = chain_api.get(f"/api/jobs/{seat.job_id}").json()
    (shown,) = detail["seats"]
    dispute = shown["dispute"]
    assert (dispute["kind"], dispute["resolved"], dispute["fraud"]) == ("challenge", True, upheld)
    assert dispute["pay"]["beneficiary"] == (challenger if upheld else verifier)
    if upheld:
        assert shown["state"] == "Submitted" and shown["verification"]["round"] == 1
        assert shown["verification"]["verifier"] is None
        assert shown["verification"]["passed"] is None  # the overturned verdict is cleared
        assert shown["results_cid"] == seat.results_cid  # revealed once, public since
    else:
        assert shown["state"] == "Accepted" and shown["verification"]["passed"] is True
    ledger = chain_api.get(f"/api/ledger/{seat.job_id}").json()
    assert ledger["balanced"], ledger
    assert int(ledger["to_challengers"]) == gain + (paid.remainder if upheld else 0)
    credits = {
        (e["party"], e["role"], e["reason"]) for e in detail["payments"] if e["direction"] == "out"
    }
    if upheld:
        assert (challenger, "challenger", "challenge_reward") in credits
        assert (challenger, "challenger", "dispute_bond_return") in credits
        assert verifier not in {party for party, _, _ in credits}  # no fee, no share
    else:
        assert (verifier, "verifier", "panel_remainder") in credits or paid.remainder == 0
    assert_api_matches_chain(chain_api, m)

    # The indexer: every view equals the contract's; each party's credits sum to its balance.
    db = Database(f"sqlite:///{tmp_path / 'index.db'}")
    Indexer(db, c, m.start_block).sync()
    assert_matches_chain(m, db)
    with db.session() as s:
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.job_id == seat.job_id)).all()
    credited: dict[str, int] = {}
    for entry in entries:
        if entry.direction == "out":
            credited[entry.party] = credited.get(entry.party, 0) + entry.amount
    for who in {*credited, *members, challenger, verifier, seat.worker, m.artist}:
        assert credited.get(who, 0) == c.balance_of(who), who

    # The auditor: the money by the rules, the panel's pay, each vote against the evidence.
    history = read_history(c, seat.job_id)
    _, money_checks = job_money(history)
    assert all(x.ok for x in money_checks), money_checks
    (pay_check,) = panel_pay_checks(history)
    assert pay_check.ok, pay_check.detail
    report = audit_job(history, kubo, market=c)
    attested = _check(report, f"evidence {evidence} of {seat.worker}")
    vote_names = [f"vote of {x} on the challenge of {seat.worker}'s pass" for x in members]
    if upheld:
        assert "contradicts its own evidence" in attested and "overturned by an upheld" in attested
        # The member that voted "not contradicted" voted against what anyone can recompute.
        assert list(_failed(report)) == [vote_names[2]]
        assert "voted not contradicted" in _failed(report)[vote_names[2]]
        for name in vote_names[:2]:
            assert "voted contradicted" in _check(report, name)
        # The seat is verified again, by an honest verifier this time, and paid.
        stake_all(m)
        _, again = seat.verify(honest=True)
        m.advance(m.client.job(seat.job_id).verify_window + 1)
        c.release(m.artist, seat.job_id, seat.worker)
        report = audit_job(read_history(c, seat.job_id), kubo, market=c)
        assert list(_failed(report)) == [vote_names[2]]
        assert "all 4 patches match" in _check(report, f"evidence {again} of {seat.worker}")
    else:
        assert report.ok, _failed(report)
        for name in vote_names:
            assert "voted not contradicted" in _check(report, name)
        m.advance(m.client.job(seat.job_id).verify_window + 1)  # the fresh contest window
        c.release(m.artist, seat.job_id, seat.worker)
    assert c.job(seat.job_id).status_name == "Completed"
    histories = read_histories(c)
    balances = {who: c.balance_of(who) for who in m.accounts}  # the new round's verifier too
    unattached = [e for e in c.events() if not hasattr(e, "job_id")]
    assert check_credits(histories, unattached, balances).mismatches == []
    assert solvency(c, histories).ok
    synced(chain_api, m)
    assert_api_matches_chain(chain_api, m)
    assert chain_api.get(f"/api/ledger/{seat.job_id}").json()["held"] == "0"


def test_a_seat_the_artist_accepts_before_the_reveal_leaves_its_tiles_missing_from_the_frame(
    chain_api: TestClient, market: Market, kubo: KuboClient, tmp_path: Path
) -> None:
    """Frames are stitched from revealed results only: the tiles of a seat the artist paid while
    they were still hidden are never delivered, so once the job has ended its frame is assembled
    with them transparent and listed as missing, and the job's live stream ends."""
    seat = real_job(market, kubo, tmp_path / "job", market.workers[0])
    verifier = draw(market, seat.job_id, seat.worker)
    seal(market, seat.job_id, seat.worker, verifier, seat.evidence("0x" + "00" * 32))
    market.client.accept_results(market.artist, seat.job_id, seat.worker)  # before the reveal
    assert market.client.job(seat.job_id).status_name == "Completed"
    synced(chain_api, market)
    services = chain_api.app.state.services  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while True:  # until the server's assembler has stored the frame
        with services.db.session() as s:
            stored = s.get(AssembledFrame, (seat.job_id, 1))
            if stored is not None and stored.status == "assembled":
                assert frames_due(s, seat.job_id, services.manifests) == 0
                break
        assert time.monotonic() < deadline, "the assembler never stored the frame"
        time.sleep(0.1)
    (frame,) = chain_api.get(f"/api/jobs/{seat.job_id}/frames").json()["frames"]
    assert frame["status"] == "assembled"
    assert frame["missing_tiles"] == list(range(len(seat.manifest.tiles())))
    stream = chain_api.get(f"/api/jobs/{seat.job_id}/events/stream")  # ends: nothing is due
    assert stream.status_code == 200 and "event: end" in stream.text


def test_tiles_the_worker_stops_serving_after_its_pass_do_not_make_the_pass_contradicted(
    market: Market, kubo: KuboClient, tmp_path: Path
) -> None:
    """A worker (with a challenger of its own) must not be able to get an honest verifier slashed
    by no longer serving its results after the pass: only readable tiles that the evidence's
    patches differ from, or unusable evidence, contradict a pass."""
    seat = real_job(market, kubo, tmp_path / "job", market.workers[0])
    # The list named on chain is one nobody serves (its CID is computed, never added).
    seat.results_cid = cid_of_bytes(canonical_json(seat.results.model_dump(mode="json")) + b" ")
    verifier, evidence = seat.verify(honest=True)
    recheck = recheck_pass(
        market.client, kubo, seat.job_id, seat.worker, verifier, evidence, tmp_path / "recheck"
    )
    assert not recheck.passed and recheck.evidence_ok
    assert "the results list is unusable" in recheck.reason
    assert not recheck.contradicted

    # Readable tiles with patches that differ from them do contradict a pass.
    lazy = real_job(market, kubo, tmp_path / "lazy", market.workers[1])
    liar, grey = lazy.verify(honest=False)
    recheck = recheck_pass(
        market.client, kubo, lazy.job_id, lazy.worker, liar, grey, tmp_path / "recheck-lazy"
    )
    assert recheck.evidence_ok and recheck.contradicted
