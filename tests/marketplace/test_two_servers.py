"""Several servers, one chain: two servers on one PostgreSQL database index the same market once
(one holds the database's writer lock and writes, the other serves reads), answer the same API,
and when the writing server stops, the other takes over."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marketplace.app import create_app
from marketplace.db.chain_models import ChainEvent
from marketplace.db.session import Database
from marketplace.indexer.writer import WRITER_LOCK, Writer
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import Market, deploy_market, params
from tests.postgres import Cluster
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]


@pytest.fixture
def market(devnet: StackStatus, tmp_path: Path) -> Market:
    assert devnet.rpc_url
    return deploy_market(devnet.rpc_url, tmp_path / "deployments")


@pytest.fixture
def shared_url(postgres: Cluster) -> Iterator[str]:
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture
def server(
    devnet: StackStatus, tmp_path: Path, market: Market, shared_url: str
) -> Callable[[str], TestClient]:
    """A server following `market` on the shared database, with a state folder of its own."""

    def make(name: str) -> TestClient:
        settings = server_settings(
            devnet, tmp_path / name, deployments_file=market.deployments_file,
            poll_interval=0.05, database_url=shared_url,
        )  # fmt: skip
        return TestClient(create_app(settings))

    return make


def _until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _writer(api: TestClient) -> Writer:
    writer: Writer = api.app.state.writer  # type: ignore[attr-defined]
    return writer


def _indexed(api: TestClient, market: Market) -> bool:
    return bool(api.get("/api/indexer").json()["next_block"] > market.head())


def _bodies(api: TestClient, job_ids: list[int]) -> list[object]:
    paths = ["/api/jobs", "/api/indexer", "/api/workers", "/api/prices", "/api/config"]
    for j in job_ids:
        paths += [f"/api/jobs/{j}", f"/api/jobs/{j}/events", f"/api/ledger/{j}"]
    answers = [(path, api.get(path)) for path in paths]
    return [(path, answer.status_code, answer.json()) for path, answer in answers]


def _events_stored(url: str) -> int:
    db = Database(url)
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(ChainEvent)) or 0)
    finally:
        db.engine.dispose()


def test_two_servers_on_one_database_index_once_answer_alike_and_take_over(
    server: Callable[[str], TestClient], market: Market, shared_url: str
) -> None:
    with ExitStack() as first_stack, ExitStack() as second_stack:
        first = first_stack.enter_context(server("first"))
        second = second_stack.enter_context(server("second"))
        _until(lambda: _writer(first).writing or _writer(second).writing, "a writer")
        time.sleep(0.3)  # several lock rounds: the other one must still be reading
        assert [_writer(first).writing, _writer(second).writing].count(True) == 1
        holder, reader = (first, second) if _writer(first).writing else (second, first)
        holder_stack = first_stack if holder is first else second_stack

        job_id, _ = market.client.post_job(market.artist, params(), "bafy-two-servers")
        _until(lambda: _indexed(holder, market) and _indexed(reader, market), "the job indexed")
        assert _bodies(holder, [job_id]) == _bodies(reader, [job_id])
        # The reading server saw the cursor move: its live streams were woken.
        _until(lambda: reader.app.state.chain.hub.version > 0, "the reader's streams woken")  # type: ignore[attr-defined]
        assert reader.get(f"/api/jobs/{job_id}").json()["manifest_cid"] == "bafy-two-servers"
        chain_events = market.client.events(from_block=market.start_block)
        assert _events_stored(shared_url) == len(chain_events)

        holder_stack.close()  # the writing server stops: its session, and the lock, end
        _until(lambda: _writer(reader).writing, "the other server to take over")
        second_job, _ = market.client.post_job(market.artist, params(), "bafy-after-takeover")
        _until(lambda: _indexed(reader, market), "the new writer to index the next job")
        body = reader.get(f"/api/jobs/{second_job}").json()
        assert body["manifest_cid"] == "bafy-after-takeover"
        chain_events = market.client.events(from_block=market.start_block)
        assert _events_stored(shared_url) == len(chain_events)


def test_when_the_writers_database_session_dies_another_server_takes_over(
    server: Callable[[str], TestClient], market: Market, shared_url: str
) -> None:
    """The writing server's lock session ends under it (its connection dropped, the database
    restarted it...): it stops writing, and the other server takes the lock and indexes."""

    with server("first") as first, server("second") as second:
        _until(lambda: _writer(first).writing or _writer(second).writing, "a writer")
        holder, reader = (first, second) if _writer(first).writing else (second, first)
        db = Database(shared_url)
        with db.engine.begin() as conn:  # end the session that holds the writer lock
            ended = conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                f"WHERE locktype = 'advisory' AND objid = {WRITER_LOCK} AND granted"
            ).all()
        db.engine.dispose()
        assert ended == [(True,)]
        _until(lambda: _writer(reader).writing, "the other server to take over")
        _until(lambda: not _writer(holder).writing, "the first server to stop writing")
        assert _writer(holder).lost
        job_id, _ = market.client.post_job(market.artist, params(), "bafy-after-a-death")
        _until(lambda: _indexed(reader, market), "the new writer to index the job")
        assert holder.get(f"/api/jobs/{job_id}").json()["manifest_cid"] == "bafy-after-a-death"
        assert _events_stored(shared_url) == len(
            market.client.events(from_block=market.start_block)
        )
