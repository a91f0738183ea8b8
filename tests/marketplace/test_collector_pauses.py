"""A server answering under load must not stop for the garbage collector's full collections:
what it loaded at start (libraries, the app, its settings) lives as long as it does, so it is set
aside from them (`gc.freeze`). Without that, each full collection scanned about a million
objects and held every request for about 140 ms (`bench.scale`, PostgreSQL: p99 50-250 ms)."""

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tilefarm_cli.devnet import StackStatus


def test_a_started_server_sets_what_it_loaded_aside_from_full_collections(
    devnet: StackStatus, tmp_path: Path
) -> None:
    gc.unfreeze()  # whatever an earlier test in this process left frozen
    try:
        with TestClient(create_app(server_settings(devnet, tmp_path))) as api:
            assert api.get("/api/health").status_code == 200
            assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
