"""Deploys tilefarm's contracts on a Brownie network: `brownie run deploy --network <id>`.

On a development network (a chain Brownie starts and throws away) the first unlocked account
deploys the devnet plan and nothing is written.

On a live network (see network-config.yaml: `brownie networks import network-config.yaml`) the key
comes from the encrypted keystore named by TILEFARM_DEPLOYER_KEYSTORE (password from
TILEFARM_DEPLOYER_PASSWORD, else a prompt), the market gets the production parameters of
`tilefarm.adapters.chain.remote.production_market_config` (treasury: TILEFARM_TREASURY, default the
deployer), and `deployments/<chain id>.json` is written for the worker, the server and the
auditor. A re-run deploys only what is missing. `tilefarm deploy` does the same without Brownie;
docs/deploy.md explains both.
"""

import getpass
import os
from pathlib import Path

from brownie import HealthCheck, JobMarket, PanelCourt, RoundKeeper, accounts, web3
from brownie._config import CONFIG

from tilefarm import PROTOCOL_VERSION
from tilefarm.adapters.chain.deploy import devnet_market_config
from tilefarm.adapters.chain.remote import (
    DeployError,
    check_randomness,
    deploy_signed,
    production_plan,
    unlock_keystore,
)
from tilefarm.adapters.paths import BUILD_DIR, PROJECT_ROOT


def _is_development() -> bool:
    return bool(CONFIG.network_type == "development")


def _deploy_development():
    deployer = accounts[0]
    HealthCheck.deploy(PROTOCOL_VERSION, {"from": deployer})
    config = devnet_market_config(deployer.address)
    court = PanelCourt.deploy(config, {"from": deployer})
    keeper = RoundKeeper.deploy(config, {"from": deployer})
    market = JobMarket.deploy(config, court, keeper, {"from": deployer})
    print(f"JobMarket at {market.address} (development chain: no deployments file written)")
    return market


def _deploy_live():
    network = CONFIG.active_network
    expected = int(network["chainid"])
    check_randomness(expected)
    if web3.chain_id != expected:
        raise DeployError(
            f"network {network['id']} is chain {expected}, but its RPC serves chain "
            f"{web3.chain_id}; fix the network's host"
        )
    keystore = os.environ.get("TILEFARM_DEPLOYER_KEYSTORE")
    if not keystore:
        raise DeployError("set TILEFARM_DEPLOYER_KEYSTORE to the deployer's keystore JSON")
    password = os.environ.get("TILEFARM_DEPLOYER_PASSWORD") or getpass.getpass(
        "keystore password: "
    )
    account = unlock_keystore(Path(keystore), password)
    treasury = os.environ.get("TILEFARM_TREASURY") or account.address
    out_dir = Path(os.environ.get("TILEFARM_DEPLOYMENTS_DIR") or PROJECT_ROOT / "deployments")
    deployments = deploy_signed(
        web3,
        account,
        BUILD_DIR,
        production_plan(treasury),
        out_dir,
        on_step=lambda s: print(f"{s.name}: {s.outcome} at {s.contract.address}"),
    )
    print(f"deployments written to {out_dir / f'{deployments.chain_id}.json'}")
    return deployments


def main():
    return _deploy_development() if _is_development() else _deploy_live()
