"""The Brownie deploy script deploys the protocol with the devnet parameters."""

import importlib.util

from brownie import JobMarket

from tilefarm.adapters.paths import PROJECT_ROOT


def test_deploy_script_deploys_a_configured_market(deployer):
    path = PROJECT_ROOT / "scripts" / "deploy.py"
    spec = importlib.util.spec_from_file_location("deploy_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    deployed = module.main()  # on a development chain: the market, no deployments file
    market = JobMarket.at(deployed.address)
    assert market.config()["treasury"] == deployer
    assert market.config()["minStake"] == 10**18
