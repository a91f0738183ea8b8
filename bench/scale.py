"""The marketplace at scale: `python -m bench.scale --json` prints JSON.

1. Starts a devnet of its own (anvil, Kubo, the contracts) in a temporary folder on free ports.
2. Builds the market in `--stages` steps up to `--jobs` jobs (10,000) of `--tiles-per-job` tiles
   (100) each, sold whole to one of `--workers` workers (100): 1,000,000 assigned tiles. Every job
   goes through the real sealed-bid auction (post, commit, reveal, settle), sent in JSON-RPC
   batches of 250 transactions, a block each (`bench.market`).
3. Memory as the market grows: one server (SQLite) follows the market from its first job, as a
   server does; after each step, `--rss-seconds` of load, then its memory (RSS).
4. On the whole market, a fresh server indexes it from block 0 (its catch-up rate, in events per
   second, start-up included), then serves the page's queries (the job list, with rounds too, a
   job, its status, its ledger, the workers, a worker, a price estimate, in turn, ids at random):
   first each alone, then open loop at `--rate` requests per second (200) for `--seconds` s from
   a process pinned to the other core; on SQLite and then on PostgreSQL (a throw-away cluster,
   `tilefarm_cli/devnet/postgres.py`).
5. `tilefarm audit ledger --csv` over every job, timed (it reads the chain and IPFS, never the
   server); and the server's own `/api/ledger?format=csv` over every job, timed.

Targets: p99 < 50 ms at 200 requests/s on each database, the ledger under 10 s, memory flat as
the market grows. Work at small sizes with `--jobs 200`.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from web3 import Web3

from bench.load import open_loop, percentile
from bench.market import WINDOW, MarketBuilder, job_params, worker_address
from bench.server import memory_mb, start_devnet, start_server, stop_server, wait_indexed
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.postgres import running_cluster

P99_TARGET_MS = 50.0
LEDGER_TARGET_SECONDS = 10.0
# Memory is flat when the largest market's server holds at most this much more than the
# smallest's (Python's allocator and SQLAlchemy's caches wobble by a few MiB).
RSS_FLAT_RATIO = 1.25


def page_requests(jobs: int, workers: int, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """`count` requests of the web pages' queries in turn (route name, path), ids at random."""
    rng = random.Random(seed)
    fee = job_params(1).verify_fee_per_tile
    routes = [
        ("job list", lambda: "/api/jobs?limit=100"),
        ("job list with rounds", lambda: "/api/jobs?rounds=true&limit=500"),
        ("job", lambda: f"/api/jobs/{rng.randint(1, jobs)}"),
        ("job status", lambda: f"/api/jobs/{rng.randint(1, jobs)}/status"),
        ("job ledger", lambda: f"/api/ledger/{rng.randint(1, jobs)}"),
        ("workers", lambda: "/api/workers?limit=200"),
        ("worker", lambda: f"/api/workers/{worker_address(rng.randrange(workers))}"),
        (
            "price estimate",
            lambda: f"/api/prices/estimate?tiles=100&verify_fee_per_tile={fee}",
        ),
    ]
    return [(name, path()) for n in range(count) for name, path in [routes[n % len(routes)]]]


@dataclass
class Bench:
    """The devnet and market under test, and the options."""

    args: argparse.Namespace
    state: Path
    status: Any  # Devnet.up()'s report
    builder: MarketBuilder
    runs: int = 0

    def serve(self, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
        """Start a fresh server (its own state folder) on `database_url`; returns it and its
        base URL."""
        self.runs += 1
        folder = self.state / f"server-{self.runs}"
        port = free_port()
        server = start_server(
            folder,
            self.status,
            self.status.deployments_file,
            port,
            database_url,
            log=folder / "server.log",
        )
        return server, f"http://127.0.0.1:{port}"

    def measure(self, database: str, database_url: str) -> dict[str, Any]:
        """A fresh server on `database_url` indexes the market from block 0 (in batches of the
        indexer's block range: the whole bench market is one); then the pages' queries."""
        head = int(self.builder.client.w3.eth.block_number)
        server, base = self.serve(database_url)
        try:
            catch_up = wait_indexed(base, head, server, timeout=self.args.index_timeout)
            counts = _counts(database_url)
            report: dict[str, Any] = {
                "database": database,
                **counts,
                "blocks": head,
                "catch_up_seconds": round(catch_up, 2),
                "index_events_per_second": round(counts["events"] / catch_up, 1),
                "rss_mb_after_catch_up": memory_mb(server.pid)["rss"],
                **self.exercise(base, server, self.args.seconds),
            }
            if self.args.server_ledger:
                report["server_ledger_csv_seconds"], rows = _server_ledger(base, self.builder.jobs)
                report["server_ledger_csv_rows"] = rows
            return report
        finally:
            stop_server(server)

    def exercise(
        self, base: str, server: subprocess.Popen[bytes], seconds: float
    ) -> dict[str, Any]:
        """Each route alone, then `seconds` of the pages' queries at the bench's rate; then the
        server's memory."""
        requests = page_requests(
            self.builder.jobs, self.builder.workers, max(1, int(self.args.rate * seconds))
        )
        alone = _one_at_a_time(base, requests)
        load = open_loop(base, self.args.rate, seconds, requests, self.args.connections)
        memory = memory_mb(server.pid)
        return {
            "load": load,
            "route_alone_median_ms": alone,
            "rss_mb": memory["rss"],
            "rss_mb_peak": memory["peak"],
        }

    def audit_ledger(self) -> dict[str, Any]:
        """Time `tilefarm audit ledger --csv` over every job (from the chain and IPFS)."""
        tilefarm = Path(sys.executable).parent / "tilefarm"
        command = [
            str(tilefarm) if tilefarm.exists() else "tilefarm",
            "audit", "ledger", "--csv",
            "--rpc-url", self.status.rpc_url,
            "--ipfs-api-url", self.status.ipfs_api_url,
            "--deployments", str(self.status.deployments_file),
        ]  # fmt: skip
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.args.ledger_timeout
            )
        except subprocess.TimeoutExpired:
            return {
                "seconds": None,
                "timed_out_after_seconds": self.args.ledger_timeout,
                "rows": None,
            }
        seconds = time.perf_counter() - start
        rows = max(len(done.stdout.splitlines()) - 1, 0)
        return {
            "seconds": round(seconds, 2),
            "rows": rows,
            "exit_code": done.returncode,
            # Exit 2: a job's audit failed (the bench's manifests are not on IPFS); the books
            # are still computed and printed.
            "stderr_tail": done.stderr.strip().splitlines()[-1:] if done.stderr else [],
        }


def _counts(database_url: str) -> dict[str, int]:
    """What the server's database holds: events, posted jobs, assigned seats and their tiles."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as db:
            events: int = db.execute(text("SELECT count(*) FROM chain_events")).scalar_one()
            jobs: int = db.execute(text("SELECT count(*) FROM jobs WHERE root = 0")).scalar_one()
            assigned = (
                "SELECT count(*), coalesce(sum(tile_count), 0) FROM seats WHERE tile_count > 0"
            )
            seats, tiles = (int(n) for n in db.execute(text(assigned)).one())
    finally:
        engine.dispose()
    return {"events": events, "jobs": jobs, "seats": seats, "tiles": tiles}


def _one_at_a_time(
    base: str, requests: Sequence[tuple[str, str]], each: int = 10
) -> dict[str, float]:
    """Each route's median time with no other request in flight (what one request costs the
    server's core), over its first `each` requests."""
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for route, path in requests:
            if len(times.setdefault(route, [])) < each:
                start = time.perf_counter()
                http.get(path).raise_for_status()
                times[route].append((time.perf_counter() - start) * 1000)
    return {route: round(percentile(values, 50), 2) for route, values in sorted(times.items())}


def _server_ledger(base: str, jobs: int) -> tuple[float, int]:
    """Time `/api/ledger?format=csv` over every job (10,000 a page); returns (seconds, rows)."""
    rows = 0
    start = time.perf_counter()
    with httpx.Client(timeout=600) as http:
        for offset in range(0, max(jobs, 1), 10_000):
            body = http.get(
                f"{base}/api/ledger", params={"format": "csv", "limit": 10_000, "offset": offset}
            )
            body.raise_for_status()
            rows += len(body.text.splitlines()) - 1
    return round(time.perf_counter() - start, 2), rows


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throw-away PostgreSQL cluster and an empty database on it (the tests' own)."""
    with running_cluster() as cluster:
        yield cluster.create_database()


def stage_sizes(jobs: int, stages: int) -> list[int]:
    """The market's size after each build step: `stages` equal steps up to `jobs`."""
    stages = max(1, min(stages, jobs))
    return sorted({jobs * k // stages for k in range(1, stages + 1)})


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "targets": {
            "api_p99_ms": P99_TARGET_MS,
            "ledger_seconds": LEDGER_TARGET_SECONDS,
            "rss_flat_ratio": RSS_FLAT_RATIO,
        },
        "requested": {
            "jobs": args.jobs,
            "tiles_per_job": args.tiles_per_job,
            "workers": args.workers,
            "rate": args.rate,
            "seconds": args.seconds,
        },
        # Other work on the machine competes for the same cores: say how busy it was.
        "machine": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()},
    }
    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-scale-") as tmp:
        state = Path(tmp)
        devnet, status = start_devnet(state)
        try:
            assert status.rpc_url and status.deployments_file
            w3 = Web3(Web3.HTTPProvider(status.rpc_url, request_kwargs={"timeout": 60}))
            client = JobMarketClient.from_deployments(w3, read_deployments(status.deployments_file))
            builder = MarketBuilder(
                client,
                status.rpc_url,
                Web3.to_checksum_address(list(w3.eth.accounts)[1]),
                workers=args.workers,
                tiles_per_job=args.tiles_per_job,
            )
            bench = Bench(args, state, status, builder)
            builder.setup()
            # Memory as the market grows: one server follows the market from its start, as a
            # server does (a fresh server's catch-up reads the whole bench market in one batch).
            sizes = []
            follower, base = bench.serve(f"sqlite:///{state / 'follower.db'}")
            try:
                for size in stage_sizes(args.jobs, args.stages):
                    builder.add_jobs(size - builder.jobs)
                    head = int(w3.eth.block_number)
                    wait_indexed(base, head, follower, timeout=args.index_timeout)
                    grown = {
                        "jobs": builder.jobs,
                        "tiles": builder.tiles,
                        **bench.exercise(base, follower, args.rss_seconds),
                    }
                    sizes.append(grown)
                    _progress(f"{size} jobs, following: rss {grown['rss_mb']} MiB")
            finally:
                stop_server(follower)
            report["build"] = {
                "jobs": builder.jobs,
                "tiles": builder.tiles,
                "workers": builder.workers,
                "transactions": builder.transactions,
                "seconds": round(builder.seconds, 1),
                "blocks": int(w3.eth.block_number),
                "windows_seconds": WINDOW,
            }
            databases = {"sqlite": bench.measure("sqlite", f"sqlite:///{state / 'fresh.db'}")}
            _progress(f"sqlite: {_line(databases['sqlite'])}")
            if not args.no_postgres:
                with postgres_database() as url:
                    databases["postgresql"] = bench.measure("postgresql", url)
                _progress(f"postgresql: {_line(databases['postgresql'])}")
            ledger = bench.audit_ledger() if not args.no_audit_ledger else None
            _progress(f"audit ledger: {ledger}")
        finally:
            devnet.down()
    full = databases["sqlite"]
    report.update(
        {
            "jobs": full["jobs"],
            "tiles": full["tiles"],
            "workers": args.workers,
            "api_p50_ms": {db: m["load"]["p50_ms"] for db, m in databases.items()},
            "api_p99_ms": {db: m["load"]["p99_ms"] for db, m in databases.items()},
            "index_events_per_second": {
                db: m["index_events_per_second"] for db, m in databases.items()
            },
            "ledger_seconds": ledger["seconds"] if ledger else None,
            "server_ledger_csv_seconds": {
                db: m.get("server_ledger_csv_seconds") for db, m in databases.items()
            },
            "server_rss_mb": {str(m["jobs"]): m["rss_mb"] for m in sizes},
            "sizes": [{k: v for k, v in m.items() if k != "load"} | _brief(m) for m in sizes],
            "server_rss_mb_after_catch_up": {
                db: m["rss_mb_after_catch_up"] for db, m in databases.items()
            },
            "databases": databases,
            "audit_ledger": ledger,
        }
    )
    report["machine"]["loadavg_after"] = os.getloadavg()
    rss = [m["rss_mb"] for m in sizes]
    report["meets_targets"] = {
        "api_p99": {
            db: m["load"]["p99_ms"] < P99_TARGET_MS and not m["load"]["errors"]
            for db, m in databases.items()
        },
        "ledger": ledger is not None
        and ledger["seconds"] is not None
        and ledger["seconds"] < LEDGER_TARGET_SECONDS,
        "rss_flat": max(rss) <= RSS_FLAT_RATIO * min(rss),
    }
    return report


def _brief(measured: dict[str, Any]) -> dict[str, Any]:
    load = measured["load"]
    return {"load": {k: load[k] for k in ("requests", "achieved_rps", "p50_ms", "p99_ms")}}


def _line(m: dict[str, Any]) -> str:
    return (
        f"{m['events']} events in {m['catch_up_seconds']} s "
        f"({m['index_events_per_second']}/s), p50 {m['load']['p50_ms']} ms, "
        f"p99 {m['load']['p99_ms']} ms, rss {m['rss_mb']} MiB"
    )


def _progress(line: str) -> None:
    print(f"bench.scale: {line}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--tiles-per-job", type=int, default=100)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--stages", type=int, default=3, help="market sizes measured")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="load on the whole market")
    parser.add_argument("--rss-seconds", type=float, default=5.0, help="load at smaller sizes")
    parser.add_argument("--connections", type=int, default=32, help="most requests in flight")
    parser.add_argument("--index-timeout", type=float, default=1_800.0)
    parser.add_argument("--ledger-timeout", type=float, default=900.0)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-audit-ledger", action="store_true")
    parser.add_argument(
        "--no-server-ledger", dest="server_ledger", action="store_false",
        help="skip timing the server's /api/ledger CSV",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        keys = ("jobs", "tiles", "api_p50_ms", "api_p99_ms", "index_events_per_second")
        for key in (*keys, "ledger_seconds", "server_rss_mb", "meets_targets"):
            print(f"{key}: {report[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
