"""Role fixtures for contract tests: each role is its own funded dev account.

Roles: `deployer`, `artist`, `worker`, `verifier`, `auditor`, `stranger`, plus `treasury` and two
more workers (`rival`, `spare`); `helpers.crowd(n)` makes more accounts when a test needs dozens.
`market` is deployed once per module and every test runs from a chain snapshot. Protocol helpers
(posting, bidding, drawing, releasing, the money rules, error strings) live in `helpers.py`.
"""

import time
from pathlib import Path

import pytest
from helpers import MIN_STAKE, deploy_market, market_config


@pytest.fixture(scope="session", autouse=True)
def fast_snapshots():
    """Brownie takes an EVM snapshot after every transaction, through RPC helpers wrapped in a
    check that calls `inspect.stack()` (reading the source of every frame on the stack) only to
    warn about direct calls: about a fifth of the suite's time. The suite runs the unwrapped
    helpers; if Brownie changes them, nothing is patched and the suite is only slower."""
    from brownie.network.rpc import Rpc

    for name in ("snapshot", "revert", "sleep", "mine"):
        wrapped = Rpc.__dict__[name]
        cells = [c.cell_contents for c in wrapped.__closure__ or ()]
        original = next((c for c in cells if callable(c)), None)
        if original is not None and original.__name__ == name:
            setattr(Rpc, name, original)


@pytest.fixture(scope="session", autouse=True)
def receipts_before_nonces():
    """Brownie waits for a receipt by reading the sender's nonce, then the receipt, and calls the
    transaction dropped when the nonce has moved past it but no receipt is found. anvil raises the
    nonce when it executes a block a moment before it stores the block's receipts, so on a loaded
    machine an honest, mined transaction was once reported as "Tx dropped without known
    replacement". Every transaction sent to the test chain is mined (anvil mines on arrival), so
    the wait first lets its receipt appear (for at most 30 s), then runs Brownie's own."""
    from brownie.network.transaction import TransactionReceipt
    from brownie.network.web3 import web3
    from web3.exceptions import TransactionNotFound

    brownies = TransactionReceipt._await_confirmation

    def await_confirmation(self, block_number=None, required_confs=1):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if web3.eth.get_transaction_receipt(self.txid) is not None:
                    break
            except TransactionNotFound:
                pass
            time.sleep(0.02)
        return brownies(self, block_number, required_confs)

    TransactionReceipt._await_confirmation = await_confirmation
    yield
    TransactionReceipt._await_confirmation = brownies


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
    return deploy_market(market_config(treasury), deployer)


@pytest.fixture
def staked(market, worker, verifier):
    """The worker and the verifier are staked: each is the only possible verifier of the other."""
    for who in (worker, verifier):
        market.stake({"from": who, "value": MIN_STAKE})
    return market


@pytest.fixture
def state_machine():
    """Brownie's `state_machine`, loaded from its pure-Python source.

    eth-brownie 1.22.2 ships `brownie.test.stateful` compiled with mypyc, and the compiled
    `_BrownieStateMachine.__init__` rejects the machine class it generates itself
    ("_BrownieStateMachine object expected; got BrownieStateMachine"). The same module's `.py`
    source, shipped alongside,
    works unchanged, so the fixture runs that.
    """
    import importlib.util

    import brownie.test

    path = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("tilefarm_brownie_stateful", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine
