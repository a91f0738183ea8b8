"""`GET /metrics`: the server's requests by route template, how far its indexer is behind the
chain, its assembly queue, and whether it is the server that writes, in Prometheus's text
format."""

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tests.marketplace.market import deploy_market
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.postgres import Cluster


def samples(api: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample `/metrics` serves, by name and labels."""
    answer = api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def requests(found: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str) -> float:
    key = ("tilefarm_server_http_requests_total", frozenset(labels.items()))
    return found.get(key, 0.0)


def test_requests_are_counted_by_route_template_method_and_status(api: TestClient) -> None:
    for job_id in (123456, 654321):
        assert api.get(f"/api/jobs/{job_id}").status_code == 404
    assert api.get("/api/health").status_code == 200
    assert api.get("/api/jobs/not-a-number").status_code == 422
    assert api.get("/no/such/page").status_code == 404

    found = samples(api)
    body = api.get("/metrics").text

    job = {"method": "GET", "route": "/api/jobs/{job_id}"}
    assert requests(found, **job, status="404") == 2
    assert requests(found, **job, status="422") == 1
    assert requests(found, method="GET", route="/api/health", status="200") == 1
    assert requests(found, method="GET", route="<other>", status="404") == 1
    assert "123456" not in body and "/no/such/page" not in body  # templates, never raw paths
    timed = (
        "tilefarm_server_http_request_seconds_count",
        frozenset({**job, "status": "404"}.items()),
    )
    assert found[timed] == 2
    # No market: nothing to say about an indexer or frames.
    assert not any(name.startswith("tilefarm_server_indexer") for name, _ in found)
    assert ("tilefarm_server_writer", frozenset()) not in found
    assert "/metrics" not in api.get("/openapi.json").json()["paths"]


def test_methods_a_client_makes_up_share_one_series(api: TestClient) -> None:
    for method in ("BREW", "PROPFIND", "X-ANYTHING-1", "X-ANYTHING-2"):
        assert api.request(method, "/api/health").status_code == 405
    assert api.request("OPTIONS", "/api/health").status_code == 405

    found = samples(api)
    body = api.get("/metrics").text

    health = {"route": "<other>", "status": "405"}  # a path whose route takes other methods
    assert requests(found, method="OTHER", **health) == 4
    assert requests(found, method="OPTIONS", **health) == 1
    methods = {dict(labels).get("method") for name, labels in found if "http_requests" in name}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}
    assert "BREW" not in body and "X-ANYTHING" not in body


@pytest.mark.chain
def test_the_indexer_lag_is_the_blocks_it_waits_to_be_confirmed(
    devnet: StackStatus, tmp_path: Path
) -> None:
    assert devnet.rpc_url
    market = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    market.mine(5)
    settings = server_settings(
        devnet, tmp_path / "server", deployments_file=market.deployments_file,
        confirmations=3, poll_interval=0.05,
    )  # fmt: skip
    with TestClient(create_app(settings)) as api:
        head = market.head()
        deadline = time.monotonic() + 15
        while True:
            found = samples(api)
            last = found.get(("tilefarm_server_indexer_last_block", frozenset()))
            if last == head - 3:
                break
            assert time.monotonic() < deadline, f"indexed to {last}, head {head}"
            time.sleep(0.05)

    assert found[("tilefarm_server_indexer_head_block", frozenset())] == head
    assert found[("tilefarm_server_indexer_lag_blocks", frozenset())] == 3
    assert found[("tilefarm_server_indexer_failing", frozenset())] == 0
    assert found[("tilefarm_server_writer", frozenset())] == 1  # a SQLite file's server writes
    assert found[("tilefarm_server_frames_due", frozenset())] == 0
    assert found[("tilefarm_server_assembly_failing", frozenset())] == 0


@pytest.mark.chain
def test_of_two_servers_on_one_database_only_the_writer_says_it_writes(
    devnet: StackStatus, postgres: Cluster, tmp_path: Path
) -> None:
    assert devnet.rpc_url
    market = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    url = postgres.create_database()

    def server(name: str) -> TestClient:
        settings = server_settings(
            devnet, tmp_path / name, deployments_file=market.deployments_file,
            poll_interval=0.05, database_url=url,
        )  # fmt: skip
        return TestClient(create_app(settings))

    def writers(*apis: TestClient) -> list[float]:
        return [samples(api)[("tilefarm_server_writer", frozenset())] for api in apis]

    try:
        with ExitStack() as servers:
            first = servers.enter_context(server("first"))
            second = servers.enter_context(server("second"))
            until(lambda: 1 in writers(first, second), "a server to take the writer lock")
            assert sorted(writers(first, second)) == [0, 1]
    finally:
        postgres.drop_database(url)


def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
