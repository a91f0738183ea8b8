"""Role fixtures for contract tests: each role is its own funded dev account.

Roles: `deployer`, `artist`, `worker`, `verifier`, `auditor`, `stranger`, plus `treasury` and two
more workers (`rival`, `spare`). `market` is deployed once per module and every test runs from a
chain snapshot. Protocol helpers (posting, bidding, error strings) live in `helpers.py`.
"""

import pytest
from brownie import JobMarket
from helpers import MIN_STAKE, market_config


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    """Every test starts from the same chain state."""


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def artist(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def worker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def verifier(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def auditor(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def rival(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def spare(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def market(deployer, treasury):
    return JobMarket.deploy(market_config(treasury), {"from": deployer})


@pytest.fixture
def staked(market, worker, verifier):
    """The worker and the verifier are staked: each is the only possible verifier of the other."""
    for who in (worker, verifier):
        market.stake({"from": who, "value": MIN_STAKE})
    return market


