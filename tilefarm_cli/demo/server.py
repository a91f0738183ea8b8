"""The marketplace server of the demo: `tilefarm serve` in the background, its indexer following
the demo chain's market, answering once its health route says IPFS and the chain are reachable."""

import time
from pathlib import Path

import httpx

from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup, program
from tilefarm_cli.devnet.process import ManagedProcess, tail


def start_server(
    group: ProcessGroup,
    options: DemoOptions,
    rpc_url: str,
    ws_url: str,
    ipfs_api_url: str,
    deployments: Path,
) -> ManagedProcess:
    home = options.state_dir / "marketplace"
    env = {
        "TILEFARM_SERVER_STATE_DIR": str(home),
        "TILEFARM_SERVER_RPC_URL": rpc_url,
        "TILEFARM_SERVER_WS_URL": ws_url,
        "TILEFARM_SERVER_IPFS_API_URL": ipfs_api_url,
        "TILEFARM_SERVER_DEPLOYMENTS_FILE": str(deployments),
        "TILEFARM_SERVER_CONFIRMATIONS": "0",
        "TILEFARM_SERVER_POLL_INTERVAL": str(min(options.poll_seconds * 2, 1.0)),
    }
    argv = [
        program("tilefarm"),
        "serve",
        "--host",
        options.host,
        "--port",
        str(options.server_port),
    ]
    return group.start("marketplace server", argv, home / "server.log", env)


def wait_until_serving(proc: ManagedProcess, api: httpx.Client, timeout: float = 60.0) -> None:
    """Block until the server answers `/api/health` and its indexer runs."""
    deadline = time.monotonic() + timeout
    problem = "no answer yet"
    while time.monotonic() < deadline:
        if not proc.is_running():
            raise DemoError(
                f"the marketplace server exited; its log {proc.log} ends:\n{tail(proc.log)}"
            )
        try:
            health = api.get("/api/health")
            indexer = api.get("/api/indexer")
            if health.status_code == 200 and indexer.json().get("enabled"):
                return
            problem = f"health {health.status_code}: {health.text[:200]}"
        except (httpx.HTTPError, ValueError) as exc:
            problem = str(exc)
        time.sleep(0.3)
    raise DemoError(
        f"the marketplace server did not become ready within {timeout:.0f} s ({problem}); "
        f"see {proc.log}"
    )
