"""GPU workers in the server's views, over a real market on the devnet: the hardware each account
declared, and a seat its worker gave back because its GPU failed, which costs what a late seat
costs and says why in words."""

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.settings import MarketplaceSettings
from tests.marketplace.market import (
    RENDER_WINDOW,
    Bid,
    Market,
    assert_matches_chain,
    auction,
    rounds,
    stake_all,
)
from tests.marketplace.test_chain_api import _client, assert_api_matches_chain, synced
from tilefarm.checks.audit.credits import Flows, job_credits
from tilefarm.checks.audit.history import read_history
from tilefarm.checks.audit.money import job_money
from tilefarm.checks.audit.rounds import round_checks
from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]


@pytest.fixture
def chain_api(devnet: StackStatus, tmp_path: Path, market: Market) -> Iterator[TestClient]:
    with _client(devnet, tmp_path / "server", market) as client:
        yield client


def _indexed_again(market: Market, tmp_path: Path) -> None:
    """A fresh indexer's views equal the contract's, and still do when rebuilt from the stored
    events alone (as after a reorganisation)."""
    db = Database(f"sqlite:///{tmp_path / 'again.db'}")
    indexer = Indexer(db, market.client, market.start_block)
    indexer.sync()
    assert_matches_chain(market, db)
    indexer.rebuild()
    assert_matches_chain(market, db)


def test_the_hardware_each_worker_declared_is_listed_and_the_latest_declaration_stands(
    chain_api: TestClient, market: Market, tmp_path: Path
) -> None:
    stake_all(market)
    c = market.client
    cpu, gpu, silent = market.workers[:3]
    c.declare_hardware(cpu, BACKEND_CODES["CPU"], 0)
    c.declare_hardware(gpu, BACKEND_CODES["CUDA"], 8_192)
    c.declare_hardware(gpu, BACKEND_CODES["OPTIX"], 24_576)  # a new card
    synced(chain_api, market)
    listed = {
        w["address"]: (w["backend"], w["vram_mib"])
        for w in chain_api.get("/api/workers").json()["items"]
    }
    assert listed[cpu] == ("CPU", 0)
    assert listed[gpu] == ("OPTIX", 24_576)
    assert listed[silent] == (None, 0)
    detail = chain_api.get(f"/api/workers/{gpu}").json()
    assert (detail["backend"], detail["vram_mib"]) == ("OPTIX", 24_576)
    declared = [e["args"] for e in detail["history"] if e["name"] == "HardwareDeclared"]
    assert [(a["backend"], a["vram_mib"]) for a in declared] == [(3, 24_576), (2, 8_192)]
    assert_api_matches_chain(chain_api, market)
    _indexed_again(market, tmp_path)


def test_a_seat_given_back_for_a_gpu_out_of_memory_costs_what_a_late_seat_costs_and_says_why(
    chain_api: TestClient, market: Market, tmp_path: Path
) -> None:
    stake_all(market)
    c = market.client
    gave_back, late = market.workers[:2]
    job_id = auction(market, [Bid(gave_back, 10**14, 4), Bid(late, 10**14, 4)], **rounds(market))
    # At once, long before the render deadline; the other is claimed once it passed.
    c.abandon_seat(gave_back, job_id, AbandonCause.GPU_OUT_OF_MEMORY)
    market.advance(RENDER_WINDOW + 1)
    c.claim_late(market.artist, job_id, late)
    synced(chain_api, market)

    job = chain_api.get(f"/api/jobs/{job_id}").json()
    seats = {s["worker"]: s for s in job["seats"]}
    assert seats[gave_back]["state"] == seats[late]["state"] == "TimedOut"
    assert (seats[gave_back]["cause"], seats[gave_back]["cause_text"]) == (
        1,
        "a worker's GPU ran out of memory",
    )
    assert (seats[late]["cause"], seats[late]["cause_text"]) == (None, None)
    # Same tiles at the same price: the same slash, into the reserve with the tiles.
    assert seats[gave_back]["slashed"] == seats[late]["slashed"] != "0"
    assert [tuple(r) for r in job["unsold"]] == c.unsold_tiles(job_id)
    assert sum(count for _, count in job["unsold"]) == 8
    names = [e["name"] for e in job["events"]]
    assert names.count("SeatAbandoned") == 1 and names.count("WorkerTimedOut") == 1
    worker = chain_api.get(f"/api/workers/{gave_back}").json()
    assert worker["timeouts"] == 1
    (seat,) = worker["jobs"]
    assert (seat["state"], seat["cause"], seat["cause_text"]) == (
        "TimedOut",
        1,
        "a worker's GPU ran out of memory",
    )
    assert chain_api.get(f"/api/ledger/{job_id}").json()["balanced"]
    # The auditor's books, from the chain alone, take a seat given back as a late one.
    history = read_history(c, job_id)
    _money, checks = job_money(history)
    flows = Flows()
    job_credits(history, defaultdict(int), flows=flows)
    checks += round_checks(history, flows)
    assert checks and all(check.ok for check in checks), [x for x in checks if not x.ok]
    assert_api_matches_chain(chain_api, market)
    _indexed_again(market, tmp_path)


def test_the_api_documents_each_cause_in_the_words_a_seat_says_it(tmp_path: Path) -> None:
    schemas = create_app(MarketplaceSettings(state_dir=tmp_path)).openapi()["components"]
    for body in ("SeatPublic", "WorkerJob"):
        cause = schemas["schemas"][body]["properties"]["cause"]["description"]
        for known in AbandonCause:
            assert f"{known.value}: {known.describe()}" in cause
