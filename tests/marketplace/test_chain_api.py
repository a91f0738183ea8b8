"""The read API over a real market on the devnet: jobs, workers, prices, ledger, events and the
live stream show what the contract holds, and bad input gets a 4xx with a reason."""

import csv
import io
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.db.frame_models import AssembledFrame, AssemblyJob
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import (
    RENDER_WINDOW,
    VERIFY_WINDOW,
    Bid,
    Market,
    attest,
    auction,
    commit_results,
    draw,
    panel_of,
    panel_votes,
    params,
    random_history,
    stake_all,
)
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.chain.records import JOB_STATUSES, SEAT_STATES
from tilefarm.hardware_codes import backend_name
from tilefarm.manifest import build_manifest
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]

SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _client(
    devnet: StackStatus, state: Path, market: Market, database_url: str | None = None
) -> TestClient:
    settings = server_settings(
        devnet, state, deployments_file=market.deployments_file, poll_interval=0.05,
        database_url=database_url,
    )  # fmt: skip
    return TestClient(create_app(settings))


@pytest.fixture
def chain_api(
    devnet: StackStatus, tmp_path: Path, market: Market, database_url: str
) -> Iterator[TestClient]:
    """The server following `market`, with its own database (`database_url`)."""
    with _client(devnet, tmp_path / "server", market, database_url) as client:
        yield client


def synced(api: TestClient, market: Market, timeout: float = 15.0) -> None:
    """Wait until the server's indexer has applied the chain's head."""
    head = market.head()
    deadline = time.monotonic() + timeout
    while True:
        status = api.get("/api/indexer").json()
        if status["next_block"] > head:
            return
        assert time.monotonic() < deadline, f"indexer stuck: {status}, head {head}"
        time.sleep(0.05)


def assert_api_matches_chain(api: TestClient, market: Market) -> None:
    """Every job and round, seat, worker balance and ledger the API shows equals the contract's
    state; the job list shows posted jobs only, unless asked for rounds too."""
    c = market.client
    listed = api.get("/api/jobs", params={"limit": 500, "rounds": True}).json()
    assert listed["total"] == c.job_count()
    posted = [item["job_id"] for item in listed["items"] if item["root"] == 0]
    default = api.get("/api/jobs", params={"limit": 500}).json()
    assert [item["job_id"] for item in default["items"]] == posted
    for item in listed["items"]:
        job_id = item["job_id"]
        detail = api.get(f"/api/jobs/{job_id}").json()
        chain = c.job(job_id)
        assert detail["status"] == JOB_STATUSES[chain.status]
        assert int(detail["escrow"]) == chain.escrow
        assert int(detail["fees_due"]) == chain.fees_due
        assert (detail["open_seats"], detail["commits"], detail["reveals"]) == (
            chain.open_seats,
            chain.commits,
            chain.reveals,
        )
        assert (detail["root"], detail["round"], detail["latest"], detail["open_rounds"]) == (
            chain.root,
            chain.round,
            chain.latest,
            chain.open_rounds,
        )
        reoffer = c.reoffer_of(job_id)
        assert (detail["rounds_left"], detail["final_deadline"]) == (
            reoffer.rounds_left,
            reoffer.final_deadline,
        )
        assert int(detail["reserve"]) == reoffer.reserve
        assert int(detail["next_max_price_per_tile"]) == reoffer.max_price_per_tile
        assert [tuple(r) for r in detail["unsold"]] == c.unsold_tiles(job_id)
        assert [tuple(r) for r in detail["offered"]] == c.offered_tiles(job_id)
        rounds = [r for r in listed["items"] if r["root"] == job_id]
        assert [(r["round_id"], r["round"], r["status"], r["tiles"]) for r in detail["rounds"]] == [
            (r["job_id"], r["round"], r["status"], r["tile_count"]) for r in rounds[::-1]
        ]
        for r in detail["rounds"]:
            paid = [c.seat(r["round_id"], w) for w in market.workers]
            paid = [s for s in paid if s.state_name == "Paid"]
            assert int(r["paid"]) == sum(s.tile_count * s.price_per_tile for s in paid)
            assert r["tiles_paid"] == sum(s.tile_count for s in paid)
        for bid in detail["bids"]:
            seat = c.seat(job_id, bid["bidder"])
            assert bid["outcome"] == SEAT_STATES[seat.state]
        for seat_view in detail["seats"]:
            seat = c.seat(job_id, seat_view["worker"])
            assert seat_view["state"] == SEAT_STATES[seat.state]
            assert (seat_view["first_tile"], seat_view["tile_count"]) == (
                seat.first_tile,
                seat.tile_count,
            )
            assert seat_view["verification"]["verifier"] == c.verifier_of(
                job_id, seat_view["worker"]
            )
        names = [e["name"] for e in detail["events"]]
        assert names == [type(e).__name__ for e in c.events(job_id=job_id)]
        assert all(p["round_id"] == job_id for p in detail["payments"])
        status = api.get(f"/api/jobs/{job_id}/status").json()
        assert status["status"] == detail["status"]
        ledger = api.get(f"/api/ledger/{job_id}").json()
        assert ledger["balanced"], ledger
        assert ledger["job_id"] == (chain.root or job_id)  # a round's money: its posted job's
        if chain.root:
            continue
        assert 0 < int(ledger["refunded"]) <= int(ledger["to_artist"]) or detail["status"] in (
            "Bidding",
            "Active",
        )
        if detail["status"] in ("Completed", "Expired"):
            assert ledger["held"] == "0"
    # The workers list is the accounts eligible now, by account id.
    workers = api.get("/api/workers", params={"limit": 500}).json()["items"]
    min_stake = c.config().min_stake
    eligible = [a for a in market.accounts if c.account(a).stake >= min_stake]
    assert sorted(w["address"] for w in workers) == sorted(eligible)
    assert [w["account_id"] for w in workers] == sorted(c.account(a).account_id for a in eligible)
    stakes = balances = 0
    for address in market.accounts:  # every party, whoever drew a verifier for its bounty too
        response = api.get(f"/api/workers/{address}")
        if response.status_code == 404:
            assert c.balance_of(address) == 0 and c.account(address).stake == 0
            continue
        view = response.json()
        account = c.account(address)
        assert int(view["balance"]) == c.balance_of(address)
        assert int(view["stake"]) == account.stake
        assert int(view["unstaking"]) == account.unstaking
        assert view["account_id"] == account.account_id
        assert (view["tiles_accepted"], view["tiles_rejected"], view["timeouts"]) == (
            account.tiles_accepted,
            account.tiles_rejected,
            account.timeouts,
        )
        assert view["slashes"] == account.slashes
        assert (view["backend"], view["vram_mib"]) == (
            backend_name(account.backend),
            account.vram_mib,
        )
        stakes += account.stake + account.unstaking
        balances += account.balance
    # The market's whole books: what came in and was not paid out is what the contract holds
    # for jobs (its ETH balance less stakes and withdrawable balances).
    totals = api.get("/api/ledger").json()
    held = market.w3.eth.get_balance(c.contract.address) - stakes - balances
    assert int(totals["held"]) == held


@pytest.mark.parametrize("seed", [11, 3])
def test_api_equals_the_contract_after_random_histories(
    chain_api: TestClient, market: Market, seed: int
) -> None:
    random_history(market, random.Random(seed), jobs=3)
    synced(chain_api, market)
    assert_api_matches_chain(chain_api, market)


def test_server_restart_in_the_middle_loses_and_doubles_nothing(
    devnet: StackStatus, tmp_path: Path, market: Market
) -> None:
    rng = random.Random(5)
    state = tmp_path / "server"
    with _client(devnet, state, market) as api:
        random_history(market, rng, jobs=2)
        synced(api, market)
    # The server is down while the market moves on; then it catches up from its cursor.
    random_history(market, rng, jobs=2)
    with _client(devnet, state, market) as api:
        synced(api, market)
        assert_api_matches_chain(api, market)
        events = api.get("/api/events", params={"limit": 500}).json()
        assert events["total"] == len(market.client.events(from_block=market.start_block))
        positions = [(e["block_number"], e["log_index"]) for e in events["items"]]
        assert positions == sorted(set(positions))


def test_cancelled_expired_and_contested_jobs_are_indexed(
    chain_api: TestClient, market: Market
) -> None:
    stake_all(market)
    c = market.client
    a, b = market.workers[:2]
    # Cancelled with a sealed bid outstanding, then the bond reclaimed.
    job_id, _ = c.post_job(market.artist, _params(), "bafy-cancelled")
    bid = Bid(a, 10**14, 2)
    c.commit_bid(a, job_id, bid_commitment(job_id, a, bid.price, bid.tiles, bid.salt), bid.tiles)
    c.cancel_job(market.artist, job_id)
    synced(chain_api, market)
    assert chain_api.get(f"/api/ledger/{job_id}").json()["held"] == str(10**16)
    c.reclaim_bond(a, job_id)
    # Expired: the only bid is never revealed, its bond goes to the artist, and the artist
    # takes the collateral it locked.
    expired = auction(market, [Bid(b, 10**14, 2)], reveal=[])
    c.forfeit_bid(market.artist, expired, b)
    # Contested: the artist disputes a passed result; a panel decides.
    contested = auction(market, [Bid(a, 2 * 10**14, 8)])
    commit_results(market, contested, a)
    verifier = draw(market, contested, a)
    attest(market, contested, a, verifier, True, "bafy-pass")
    c.open_dispute(market.artist, contested, a, "bafy-contest")
    market.mine(3)
    c.draw_panel(market.artist, contested, a)
    panel_votes(market, contested, a, dict.fromkeys(panel_of(market, contested, a), True))
    # Late: a winner never commits and is slashed. (The overruled verifier of the contest, b
    # perhaps, was slashed below the minimum stake: top it up.)
    stake_all(market)
    late = auction(market, [Bid(b, 10**14, 8)])
    market.advance(RENDER_WINDOW + 1)
    c.claim_late(market.artist, late, b)
    synced(chain_api, market)
    assert_api_matches_chain(chain_api, market)
    statuses = {j["job_id"]: j["status"] for j in chain_api.get("/api/jobs").json()["items"]}
    assert statuses == {
        job_id: "Cancelled",
        expired: "Expired",
        contested: "Completed",
        late: "Completed",
    }
    (forfeited,) = chain_api.get(f"/api/jobs/{expired}").json()["bids"]
    collateral = str(market.config.collateral(2, params().max_price_per_tile))
    assert (forfeited["outcome"], forfeited["revealed"], forfeited["declared_tiles"]) == (
        "Forfeited",
        False,
        2,
    )
    assert forfeited["collateral"] == forfeited["forfeited"] == collateral
    assert chain_api.get(f"/api/ledger/{expired}").json()["forfeits"] == collateral
    seat = chain_api.get(f"/api/jobs/{contested}").json()["seats"][0]
    assert seat["state"] == "Rejected"
    assert seat["dispute"]["fraud"] is True and seat["dispute"]["appeal"] is False
    # Every member sealed, then revealed fraud; the panel was paid, what was left to the artist.
    dispute = seat["dispute"]
    assert dispute["committed"] == dispute["panel"] and len(dispute["panel"]) == 3
    assert [(p["state"], p["fraud"]) for p in dispute["members"]] == [("revealed", True)] * 3
    assert dispute["pay"]["beneficiary"] == market.artist and int(dispute["pay"]["fee_each"]) > 0


def _params() -> JobParams:
    return params()


def test_job_list_filters_and_pages(chain_api: TestClient, market: Market) -> None:
    stake_all(market)
    c = market.client
    for _ in range(3):
        c.post_job(market.artist, _params(), "bafy-a")
    other = market.workers[0]
    c.post_job(other, _params(), "bafy-b")
    first = c.job_count() - 3
    c.cancel_job(market.artist, first)
    synced(chain_api, market)
    page = chain_api.get("/api/jobs", params={"limit": 2}).json()
    assert [j["job_id"] for j in page["items"]] == [first + 3, first + 2]
    assert page["total"] == 4 and page["next_offset"] == 2
    last = chain_api.get("/api/jobs", params={"limit": 2, "offset": 2}).json()
    assert [j["job_id"] for j in last["items"]] == [first + 1, first]
    assert last["next_offset"] is None
    by_artist = chain_api.get("/api/jobs", params={"artist": other.lower()}).json()
    assert [j["job_id"] for j in by_artist["items"]] == [first + 3]
    cancelled = chain_api.get("/api/jobs", params={"status": "Cancelled"}).json()
    assert [j["job_id"] for j in cancelled["items"]] == [first]
    events = chain_api.get("/api/events", params={"name": "JobCancelled"}).json()
    assert [e["job_id"] for e in events["items"]] == [first]
    timeline = chain_api.get(f"/api/jobs/{first}/events").json()
    assert [e["name"] for e in timeline["items"]] == ["JobPosted", "JobCancelled"]
    # A job still bidding: `follow=false` sends what is indexed and closes at once.
    snapshot = chain_api.get(f"/api/jobs/{first + 1}/events/stream", params={"follow": False})
    assert _event_names(snapshot.text) == ["JobPosted", "end"]
    assert '"status": "Bidding"' in snapshot.text
    indexer = chain_api.get("/api/indexer").json()
    assert indexer["enabled"] and indexer["lag_blocks"] == 0 and indexer["error"] is None
    assert indexer["market"] == market.client.address


def test_prices_estimate_and_ledger_csv(chain_api: TestClient, market: Market) -> None:
    stake_all(market)
    a, b = market.workers[:2]
    auction(market, [Bid(a, 3 * 10**14, 3), Bid(b, 5 * 10**14, 8)], tiles=8)
    synced(chain_api, market)
    prices = chain_api.get("/api/prices").json()
    assert sorted(int(p["price_per_tile"]) for p in prices["items"]) == [3 * 10**14, 5 * 10**14]
    assert prices["median_price_per_tile"] == str(5 * 10**14)  # 5 of the 8 tiles sold at 5e14
    estimate = chain_api.get("/api/prices/estimate", params={"tiles": 10}).json()
    quote = market.client.quote(10, 5 * 10**14, 10**13)
    assert int(estimate["total"]) == quote
    assert int(estimate["verification_budget"]) == 10 * 10**13
    # A manifest stored here: 2 frames of a 4x2 grid is 16 tiles.
    manifest = build_manifest(
        scene_cid=SCENE_CID,
        frames=[1, 2],
        resolution={"width": 64, "height": 32},
        tile_grid={"columns": 4, "rows": 2},
        samples=4,
    )
    services = chain_api.app.state.services  # type: ignore[attr-defined]
    services.manifests.add(manifest.cid(), manifest)
    by_manifest = chain_api.get(
        "/api/prices/estimate", params={"manifest_cid": manifest.cid(), "verify_fee_per_tile": 0}
    ).json()
    assert by_manifest["tile_count"] == 16
    assert int(by_manifest["total"]) == market.client.quote(16, 5 * 10**14, 0)
    csv_text = chain_api.get("/api/ledger", params={"format": "csv"})
    assert csv_text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_text.text)))
    assert len(rows) == 1 and rows[0]["balanced"] == "True"
    assert int(rows[0]["paid_in"]) == int(rows[0]["paid_out"]) + int(rows[0]["held"])


class _Listener:
    """Reads a job's live stream in a thread, chunk by chunk as the server sends it."""

    def __init__(self, api: TestClient, job_id: int) -> None:
        self.text = ""
        self.status = 0
        self.thread = threading.Thread(target=self._listen, args=(api, job_id))
        self.thread.start()

    def _listen(self, api: TestClient, job_id: int) -> None:
        with api.stream("GET", f"/api/jobs/{job_id}/events/stream") as response:
            self.status = response.status_code
            for chunk in response.iter_text():
                self.text += chunk

    def wait_for(self, *parts: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not all(part in self.text for part in parts):
            assert time.monotonic() < deadline, f"the stream never sent {parts}: {self.text}"
            time.sleep(0.05)


def _event_names(text: str) -> list[str]:
    return [ln.removeprefix("event: ") for ln in text.splitlines() if ln.startswith("event: ")]


def test_stream_pushes_a_jobs_events_as_they_are_indexed(
    chain_api: TestClient, market: Market
) -> None:
    stake_all(market)
    a = market.workers[0]
    job_id = auction(market, [Bid(a, 10**14, 8)])
    synced(chain_api, market)
    listener = _Listener(chain_api, job_id)
    listener.wait_for("event: BidsSettled")  # the stream is open before the worker commits
    commit_results(market, job_id, a)
    verifier = draw(market, job_id, a)
    attest(market, job_id, a, verifier, True, "bafy-pass")
    market.advance(VERIFY_WINDOW + 1)  # the contest window closes; anyone releases the pay
    market.client.release(market.treasury, job_id, a)
    listener.thread.join(timeout=30)
    assert not listener.thread.is_alive(), "the stream did not end when the job completed"
    assert listener.status == 200
    assert _event_names(listener.text) == [
        "JobPosted",
        "BidCommitted",
        "BidRevealed",
        "TilesAssigned",
        "BidsSettled",
        "ResultsCommitted",
        "VerifierDrawn",
        "EvidenceSealed",
        "ResultsRevealed",
        "ResultsAttested",
        "ResultsAccepted",
        "PaymentReleased",
        "JobCompleted",
        "end",
    ]
    # Resuming after an event id sends only what came after it.
    ids = [line[4:] for line in listener.text.splitlines() if line.startswith("id: ")]
    resumed = chain_api.get(
        f"/api/jobs/{job_id}/events/stream", headers={"Last-Event-ID": ids[-2]}
    ).text
    assert [ln for ln in resumed.splitlines() if ln.startswith("event: ")] == [
        "event: JobCompleted",
        "event: end",
    ]


def test_reorganised_blocks_are_dropped(chain_api: TestClient, market: Market) -> None:
    stake_all(market)
    c = market.client
    kept, _ = c.post_job(market.artist, _params(), "bafy-kept")
    synced(chain_api, market)
    snapshot = market.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    dropped, _ = c.post_job(market.artist, _params(), "bafy-dropped")
    c.commit_bid(market.workers[0], dropped, b"\x01" * 32, 1)
    synced(chain_api, market)
    assert chain_api.get(f"/api/jobs/{dropped}").status_code == 200
    _frame_stored(chain_api, dropped)  # as if the dropped job had come so far
    assert _frames(chain_api, dropped) == ["bafy-old-frame"]
    market.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    # The new branch: another job under the same id, and longer than the abandoned one.
    replacement, _ = c.post_job(market.workers[1], _params(), "bafy-replacement")
    assert replacement == dropped
    market.mine(3)
    synced(chain_api, market)
    job = chain_api.get(f"/api/jobs/{dropped}").json()
    assert job["manifest_cid"] == "bafy-replacement" and job["commits"] == 0
    assert chain_api.get(f"/api/jobs/{kept}").json()["manifest_cid"] == "bafy-kept"
    assert_api_matches_chain(chain_api, market)
    names = [e["name"] for e in chain_api.get("/api/events", params={"limit": 500}).json()["items"]]
    assert "BidCommitted" not in names
    assert _frames(chain_api, dropped) == []  # never the dropped job's frame for its successor


def _frame_stored(
    api: TestClient, job_id: int, manifest_cid: str = "bafy-dropped", png: str = "bafy-old-frame"
) -> None:
    """The rows the assembler writes once it stored a job's frame."""
    manifest = build_manifest(
        scene_cid=SCENE_CID, frames=[1], resolution={"width": 8, "height": 8},
        tile_grid={"columns": 1, "rows": 1}, samples=1,
    )  # fmt: skip
    services = api.app.state.services  # type: ignore[attr-defined]
    services.manifests.add(manifest_cid, manifest)  # as if read from IPFS under that CID
    with services.db.session() as s:
        s.add(AssemblyJob(job_id=job_id, manifest_cid=manifest_cid, error=None, done=True))
        s.add(AssembledFrame(job_id=job_id, frame=1, position=0, status="assembled",
                             png_cid=png, exr_cid="bafy-old-exr",
                             attempts=1))  # fmt: skip
    api.app.state.chain.hub.publish()  # type: ignore[attr-defined]


def _frames(api: TestClient, job_id: int) -> list[str]:
    body = api.get(f"/api/jobs/{job_id}/frames").json()
    return [f["png_cid"] for f in body["frames"] if f.get("png_cid")]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/jobs/99999", {}, 404),
        ("/api/jobs/99999/status", {}, 404),
        ("/api/jobs/99999/events", {}, 404),
        ("/api/jobs/99999/events/stream", {}, 404),
        ("/api/ledger/99999", {}, 404),
        ("/api/workers/0x000000000000000000000000000000000000dEaD", {}, 404),
        ("/api/jobs/0", {}, 422),
        ("/api/jobs/abc", {}, 422),
        ("/api/jobs/99999999999999999999999", {}, 422),
        ("/api/jobs", {"status": "Bogus"}, 422),
        ("/api/jobs", {"limit": 0}, 422),
        ("/api/jobs", {"limit": 501}, 422),
        ("/api/jobs", {"offset": -1}, 422),
        ("/api/jobs", {"artist": "not-an-address"}, 422),
        ("/api/workers/0x1234", {}, 422),
        ("/api/events", {"name": "NoSuchEvent"}, 422),
        ("/api/events", {"address": "zz"}, 422),
        ("/api/prices", {"limit": 0}, 422),
        ("/api/prices/estimate", {}, 422),
        ("/api/prices/estimate", {"tiles": 3, "manifest_cid": SCENE_CID}, 422),
        ("/api/prices/estimate", {"tiles": 0}, 422),
        ("/api/prices/estimate", {"manifest_cid": "nope"}, 422),
        ("/api/prices/estimate", {"tiles": 4}, 404),  # no winning bid indexed yet
        ("/api/prices/estimate", {"manifest_cid": SCENE_CID}, 404),
        ("/api/ledger", {"format": "xml"}, 422),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason(
    chain_api: TestClient, path: str, params: dict[str, Any], status: int
) -> None:
    response = chain_api.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and len(error["message"]) > 10


def test_stream_rejects_a_malformed_resume_position(chain_api: TestClient, market: Market) -> None:
    job_id, _ = market.client.post_job(market.artist, _params(), "bafy")
    synced(chain_api, market)
    for bad in ("yesterday", "1:2:3", "-1:0", f"{2**64}:0"):
        response = chain_api.get(
            f"/api/jobs/{job_id}/events/stream", headers={"Last-Event-ID": bad}
        )
        assert response.status_code == 422, bad
        assert "block:log_index" in response.json()["error"]["message"]


def test_indexer_status_without_a_market(api: TestClient) -> None:
    status = api.get("/api/indexer").json()
    assert status["enabled"] is False
    assert api.get("/api/jobs").json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
        "next_offset": None,
    }


def test_stream_announces_a_reorganisation_and_resends_events_and_frames_anew(
    chain_api: TestClient, market: Market
) -> None:
    stake_all(market)
    c = market.client
    job_id, _ = c.post_job(market.artist, _params(), "bafy-refresh")
    synced(chain_api, market)
    listener = _Listener(chain_api, job_id)
    snapshot = market.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    c.commit_bid(market.workers[0], job_id, b"\x02" * 32, 1)
    synced(chain_api, market)
    listener.wait_for("event: BidCommitted")
    _frame_stored(chain_api, job_id, "bafy-refresh", png="bafy-first")  # as the assembler does
    listener.wait_for("bafy-first")
    market.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    market.mine(2)
    synced(chain_api, market)  # the indexer drops the frame: derived from abandoned events
    listener.wait_for("event: reorg")
    _frame_stored(chain_api, job_id, "bafy-refresh", png="bafy-again")  # assembled anew
    listener.wait_for("bafy-again")
    c.cancel_job(market.artist, job_id)
    listener.thread.join(timeout=30)
    assert not listener.thread.is_alive()
    names = _event_names(listener.text)
    assert names == ["JobPosted", "BidCommitted", "assembled", "reorg", "assembled",
                     "JobCancelled", "end"], names  # fmt: skip
    assert listener.text.index("bafy-first") < listener.text.index("bafy-again")


def test_worker_detail_shows_its_jobs_verifications_and_history(
    chain_api: TestClient, market: Market
) -> None:
    stake_all(market)
    a = market.workers[0]
    job_id = auction(market, [Bid(a, 10**14, 8)])
    commit_results(market, job_id, a)
    verifier = draw(market, job_id, a)
    attest(market, job_id, a, verifier, True, "bafy-pass")
    market.advance(VERIFY_WINDOW + 1)
    market.client.release(market.treasury, job_id, a)
    market.client.withdraw(a)
    synced(chain_api, market)
    worker = chain_api.get(f"/api/workers/{a.lower()}").json()
    assert worker["address"] == a and worker["eligible"] is True
    assert worker["jobs"] == [
        {
            "job_id": job_id,
            "state": "Paid",
            "first_tile": 0,
            "tile_count": 8,
            "price_per_tile": str(10**14),
            "payment": str(8 * 10**14),
            "slashed": "0",
            "cause": None,  # not given back
            "cause_text": None,
        }
    ]
    assert int(worker["withdrawn"]) == int(worker["earned"]) > 0
    assert worker["balance"] == "0"
    assert [e["name"] for e in worker["history"]][:2] == ["Withdrawn", "PaymentReleased"]
    checker = chain_api.get(f"/api/workers/{verifier}").json()
    assert checker["verifications"] == [
        {
            "job_id": job_id,
            "worker": a,
            "passed": True,
            "evidence_cid": "bafy-pass",
            "fee": str(8 * 10**13 - 8 * 10**13 * 500 // 10_000),  # less the draw bounty
        }
    ]
    status = chain_api.get(f"/api/jobs/{job_id}/status").json()
    assert (status["status"], status["tiles_assigned"], status["tiles_accepted"]) == (
        "Completed",
        8,
        8,
    )
    assert status["indexed_block"] == market.head()
