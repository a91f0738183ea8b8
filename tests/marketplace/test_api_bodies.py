"""The read API's bodies from rows as the indexer stores them, without a chain or IPFS: wei
amounts are decimal strings without the database's zero padding, however large, and every body
has the fields the page reads."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from marketplace.api.routes.workers import LATEST
from marketplace.api.schemas import JobSummary
from marketplace.app import create_app
from marketplace.db.chain_models import (
    WEI_DIGITS,
    AccountView,
    ChainEvent,
    DisputeView,
    IndexerCursor,
    JobView,
    LedgerEntry,
)
from marketplace.settings import MarketplaceSettings
from tests.marketplace.rows import (
    ARTIST,
    BIG,
    MARKET,
    MEMBERS,
    ROOT,
    SEED,
    VERIFIER,
    WORKER,
    job_row,
    seat_row,
)


def _event(block: int, name: str, job: int, actor: str, args: dict[str, Any]) -> ChainEvent:
    return ChainEvent(
        block_number=block, log_index=0, tx_hash="0x" + f"{block:02x}" * 32,
        block_hash="0x" + "bb" * 32, timestamp=1_700_000_000 + block, name=name, job_id=job,
        actor=actor, args=args,
    )  # fmt: skip


def _entry(
    block: int, direction: str, party: str, role: str, reason: str, amount: int
) -> LedgerEntry:
    return LedgerEntry(
        job_id=1, round_id=1, block_number=block, log_index=0, direction=direction, party=party,
        role=role, reason=reason, amount=amount,
    )  # fmt: skip


def _rows() -> list[object]:
    """A completed job 1 with a re-offer round 2, a paid seat, a forfeited bid, a resolved
    dispute, and job 3 still bidding."""
    return [
        job_row(1, latest=2),
        job_row(2, root=1, round=1, tile_count=2, deposit=0, unsold=[], offered=[[6, 2]]),
        job_row(3, status="Bidding", escrow=BIG, deposit=BIG, unsold=[]),
        seat_row(1, WORKER, "Paid"),
        seat_row(
            1,
            VERIFIER,
            "Forfeited",
            slashed=BIG,
            commitment="0x" + "0f" * 32,
            merkle_root=None,
            results_cid=None,
            seed=None,
            evidence_seal=None,
            passed=None,
            attested_by=None,
            verifier=None,
            evidence_cid=None,
            payment=0,
            verifier_fee=0,
            tile_count=0,
            bid_tiles=0,
            committed_block=11,
        ),
        seat_row(2, WORKER, "Paid", first_tile=6, tile_count=2, payment=2 * 10**14),
        DisputeView(
            job_id=1,
            worker=WORKER,
            disputer=ARTIST,
            kind="contest",
            appeal=False,
            bond=BIG,
            reason_cid="bafy-reason",
            anchor_block=30,
            deadline=800,
            members=MEMBERS,
            votes={MEMBERS[0]: False},
            committed_mask=0b011,
            resolved=True,
            fraud=False,
            fee_each=10**12,
            bonds_each=0,
            remainder=1,
            beneficiary=WORKER,
            forfeited=BIG,
            to_treasury=0,
        ),
        AccountView(
            address=WORKER,
            stake=BIG,
            unstaking=0,
            balance=10**18,
            unlock_at=0,
            account_id=1,
            tiles_accepted=8,
            tiles_rejected=0,
            timeouts=0,
            slashes=0,
            withdrawn=0,
            earned=8 * 10**14,
        ),
        AccountView(
            address=VERIFIER,
            stake=0,
            unstaking=BIG,
            balance=0,
            unlock_at=9,
            account_id=2,
            withdrawn=BIG,
            earned=BIG,
        ),
        _event(5, "JobPosted", 1, ARTIST, {"job_id": 1}),
        _event(
            12,
            "TilesAssigned",
            1,
            WORKER,
            {"worker": WORKER, "price_per_tile": 10**14, "tile_count": 6},
        ),
        _event(
            13,
            "TilesAssigned",
            2,
            WORKER,
            {"worker": WORKER, "price_per_tile": 3 * 10**14, "tile_count": 2},
        ),
        _entry(5, "in", ARTIST, "artist", "deposit", 123),
        _entry(6, "in", VERIFIER, "bidder", "bid_bond", BIG),
        _entry(30, "out", ARTIST, "artist", "forfeited_collateral", BIG),
        _entry(31, "out", WORKER, "worker", "payment", 123),
    ]


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The server on a database holding `_rows()`; no chain, no IPFS."""
    settings = MarketplaceSettings(
        state_dir=tmp_path, deployments_file=None, frontend_dir=tmp_path / "no-page",
        ipfs_api_url="http://127.0.0.1:9", rpc_url="http://127.0.0.1:9",
        database_url=database_url,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        db = client.app.state.services.db  # type: ignore[attr-defined]
        with db.session() as session:
            session.add_all(_rows())
        yield client


def _is_wei(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and (value == "0" or value[0] != "0")


def _wei_fields(body: object, names: set[str]) -> list[object]:
    """Every value under a key in `names`, anywhere in `body` but an event's own arguments."""
    found: list[object] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "args":
                continue
            if key in names and not isinstance(value, dict | list):
                found.append(value)
            found += _wei_fields(value, names)
    elif isinstance(body, list):
        for value in body:
            found += _wei_fields(value, names)
    return found


# The wei fields of the bodies below (`None` where the value is null: an unrevealed bid's price).
WEI = {
    "max_price_per_tile", "verify_fee_per_tile", "deposit", "escrow", "reserve",
    "next_max_price_per_tile", "fees_due", "bid_bond", "collateral", "price_per_tile",
    "forfeited", "payment", "verifier_fee", "slashed", "bond", "fee_each", "bonds_each",
    "remainder", "to_treasury", "amount", "paid", "stake", "unstaking", "balance", "earned",
    "withdrawn", "fee", "paid_in", "paid_out", "held", "median_price_per_tile", "render_cost",
    "protocol_fee", "verification_budget", "protocol_fee_per_tile",
}  # fmt: skip


def test_the_database_pads_wei_and_the_api_does_not(api: TestClient) -> None:
    db = api.app.state.services.db  # type: ignore[attr-defined]
    with db.session() as session:
        stored = session.execute(text("SELECT deposit FROM jobs WHERE job_id = 1")).scalar_one()
    assert stored == "123".zfill(WEI_DIGITS)
    assert api.get("/api/jobs/1").json()["deposit"] == "123"
    assert api.get("/api/jobs/3").json()["escrow"] == str(BIG)


def test_a_padded_decimal_string_is_read_as_its_amount() -> None:
    job = JobSummary.model_validate({**api_job(), "deposit": "000123", "escrow": "0" * WEI_DIGITS})
    assert (job.deposit, job.escrow) == (123, 0)
    assert job.model_dump(mode="json")["deposit"] == "123"
    assert job.model_dump(mode="json")["escrow"] == "0"


def api_job() -> dict[str, Any]:
    return {
        "job_id": 1, "artist": ARTIST, "manifest_cid": "bafy", "status": "Bidding",
        "tile_count": 1, "frame_count": 1, "max_price_per_tile": 1, "verify_fee_per_tile": 0,
        "deposit": 0, "escrow": 0, "open_seats": 0, "bid_end": 0, "reveal_end": 0,
        "render_deadline": 0, "posted_block": 0, "posted_at": 0, "updated_block": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "/api/jobs",
        "/api/jobs?rounds=true",
        "/api/jobs/1",
        "/api/jobs/2",
        "/api/jobs/3",
        "/api/jobs/1/status",
        "/api/workers",
        f"/api/workers/{WORKER}",
        f"/api/workers/{VERIFIER}",
        "/api/ledger",
        "/api/ledger/1",
        "/api/ledger/2",
        "/api/prices",
        "/api/prices/estimate?tiles=10",
    ],
)
def test_every_wei_amount_is_an_unpadded_decimal_string(api: TestClient, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    names = {*WEI, "total"} if path.startswith("/api/prices/estimate") else WEI  # else a count
    amounts = [v for v in _wei_fields(body, names) if v is not None]
    assert amounts and all(_is_wei(v) for v in amounts), amounts


def test_job_detail_shows_rows_as_stored(api: TestClient) -> None:
    job = api.get("/api/jobs/1").json()
    assert job["max_price_per_tile"] == str(BIG) and job["deposit"] == "123"
    assert job["unsold"] == [[6, 2]] and job["offered"] == []
    assert job["rounds"] == [
        {"round_id": 2, "round": 1, "status": "Completed", "tiles": 2,
         "max_price_per_tile": str(BIG), "paid": str(2 * 10**14), "tiles_paid": 2},
    ]  # fmt: skip
    paid, forfeited = job["bids"]
    assert paid == {
        "bidder": WORKER, "commitment": "0x" + "c0" * 32, "committed_block": 10,
        "declared_tiles": 6, "collateral": str(6 * BIG), "revealed": True,
        "price_per_tile": str(10**14), "tile_count": 6, "outcome": "Paid", "forfeited": "0",
    }  # fmt: skip
    assert (forfeited["revealed"], forfeited["price_per_tile"], forfeited["tile_count"]) == (
        False, None, None,
    )  # fmt: skip
    assert forfeited["forfeited"] == str(BIG)
    (seat,) = job["seats"]
    assert seat["last_tile"] == 5 and seat["merkle_root"] == ROOT
    assert seat["verification"] == {
        "verifier": VERIFIER, "round": 1, "anchor_block": 20, "seed": SEED,
        "evidence_seal": "0x" + "e5" * 32, "attested_by": VERIFIER, "passed": True,
        "evidence_cid": "bafy-evidence", "deadline": 700,
    }  # fmt: skip
    dispute = seat["dispute"]
    assert dispute["panel"] == MEMBERS and dispute["committed"] == MEMBERS[:2]
    assert [m["state"] for m in dispute["members"]] == ["revealed", "silent", "silent"]
    assert dispute["pay"] == {
        "beneficiary": WORKER, "fee_each": str(10**12), "bonds_each": "0", "remainder": "1",
        "forfeited": str(BIG), "to_treasury": "0",
    }  # fmt: skip
    assert [p["amount"] for p in job["payments"]] == ["123", str(BIG), str(BIG), "123"]
    assert [e["name"] for e in job["events"]] == ["JobPosted", "TilesAssigned"]


def test_pages_say_where_the_next_one_starts(api: TestClient) -> None:
    first = api.get("/api/jobs", params={"rounds": True, "limit": 2}).json()
    assert [j["job_id"] for j in first["items"]] == [3, 2]
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (3, 2, 0, 2)
    last = api.get("/api/jobs", params={"rounds": True, "limit": 2, "offset": 2}).json()
    assert [j["job_id"] for j in last["items"]] == [1] and last["next_offset"] is None
    events = api.get("/api/events", params={"limit": 1, "offset": 1}).json()
    assert [e["block_number"] for e in events["items"]] == [12] and events["next_offset"] == 2
    ledger = api.get("/api/ledger", params={"limit": 1}).json()
    assert [j["job_id"] for j in ledger["items"]] == [1] and ledger["next_offset"] == 1
    workers = api.get("/api/workers").json()
    assert [w["address"] for w in workers["items"]] == [WORKER] and workers["total"] == 1


def test_ledger_totals_and_csv(api: TestClient) -> None:
    ledger = api.get("/api/ledger").json()
    assert (ledger["paid_in"], ledger["paid_out"]) == (str(123 + BIG), str(BIG + 123))
    assert ledger["held"] == "0"
    rows = list(csv.DictReader(io.StringIO(api.get("/api/ledger?format=csv").text)))
    assert [(r["job_id"], r["paid_in"], r["forfeits"]) for r in rows] == [
        ("1", str(123 + BIG), str(BIG)),
        ("3", "0", "0"),
    ]
    detail = api.get("/api/ledger/2").json()  # a round's id: its posted job's ledger
    assert detail["job_id"] == 1 and detail["rounds"] == 1
    assert [e["amount"] for e in detail["entries"]] == ["123", str(BIG), str(BIG), "123"]


def test_worker_bodies(api: TestClient) -> None:
    worker = api.get(f"/api/workers/{WORKER}").json()
    assert worker["stake"] == str(BIG) and worker["eligible"] is True
    assert [(j["job_id"], j["tile_count"], j["payment"]) for j in worker["jobs"]] == [
        (2, 2, str(2 * 10**14)),
        (1, 6, str(6 * 10**14)),
    ]  # newest first
    assert (worker["jobs_total"], worker["verifications_total"]) == (2, 0)
    assert [h["name"] for h in worker["history"]] == ["TilesAssigned", "TilesAssigned"]
    verifier = api.get(f"/api/workers/{VERIFIER}").json()
    assert verifier["eligible"] is False and verifier["unstaking"] == str(BIG)
    assert [(v["job_id"], v["worker"], v["fee"]) for v in verifier["verifications"]] == [
        (2, WORKER, str(6 * 10**13)),
        (1, WORKER, str(6 * 10**13)),
    ]
    assert verifier["verifications_total"] == 2
    prices = api.get("/api/prices").json()
    assert prices["median_price_per_tile"] == str(10**14) and prices["tiles"] == 8
    status = api.get("/api/jobs/3/status").json()
    assert status["escrow"] == str(BIG) and status["tiles_assigned"] == 0


def _indexed(api: TestClient, next_block: int, block_hash: str, *rows: object) -> None:
    """Store `rows` and move the indexer's cursor in one transaction, as the indexer commits."""
    db = api.app.state.services.db  # type: ignore[attr-defined]
    with db.session() as session:
        session.add_all(rows)
        cursor = session.get(IndexerCursor, MARKET)
        recent = [{"number": next_block - 1, "hash": block_hash}]
        if cursor is None:
            session.add(IndexerCursor(market=MARKET, next_block=next_block, recent=recent, head=0))
        else:
            cursor.next_block, cursor.recent = next_block, recent


def test_a_listing_is_written_once_per_index_version_and_anew_once_the_index_moves(
    api: TestClient,
) -> None:
    _indexed(api, 41, "0x" + "01" * 32)
    first = api.get("/api/jobs")
    assert [j["job_id"] for j in first.json()["items"]] == [3, 1]
    db = api.app.state.services.db  # type: ignore[attr-defined]
    with db.session() as session:  # a row stored without the cursor moving
        session.add(job_row(4, status="Bidding", unsold=[]))
    assert api.get("/api/jobs").content == first.content  # kept: the index did not move
    _indexed(api, 42, "0x" + "02" * 32)
    assert [j["job_id"] for j in api.get("/api/jobs").json()["items"]] == [4, 3, 1]
    # A reorganisation back to the same height: another block hash, other rows.
    with db.session() as session:
        session.get(JobView, 4).status = "Cancelled"
    _indexed(api, 42, "0x" + "03" * 32)
    assert api.get("/api/jobs").json()["items"][0]["status"] == "Cancelled"
    bodies = api.app.state.services.bodies  # type: ignore[attr-defined]
    assert bodies.hits >= 1 and bodies.misses >= 3


def test_an_unknown_job_is_a_404_every_time_and_each_route_body_is_kept_by_its_query(
    api: TestClient,
) -> None:
    _indexed(api, 41, "0x" + "01" * 32)
    for _ in range(2):
        answer = api.get("/api/jobs/999")
        assert answer.status_code == 404 and "999" in answer.json()["error"]["message"]
    assert api.get("/api/jobs?limit=1").json()["items"][0]["job_id"] == 3
    assert api.get("/api/jobs?limit=1&offset=1").json()["items"][0]["job_id"] == 1
    assert api.get("/api/jobs/1").json()["job_id"] == 1
    assert api.get("/api/jobs/3").json()["job_id"] == 3


def test_kept_bodies_stay_within_their_byte_budget(api: TestClient) -> None:
    _indexed(api, 41, "0x" + "01" * 32)
    bodies = api.app.state.services.bodies  # type: ignore[attr-defined]
    bodies.max_bytes = len(api.get("/api/jobs/1").content) + 100
    long_query = "/api/jobs/1?padding=" + "x" * 4000  # the client's to make long
    for path in ("/api/jobs", "/api/jobs/1", "/api/jobs/3", "/api/workers", long_query):
        assert api.get(path).status_code == 200
        assert bodies.kept_bytes <= bodies.max_bytes


def test_a_busy_workers_page_lists_its_latest_jobs_and_says_how_many_it_has_in_all(
    api: TestClient,
) -> None:
    busy = LATEST + 5
    first = 100  # after the rows every test has
    jobs = [job_row(job_id) for job_id in range(first, first + busy)]
    seats = [
        seat_row(job_id, WORKER, "Paid", committed_block=job_id)
        for job_id in range(first, first + busy)
    ]
    _indexed(api, 41, "0x" + "01" * 32, *jobs, *seats)
    worker = api.get(f"/api/workers/{WORKER}").json()
    assert worker["jobs_total"] == busy + 2
    newest = first + busy - 1
    assert [j["job_id"] for j in worker["jobs"]] == list(range(newest, newest - LATEST, -1))
    verifier = api.get(f"/api/workers/{VERIFIER}").json()
    assert verifier["verifications_total"] == busy + 2 and len(verifier["verifications"]) == LATEST
