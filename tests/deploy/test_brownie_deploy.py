"""`brownie run deploy --network tilefarm-sepolia`: the committed network config imports into
Brownie, and the script deploys from the keystore and writes the same deployments file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import ETHER, PASSWORD, SEPOLIA, RemoteChain, make_keystore
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.remote import production_market_config
from tilefarm.adapters.paths import PROJECT_ROOT

pytestmark = pytest.mark.chain

BROWNIE = str(Path(sys.executable).parent / "brownie")


def _brownie(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BROWNIE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_brownie_imports_the_networks_and_deploys_from_the_keystore(
    remote_chain: RemoteChain, tmp_path: Path
) -> None:
    keystore = tmp_path / "deployer.json"
    deployer = make_keystore(keystore)
    remote_chain.fund(deployer, ETHER)
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),  # Brownie's own data folder, not the user's
        "TILEFARM_SEPOLIA_RPC_URL": remote_chain.rpc_url,
        "TILEFARM_DEPLOYER_KEYSTORE": str(keystore),
        "TILEFARM_DEPLOYER_PASSWORD": PASSWORD,
        "TILEFARM_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
    }
    (tmp_path / "home").mkdir()
    imported = _brownie("networks", "import", "network-config.yaml", env=env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = _brownie("networks", "list", env=env).stdout
    for network in ("tilefarm-sepolia", "tilefarm-base-sepolia", "tilefarm-arbitrum-sepolia",
                    "tilefarm-op-sepolia"):  # fmt: skip
        assert network in listed

    run = _brownie("run", "deploy", "--network", "tilefarm-sepolia", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "JobMarket: deployed" in run.stdout
    deployments = read_deployments(tmp_path / "deployments" / f"{SEPOLIA}.json")
    assert deployments.deployer == deployer
    market = JobMarketClient.from_deployments(remote_chain.w3, deployments)
    assert market.config() == production_market_config(deployer)

    wrong = _brownie("run", "deploy", "--network", "tilefarm-sepolia",
                     env={**env, "TILEFARM_DEPLOYER_PASSWORD": "guess"})  # fmt: skip
    assert "wrong password for the keystore" in wrong.stdout + wrong.stderr
