"""The server and a worker take an RPC URL and a deployments file, and nothing else, to work on a
deployment that is not the devnet's: the server indexes the remote market and reports its chain,
a node operator inits and stakes against it, and each sees the other's doings through the chain."""

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from tests.deploy.conftest import SEPOLIA, RemoteChain
from tests.worker.conftest import PASSWORD, dev_account, wait_until
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import Deployments
from tilefarm.adapters.chain.events import JobParams
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.ipfs]

WORKER_CLI = str(Path(sys.executable).parent / "render-worker")


def _worker(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD}
    return subprocess.run([WORKER_CLI, *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_server_and_a_worker_work_on_the_remote_deployment(
    remote_chain: RemoteChain,
    remote_deployment: tuple[Path, Deployments],
    devnet: StackStatus,
    tmp_path: Path,
) -> None:
    file, deployments = remote_deployment
    market = JobMarketClient.from_deployments(remote_chain.w3, deployments)
    assert devnet.ipfs_api_url
    settings = MarketplaceSettings(
        state_dir=tmp_path / "server",
        rpc_url=remote_chain.rpc_url,
        deployments_file=file,
        ipfs_api_url=devnet.ipfs_api_url,
        poll_interval=0.2,
    )
    with TestClient(create_app(settings)) as api:
        health = api.get("/api/health").json()
        assert health["status"] == "ok", health
        assert health["chain"] == f"chain {SEPOLIA}"

        operator = dev_account(4)
        init = _worker(
            "init", "--import-key", "--config", "w.toml", "--state-dir", "s",
            "--rpc-url", remote_chain.rpc_url, "--ipfs-api-url", devnet.ipfs_api_url,
            "--deployments", str(file), cwd=tmp_path, stdin=operator.key.hex() + "\n",
        )  # fmt: skip
        assert init.returncode == 0, init.stderr
        min_stake = market.config().min_stake
        staked = _worker("stake", str(min_stake / 10**18), "--config", "w.toml", cwd=tmp_path)
        assert staked.returncode == 0, staked.stderr
        assert market.account(operator.address).stake == min_stake

        accounts: Sequence[str] = remote_chain.w3.eth.accounts  # web3 types it as a 1-tuple
        artist = accounts[1]
        params = JobParams(
            tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
            bid_bond=10**14, bid_window=3_600, reveal_window=3_600, render_window=7_200,
            verify_window=7_200,
        )  # fmt: skip
        job_id, _ = market.post_job(artist, params, "bafy-remote-manifest")

        def indexed() -> bool:
            job = api.get(f"/api/jobs/{job_id}")
            worker = api.get(f"/api/workers/{operator.address}")
            return bool(
                job.status_code == 200
                and worker.status_code == 200
                and worker.json()["stake"] == str(min_stake)
            )

        wait_until(indexed, 60, "the server to index the remote market")
        job = api.get(f"/api/jobs/{job_id}").json()
        assert job["artist"] == artist and job["status"] == "Bidding"
        assert job["manifest_cid"] == "bafy-remote-manifest"
        assert job["deposit"] == str(market.quote(4, 10**15, 10**12))

    status = _worker("status", "--json", "--config", "w.toml", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f'"stake_wei": {min_stake}' in status.stdout
