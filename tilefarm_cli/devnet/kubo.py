"""The IPFS node of the local stack: Kubo, offline, every address on loopback, its own repo."""

import json
import os
import subprocess
from pathlib import Path

from tilefarm.adapters.ipfs import KuboClient
from tilefarm_cli.devnet.errors import DevnetError
from tilefarm_cli.settings import TilefarmSettings


def kubo_env(repo: Path) -> dict[str, str]:
    return {**os.environ, "IPFS_PATH": str(repo), "IPFS_TELEMETRY": "off"}


def init_repo(settings: TilefarmSettings, repo: Path) -> None:
    """Create the Kubo repo once (test profile: no bootstrap peers, no mDNS), then set the API and
    gateway addresses to this stack's loopback ports every time."""
    env = kubo_env(repo)
    ipfs = str(settings.ipfs_bin)
    if not (repo / "config").is_file():
        repo.mkdir(parents=True, exist_ok=True)
        _run([ipfs, "init", "--profile", "test", "--empty-repo"], env)
    config = {
        "Addresses.API": f"/ip4/{settings.host}/tcp/{settings.ipfs_api_port}",
        "Addresses.Gateway": f"/ip4/{settings.host}/tcp/{settings.ipfs_gateway_port}",
        "Addresses.Swarm": [],
        "Bootstrap": [],
    }
    for key, value in config.items():
        if isinstance(value, str):
            _run([ipfs, "config", key, value], env)
        else:
            _run([ipfs, "config", "--json", key, json.dumps(value)], env)


def kubo_argv(settings: TilefarmSettings) -> list[str]:
    return [str(settings.ipfs_bin), "daemon", "--offline"]


def probe(api_url: str) -> str:
    """The Kubo version answering at `api_url`."""
    with KuboClient(api_url, timeout=2.0) as client:
        return client.version()


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise DevnetError(f"`{' '.join(argv)}` failed: {result.stderr.strip() or result.stdout}")
