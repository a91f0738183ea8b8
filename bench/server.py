"""The marketplace server as the benches run it: `tilefarm serve`'s app under uvicorn (one
worker) in a process of its own pinned to `SERVER_CORE`, on a devnet's chain and IPFS, and
probes of how far its indexer stands and how much memory it holds."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.load import OTHER_CORE, SERVER_CORE, pin
from tilefarm_cli.devnet import Devnet, StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings


def start_devnet(state: Path) -> tuple[Devnet, StackStatus]:
    """A devnet of the bench's own in `state` on free ports; its processes and this one pinned to
    `OTHER_CORE`, which leaves the server's core to the server ("on one core")."""
    devnet = Devnet(
        TilefarmSettings(
            state_dir=state / "stack",
            chain_port=free_port(),
            ipfs_api_port=free_port(),
            ipfs_gateway_port=free_port(),
        )
    )
    status = devnet.up()
    for pid in [0, *(p.pid for p in status.processes)]:
        pin(pid, OTHER_CORE)
    return devnet, status


def start_server(
    state: Path,
    status: Any,
    deployments: Path,
    port: int,
    database_url: str | None = None,
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server with state folder `state / "server"` on the devnet of `status` (a
    `Devnet.up()` report); its index in `database_url`, a SQLite file of its state folder when
    None; its output to `log` when given (else this process's)."""
    env = {
        **os.environ,
        "TILEFARM_SERVER_STATE_DIR": str(state / "server"),
        "TILEFARM_SERVER_RPC_URL": status.rpc_url,
        "TILEFARM_SERVER_WS_URL": status.ws_url or "",
        "TILEFARM_SERVER_IPFS_API_URL": status.ipfs_api_url,
        "TILEFARM_SERVER_DEPLOYMENTS_FILE": str(deployments),
        "TILEFARM_SERVER_POLL_INTERVAL": "0.5",
    }
    if not status.ws_url:
        env.pop("TILEFARM_SERVER_WS_URL")
    if database_url is not None:
        env["TILEFARM_SERVER_DATABASE_URL"] = database_url
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "marketplace.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if log is None:
        return subprocess.Popen(command, env=env, preexec_fn=lambda: pin(0, SERVER_CORE))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: pin(0, SERVER_CORE),
        )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


def indexed(base: str) -> tuple[int, int]:
    """The last block the server's indexer stored, and the chain head it last saw."""
    status = httpx.get(f"{base}/api/indexer", timeout=5).json()
    return int(status["next_block"]) - 1, int(status["head"])


def wait_indexed(
    base: str, head: int, server: subprocess.Popen[bytes], timeout: float = 300
) -> float:
    """Wait until the server has indexed block `head`; returns the seconds it took."""
    start = time.perf_counter()
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before indexing")
        try:
            if indexed(base)[0] >= head:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"the indexer did not catch up in {timeout:.0f} s")
        time.sleep(0.1)


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now (`rss`) and at its peak (`peak`), in MiB (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB
    return {"rss": round(fields["VmRSS"], 1), "peak": round(fields["VmHWM"], 1)}
