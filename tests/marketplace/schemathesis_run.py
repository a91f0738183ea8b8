"""`make schemathesis`: fuzz the marketplace's OpenAPI schema against a real server: no 5xx, and
every answer has a documented status code, content type and body schema.

Starts a devnet of its own (anvil + Kubo + contracts on free loopback ports, in a temporary
folder), a market with a few indexed jobs, and the server under uvicorn, then runs schemathesis
from its own tool environment (its pins clash with Brownie's) with a bounded number of examples.
Left out: the scene upload (each example would start a Blender child; its bad-input cases have
their own tests) and the live stream (it stays open while a job runs, by design).

    python -m tests.marketplace.schemathesis_run --st .tools/schemathesis/bin/st
"""

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from tests.conftest import fresh_stack_settings
from tests.marketplace.market import Bid, Market, auction, deploy_market, random_history, stake_all
from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.devnet.ports import free_port

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def _gpu_workers(market: Market) -> None:
    """Hardware declared (a GPU, the CPU) and a seat given back for its GPU's failure, so that
    the workers' and seats' bodies carry them."""
    stake_all(market)
    gpu, cpu = market.workers[:2]
    market.client.declare_hardware(gpu, BACKEND_CODES["CUDA"], 8_192)
    market.client.declare_hardware(cpu, BACKEND_CODES["CPU"], 0)
    job_id = auction(market, [Bid(gpu, 10**14, 2)], tiles=2)
    market.client.abandon_seat(gpu, job_id, AbandonCause.GPU_OUT_OF_MEMORY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--st", required=True, type=Path, help="the schemathesis CLI (st)")
    parser.add_argument("--max-examples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2)  # its history opens and pays a round
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tilefarm-st-") as tmp:
        state = Path(tmp)
        devnet = Devnet(fresh_stack_settings(state / "stack"))
        status = devnet.up()
        try:
            assert status.rpc_url and status.ipfs_api_url
            market = deploy_market(status.rpc_url, state / "deployments")
            random_history(market, random.Random(args.seed), jobs=2)
            _gpu_workers(market)
            port = free_port()
            settings = MarketplaceSettings(
                state_dir=state / "server",
                ipfs_api_url=status.ipfs_api_url,
                rpc_url=status.rpc_url,
                deployments_file=market.deployments_file,
                poll_interval=0.1,
                port=port,
                # Every generated upload reaches intake (the limits have tests of their own).
                upload_rate_per_minute=1e6,
                upload_bytes_per_minute=1 << 40,
            )
            config = uvicorn.Config(
                create_app(settings), host="127.0.0.1", port=port, log_level="warning"
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            base = f"http://127.0.0.1:{port}"
            _wait_indexed(base, market.head())
            try:
                command = [
                    str(args.st.resolve()),
                    "run",
                    f"{base}/openapi.json",
                    "--checks",
                    ",".join(CHECKS),
                    "--max-examples",
                    str(args.max_examples),
                    "--seed",
                    str(args.seed),
                    "--workers",
                    "2",
                    "--request-timeout",
                    "10",
                    "--generation-database",
                    "none",  # leaves no .schemathesis/ folder in the work tree
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--exclude-path-regex",
                    r"/events/stream$|^/api/scenes$",
                ]
                print("+", " ".join(command), flush=True)
                # In the temporary folder: schemathesis keeps a cache where it runs.
                return subprocess.run(command, check=False, cwd=tmp).returncode
            finally:
                server.should_exit = True
                thread.join(10)
        finally:
            devnet.down()


def _wait_indexed(base: str, head: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/indexer", timeout=2).json()["next_block"] > head:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not index block {head} in {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
