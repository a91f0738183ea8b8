"""`python -m bench.scale` at a tiny size: it builds the market it says, a fresh server on each
database indexes all of it, and the report carries every figure the issue asks for."""

import json

import pytest

from bench.scale import main

pytestmark = pytest.mark.stack

JOBS, TILES_PER_JOB, WORKERS = 5, 4, 3


def test_the_scale_bench_reports_every_figure_for_the_market_it_built(capsys):
    code = main(
        [
            "--jobs", str(JOBS), "--tiles-per-job", str(TILES_PER_JOB),
            "--workers", str(WORKERS), "--stages", "2", "--rate", "20", "--seconds", "1",
            "--rss-seconds", "0.5", "--connections", "4", "--json",
        ]
    )  # fmt: skip

    assert code == 0
    report = json.loads(capsys.readouterr().out)
    for key in (
        "jobs", "tiles", "api_p50_ms", "api_p99_ms", "ledger_seconds",
        "index_events_per_second", "server_rss_mb", "meets_targets",
    ):  # fmt: skip
        assert key in report, key
    assert (report["jobs"], report["tiles"]) == (JOBS, JOBS * TILES_PER_JOB)
    assert (
        report["build"]["transactions"] == WORKERS + 4 * JOBS
    )  # stakes; post, commit, reveal, settle
    for database in ("sqlite", "postgresql"):
        measured = report["databases"][database]
        assert (measured["jobs"], measured["seats"]) == (JOBS, JOBS)
        assert measured["tiles"] == JOBS * TILES_PER_JOB
        assert measured["load"]["requests"] == 20
        assert not measured["load"]["errors"]
        assert set(measured["load"]["routes"]) == {
            "job list", "job list with rounds", "job", "job status", "job ledger", "workers",
            "worker", "price estimate",
        }  # fmt: skip
        assert report["api_p99_ms"][database] >= report["api_p50_ms"][database] > 0
        assert report["index_events_per_second"][database] > 0
        assert measured["server_ledger_csv_rows"] == JOBS
    assert [size["jobs"] for size in report["sizes"]] == [2, 5]
    assert set(report["server_rss_mb"]) == {"2", "5"}
    assert report["audit_ledger"]["rows"] == JOBS
    assert report["ledger_seconds"] > 0
