"""The demo's node operators: one `render-worker` subprocess per anvil development account,
set up the way docs/worker.md tells an operator to (`init --import-key`, `stake`, `run`)."""

import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from eth_account.signers.local import LocalAccount

from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup, finish, program, run_once
from tilefarm_cli.devnet.ports import free_port

ARTIST_ACCOUNT = 1
FIRST_WORKER_ACCOUNT = 2
# Pricing needs this machine's speed; a fixed figure (pixel-samples per minute of one CPU
# thread on the showcase scene, measured on a 2-core machine) spares each worker a benchmark.
DEMO_SPEED = 30_000_000.0
BASE_RATE_WEI = 10**14  # wei per render-second of the cheapest worker
METRIC = re.compile(r"^(tilefarm_worker_[a-z_]+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+-]+)$")


@dataclass
class DemoWorker:
    """One worker process: its key, its folder and where its metrics are served."""

    number: int
    account: LocalAccount
    home: Path
    metrics_port: int
    rate_wei: int

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def config(self) -> Path:
        return self.home / "worker.toml"

    @property
    def log(self) -> Path:
        return self.home / "worker.log"

    def env(self, options: DemoOptions, password: str) -> dict[str, str]:
        """RENDER_WORKER_* settings that take precedence over the config file."""
        pricing = {
            "wei_per_render_second": self.rate_wei,
            "max_queue_tiles": options.tiles_per_worker,
        }
        return {
            "RENDER_WORKER_PASSWORD": password,
            "RENDER_WORKER_CONFIRMATIONS": "0",
            "RENDER_WORKER_POLL_SECONDS": str(options.poll_seconds),
            "RENDER_WORKER_THREADS": str(options.worker_threads),
            "RENDER_WORKER_PIXEL_SAMPLES_PER_MINUTE": str(DEMO_SPEED),
            "RENDER_WORKER_METRICS_PORT": str(self.metrics_port),
            "RENDER_WORKER_AUTO_WITHDRAW_WEI": "1",
            "RENDER_WORKER_PRICING": json.dumps(pricing),
        }

    def metrics(self, http: httpx.Client) -> dict[str, float] | None:
        """The worker's Prometheus counters, or None while it does not answer. `http` is kept
        open by the caller: a new client a call builds a TLS context each time, and that cost a
        fifth of a core the demo's renders need."""
        try:
            text = http.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return None
        values: dict[str, float] = {}
        for line in text.splitlines():
            if (match := METRIC.match(line)) is not None:
                values[match[1]] = values.get(match[1], 0.0) + float(match[2])
        return values


def plan_workers(options: DemoOptions) -> list[DemoWorker]:
    """Workers 1..n on accounts 2..n+1, each a little dearer than the one before."""
    return [
        DemoWorker(
            number=n,
            account=dev_account(FIRST_WORKER_ACCOUNT + n - 1),
            home=options.state_dir / "workers" / f"worker-{n}",
            metrics_port=free_port(options.host),
            rate_wei=BASE_RATE_WEI * (10 + n - 1) // 10,
        )
        for n in range(1, options.workers + 1)
    ]


def set_up(
    workers: list[DemoWorker],
    options: DemoOptions,
    rpc_url: str,
    ipfs_api_urls: Mapping[int, str],
    deployments: Path,
    stake_wei: int,
    password: str,
) -> None:
    """`render-worker init --import-key`, then `render-worker stake`, for every worker at once;
    each worker's config names its own IPFS node (`ipfs_api_urls`, by worker number)."""
    cli = program("render-worker")

    def init(w: DemoWorker) -> None:
        argv = [
            cli, "init", "--config", str(w.config), "--state-dir", str(w.home),
            "--rpc-url", rpc_url, "--ipfs-api-url", ipfs_api_urls[w.number],
            "--deployments", str(deployments), "--import-key",
        ]  # fmt: skip
        key = w.account.key.hex()
        finish(f"worker {w.number} init", run_once("init", argv, w.log, w.env(options, password),
                                                   stdin=key + "\n"), w.log)  # fmt: skip
        # Staking goes through the chain; a decimal string keeps every wei of it.
        eth = str(Decimal(stake_wei) / Decimal(10**18))
        argv = [cli, "stake", eth, "--config", str(w.config)]
        finish(f"worker {w.number} stake", run_once("stake", argv, w.log,
                                                    w.env(options, password)), w.log)  # fmt: skip

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        for future in [pool.submit(init, w) for w in workers]:
            future.result()


def start(
    group: ProcessGroup, workers: list[DemoWorker], options: DemoOptions, password: str
) -> None:
    """`render-worker run` for each worker, in the background."""
    cli = program("render-worker")
    for w in workers:
        group.start(
            f"worker {w.number}", [cli, "run", "--config", str(w.config)], w.log,
            w.env(options, password),
        )  # fmt: skip
