"""Several servers, one chain: two servers on one PostgreSQL database index the same market once
(one holds the database's writer lock and writes, the other serves reads), answer the same API,
and when the writing server stops, the other takes over; a server whose lock session died takes
the lock again, and an indexer that lost the lock cannot store a batch."""

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marketplace.app import create_app
from marketplace.db.frame_models import AssemblyJob
from marketplace.db.session import Database
from marketplace.indexer.indexer import Indexer, NotTheWriter
from marketplace.indexer.writer import WRITER_LOCK, Fence, Writer, WriterLock
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import Market, deploy_market, params
from tests.marketplace.shared_database import events_stored
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]


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
        assert events_stored(shared_url) == len(chain_events)

        holder_stack.close()  # the writing server stops: its session, and the lock, end
        _until(lambda: _writer(reader).writing, "the other server to take over")
        second_job, _ = market.client.post_job(market.artist, params(), "bafy-after-takeover")
        _until(lambda: _indexed(reader, market), "the new writer to index the next job")
        body = reader.get(f"/api/jobs/{second_job}").json()
        assert body["manifest_cid"] == "bafy-after-takeover"
        chain_events = market.client.events(from_block=market.start_block)
        assert events_stored(shared_url) == len(chain_events)


def _lock_backend(url: str) -> int | None:
    """The database session holding the writer lock, if one does."""
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            return conn.exec_driver_sql(
                "SELECT pid FROM pg_locks "
                f"WHERE locktype = 'advisory' AND objid = {WRITER_LOCK} AND granted"
            ).scalar()
    finally:
        db.engine.dispose()


def _end_session(url: str, backend: int) -> None:
    """End the database session `backend`, and wait until it is gone (its locks with it)."""
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend})").scalar()

        def gone() -> bool:
            with db.engine.begin() as conn:
                sql = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {backend}"
                return conn.exec_driver_sql(sql).scalar() == 0

        _until(gone, f"session {backend} to end")
    finally:
        db.engine.dispose()


def test_a_lone_server_whose_lock_session_dies_takes_the_lock_again_and_indexes(
    server: Callable[[str], TestClient], market: Market, shared_url: str
) -> None:
    """The writing server's lock session ends under it (PostgreSQL restarted, the connection
    dropped, `pg_terminate_backend`): with no other server, it takes the lock again with fresh
    writers and indexes on, without a restart."""
    with server("only") as only:
        _until(lambda: _writer(only).writing, "the server to write")
        first = _lock_backend(shared_url)
        assert first is not None
        _end_session(shared_url, first)
        _until(lambda: _lock_backend(shared_url) not in (None, first), "the lock taken again")
        _until(lambda: _writer(only).writing, "the server to write again")
        assert _writer(only).losses == 1
        job_id, _ = market.client.post_job(market.artist, params(), "bafy-after-a-death")
        _until(lambda: _indexed(only, market), "the job indexed")
        assert only.get(f"/api/jobs/{job_id}").json()["manifest_cid"] == "bafy-after-a-death"
        assert events_stored(shared_url) == len(market.client.events(from_block=market.start_block))


def test_an_indexer_whose_server_lost_the_lock_cannot_store_a_batch(
    market: Market, shared_url: str
) -> None:
    """A batch in flight when the lock changed hands is dropped, not stored beside the new
    writer's: its transaction checks the lock session it started under."""
    db = Database(shared_url)
    first, second = WriterLock(db), WriterLock(db)
    try:
        assert first.acquire() and first.backend is not None
        old = Fence(first.backend)
        indexer = Indexer(db, market.client, market.start_block)
        indexer.sync(fence=old.holds)  # the holder indexes
        before = events_stored(shared_url)
        market.client.post_job(market.artist, params(), "bafy-in-flight")
        _end_session(shared_url, first.backend)
        assert not first.alive()
        assert second.acquire() and second.backend is not None
        with pytest.raises(NotTheWriter):
            indexer.step(fence=old.holds)
        assert events_stored(shared_url) == before
        # The stop flag ends a sync between two steps.
        stop = threading.Event()
        stop.set()
        assert indexer.sync(stop=stop, fence=Fence(second.backend).holds) == 0
        assert indexer.sync(fence=Fence(second.backend).holds) > 0  # the new holder indexes it
        assert events_stored(shared_url) == len(market.client.events(from_block=market.start_block))
    finally:
        first.release()
        second.release()
        db.engine.dispose()


def test_a_reading_server_of_another_market_leaves_the_writers_tables_alone(
    devnet: StackStatus,
    tmp_path: Path,
    server: Callable[[str], TestClient],
    market: Market,
    shared_url: str,
) -> None:
    """A server started with another deployments file on the same database: only the writer
    claims the chain tables for its market, so the reader drops nothing."""
    assert devnet.rpc_url
    other = deploy_market(devnet.rpc_url, tmp_path / "other-deployments")
    market.client.post_job(market.artist, params(), "bafy-writers-market")
    with server("writer") as writer:
        _until(lambda: _writer(writer).writing and _indexed(writer, market), "the job indexed")
        stored = events_stored(shared_url)
        assert stored > 0
        db = Database(shared_url)
        with db.session() as s:  # as the assembler leaves a job it is done with
            s.add(AssemblyJob(job_id=1, manifest_cid="bafy-writers-market", done=True))
        settings = server_settings(
            devnet, tmp_path / "reader", deployments_file=other.deployments_file,
            poll_interval=0.05, database_url=shared_url,
        )  # fmt: skip
        with TestClient(create_app(settings)) as reader:
            time.sleep(0.3)  # several lock rounds of the reader
            assert not _writer(reader).writing
            assert events_stored(shared_url) == stored
            with db.session() as s:
                assert s.scalars(select(AssemblyJob.job_id)).all() == [1]
        db.engine.dispose()
        assert writer.get("/api/jobs/1").json()["manifest_cid"] == "bafy-writers-market"
