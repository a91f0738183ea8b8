"""Two `tilefarm serve` processes on one PostgreSQL database, as two machines behind a load
balancer would run them: one holds the writer lock and indexes the market, the other serves
reads; both answer the same API, every event is stored once, and when the writing process is
stopped (SIGTERM) the other takes the lock and indexes on."""

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.marketplace.market import Bid, Market, commit_bid, params, stake_all
from tests.marketplace.shared_database import events_stored
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.process import ManagedProcess, spawn, tail

pytestmark = [pytest.mark.chain, pytest.mark.stack]

CLI = str(Path(sys.executable).parent / "tilefarm")
PAGE_QUERIES = ["/api/jobs", "/api/workers"]


@dataclass
class Serve:
    """One `tilefarm serve` process and the port it answers on."""

    process: ManagedProcess
    port: int

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10)

    def writer(self) -> int | None:
        """Its `tilefarm_server_writer` gauge; None while it does not answer."""
        try:
            text = self.get("/metrics").text
        except httpx.HTTPError:
            return None
        values = [line.split()[1] for line in text.splitlines()
                  if line.startswith("tilefarm_server_writer ")]  # fmt: skip
        return int(float(values[0])) if values else None

    def indexed_past(self, block: int) -> bool:
        try:
            return bool(self.get("/api/indexer").json()["next_block"] > block)
        except httpx.HTTPError:
            return False


@pytest.fixture
def serves(
    devnet: StackStatus, tmp_path: Path, market: Market, shared_url: str
) -> Iterator[list[Serve]]:
    """Two `tilefarm serve` processes following `market` on the shared database, each with a
    state folder and a log of its own; stopped at the end (and by the kernel if the test dies)."""
    assert devnet.rpc_url and devnet.ipfs_api_url
    started: list[Serve] = []
    try:
        for name in ("first", "second"):
            port = free_port()
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TILEFARM_")},
                "TILEFARM_SERVER_PORT": str(port),
                "TILEFARM_SERVER_STATE_DIR": str(tmp_path / name),
                "TILEFARM_SERVER_DATABASE_URL": shared_url,
                "TILEFARM_SERVER_RPC_URL": devnet.rpc_url,
                "TILEFARM_SERVER_IPFS_API_URL": devnet.ipfs_api_url,
                "TILEFARM_SERVER_DEPLOYMENTS_FILE": str(market.deployments_file),
                "TILEFARM_SERVER_POLL_INTERVAL": "0.1",
            }
            if devnet.ws_url:
                env["TILEFARM_SERVER_WS_URL"] = devnet.ws_url
            log = tmp_path / f"{name}.log"
            started.append(Serve(spawn(name, [CLI, "serve"], log, env), port))
        yield started
    finally:
        for serve in started:
            serve.process.stop()


def _until(check: Callable[[], bool], what: str, serves: list[Serve], timeout: float = 60) -> None:
    """Poll `check` until it holds; past the deadline, fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"--- {s.process.name} (running: {s.process.is_running()}):\n"
                f"{tail(s.process.log, 30)}"
                for s in serves
            )
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


def _bodies(serve: Serve, job_id: int) -> list[tuple[str, int, object]]:
    paths = [*PAGE_QUERIES, f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/events"]
    return [(path, (r := serve.get(path)).status_code, r.json()) for path in paths]


def _post_job_with_a_bid(market: Market, manifest: str) -> int:
    """A job posted and a sealed bid committed on it: its events, and a worker for the list."""
    stake_all(market)
    job_id, _ = market.client.post_job(market.artist, params(), manifest)
    commit_bid(market, job_id, Bid(market.workers[0], 10**14, 4))
    return job_id


def test_two_serve_processes_on_one_database_index_once_answer_alike_and_take_over(
    serves: list[Serve], market: Market, shared_url: str
) -> None:
    _until(lambda: None not in [s.writer() for s in serves], "both servers to answer", serves)
    _until(lambda: 1 in [s.writer() for s in serves], "one server to take the lock", serves)
    job_id = _post_job_with_a_bid(market, "bafy-two-processes")
    head = market.head()
    _until(lambda: all(s.indexed_past(head) for s in serves), "the job indexed", serves)

    # Many lock rounds later, still one writer: the other only reads.
    writing = [s.writer() for s in serves]
    assert sorted(writing, key=str) == [0, 1]
    holder, reader = serves if writing[0] == 1 else serves[::-1]
    assert _bodies(reader, job_id) == _bodies(holder, job_id)
    job = reader.get(f"/api/jobs/{job_id}").json()
    assert job["manifest_cid"] == "bafy-two-processes"
    assert reader.get("/api/workers").json()["items"]  # the bidder staked: a worker to list
    # Indexed once: as many events stored as the chain has, the job's timeline as long as its.
    assert events_stored(shared_url) == len(market.client.events(from_block=market.start_block))
    timeline = reader.get(f"/api/jobs/{job_id}/events").json()["items"]
    assert len(timeline) == len(market.client.events(market.start_block, job_id=job_id)) >= 2

    holder.process.stop()  # SIGTERM: uvicorn shuts down, the lock's session ends
    assert not holder.process.is_running()
    _until(lambda: reader.writer() == 1, "the other server to take over", serves)
    second_job = _post_job_with_a_bid(market, "bafy-after-takeover")
    head = market.head()
    _until(lambda: reader.indexed_past(head), "the new writer to index the next job", serves)
    assert reader.get(f"/api/jobs/{second_job}").json()["manifest_cid"] == "bafy-after-takeover"
    assert events_stored(shared_url) == len(market.client.events(from_block=market.start_block))
