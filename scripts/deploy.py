"""Deploys tilefarm's contracts on a Brownie network: `brownie run deploy --network <name>`.

On a development network (a chain Brownie starts and throws away) the first unlocked account
deploys and nothing is written. On any other network the Brownie keystore account
`tilefarm-deployer` deploys (`brownie accounts new tilefarm-deployer`) and the deployments file the
worker, the server and the auditor read is written under the state folder. The market gets the
parameters of `tilefarm.chain.deploy.devnet_market_config`, with the deployer as the treasury.
(`tilefarm devnet up` deploys the same plan with plain web3; this script is for Brownie networks.)
"""

from brownie import HealthCheck, JobMarket, accounts, web3
from brownie._config import CONFIG

from tilefarm import PROTOCOL_VERSION
from tilefarm.chain.deploy import (
    DeployedContract,
    Deployments,
    devnet_market_config,
    write_deployments,
)
from tilefarm.paths import DEFAULT_STATE_DIR


def _is_development() -> bool:
    return bool(CONFIG.network_type == "development")


def _deployer():
    return accounts[0] if _is_development() else accounts.load("tilefarm-deployer")


def _record(contract):
    tx = contract.tx
    return DeployedContract(
        address=contract.address, block_number=tx.block_number, tx_hash=str(tx.txid)
    )


def main():
    deployer = _deployer()
    beacon = HealthCheck.deploy(PROTOCOL_VERSION, {"from": deployer})
    market = JobMarket.deploy(devnet_market_config(deployer.address), {"from": deployer})
    deployments = Deployments(
        chain_id=web3.eth.chain_id,
        deployer=deployer.address,
        contracts={"HealthCheck": _record(beacon), "JobMarket": _record(market)},
    )
    if _is_development():
        print(f"JobMarket at {market.address} (development chain: no deployments file written)")
    else:
        path = write_deployments(deployments, DEFAULT_STATE_DIR / "deployments")
        print(f"JobMarket at {market.address}; deployments written to {path}")
    return deployments
