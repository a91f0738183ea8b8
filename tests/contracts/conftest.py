"""Role fixtures for contract tests: each role is its own funded dev account."""

import pytest


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    """Every test starts from the same chain state."""


@pytest.fixture
def deployer(accounts):
    return accounts[0]


@pytest.fixture
def stranger(accounts):
    return accounts[9]
