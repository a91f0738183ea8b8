"""Following logs on a real anvil: confirmations respected, reorganisations found and undone."""

import time
from collections.abc import Sequence

import pytest
from web3 import Web3
from web3.contract import Contract

from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.deploy import Step, deploy
from tilefarm.adapters.chain.follower import Cursor, HeadWatcher, LogFollower, ReorgTooDeep
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.settings import TilefarmSettings

pytestmark = pytest.mark.chain


@pytest.fixture
def w3(devnet: StackStatus) -> Web3:
    return Web3(Web3.HTTPProvider(devnet.rpc_url))


@pytest.fixture
def beacon(w3: Web3, stack_settings: TilefarmSettings) -> Contract:
    """A HealthCheck of this test's own, so no other test's logs mix in."""
    deployed = deploy(
        w3,
        w3.eth.accounts[0],
        stack_settings.build_dir,
        [Step("HealthCheck", lambda _done, _deployer: ("follower test",))],
    )
    abi = load_artifact("HealthCheck", stack_settings.build_dir).abi
    return w3.eth.contract(
        address=Web3.to_checksum_address(deployed.address("HealthCheck")), abi=abi
    )


def _ping(w3: Web3, beacon: Contract, sender: int = 1) -> None:
    tx = beacon.functions.ping().transact({"from": w3.eth.accounts[sender]})
    w3.eth.wait_for_transaction_receipt(tx)


def _senders(w3: Web3, beacon: Contract, logs: list[dict[str, object]]) -> list[str]:
    return [beacon.events.Pinged().process_log(entry)["args"]["sender"] for entry in logs]


def test_logs_arrive_once_in_order_across_polls(w3: Web3, beacon: Contract) -> None:
    follower = LogFollower(w3, beacon.address, max_range=1)
    cursor = Cursor(next_block=w3.eth.block_number)
    for sender in (1, 2, 3):
        _ping(w3, beacon, sender)
    seen: list[str] = []
    while cursor.next_block <= w3.eth.block_number:
        batch = follower.poll(cursor)
        assert batch.reorged_from is None
        seen += _senders(w3, beacon, batch.logs)
        cursor = batch.cursor
    assert seen == [w3.eth.accounts[i] for i in (1, 2, 3)]
    assert follower.poll(cursor).logs == []


def test_only_confirmed_blocks_are_delivered(w3: Web3, beacon: Contract) -> None:
    follower = LogFollower(w3, beacon.address, confirmations=2)
    cursor = Cursor(next_block=w3.eth.block_number + 1)
    _ping(w3, beacon)
    assert follower.poll(cursor).logs == []
    w3.provider.make_request("anvil_mine", [2])  # type: ignore[arg-type]
    assert len(follower.poll(cursor).logs) == 1


def test_a_reorganisation_is_found_and_delivery_restarts_after_the_common_ancestor(
    w3: Web3, beacon: Contract
) -> None:
    follower = LogFollower(w3, beacon.address)
    cursor = Cursor(next_block=w3.eth.block_number + 1)
    fork_point = w3.eth.block_number
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    _ping(w3, beacon, 1)
    _ping(w3, beacon, 1)
    before = follower.poll(cursor)
    assert _senders(w3, beacon, before.logs) == [accounts[1]] * 2

    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    for sender in (4, 5, 6):
        _ping(w3, beacon, sender)
    after = follower.poll(before.cursor)
    assert after.reorged_from == fork_point + 1
    assert _senders(w3, beacon, after.logs) == [w3.eth.accounts[i] for i in (4, 5, 6)]


def test_a_block_replaced_at_the_same_height_is_found_while_following_the_head(
    w3: Web3, beacon: Contract
) -> None:
    follower = LogFollower(w3, beacon.address)
    cursor = follower.poll(Cursor(next_block=w3.eth.block_number + 1)).cursor
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    _ping(w3, beacon, 1)
    replaced = follower.poll(cursor)
    assert _senders(w3, beacon, replaced.logs) == [accounts[1]]

    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    _ping(w3, beacon, 2)  # the same height, another block
    same_height = follower.poll(replaced.cursor)
    assert same_height.reorged_from == replaced.cursor.next_block - 1
    assert _senders(w3, beacon, same_height.logs) == [accounts[2]]
    _ping(w3, beacon, 3)  # and one on top of it: no reorganisation now
    on_top = follower.poll(same_height.cursor)
    assert on_top.reorged_from is None
    assert _senders(w3, beacon, on_top.logs) == [accounts[3]]


def test_following_the_head_costs_two_requests_a_block(w3: Web3, beacon: Contract) -> None:
    """Every worker and indexer polls at every block: on a metered RPC provider, requests are
    what an operator pays for."""
    counted = Web3(Web3.HTTPProvider(w3.provider.endpoint_uri))  # type: ignore[attr-defined]
    methods: list[str] = []
    send = counted.provider.make_request

    def counting(method: str, params: object) -> object:
        methods.append(method)
        return send(method, params)  # type: ignore[arg-type]

    counted.provider.make_request = counting  # type: ignore[method-assign,assignment]
    follower = LogFollower(counted, beacon.address)
    cursor = follower.poll(Cursor(next_block=w3.eth.block_number + 1)).cursor
    for sender in (1, 2):
        _ping(w3, beacon, sender)
        methods.clear()
        batch = follower.poll(cursor)
        assert _senders(w3, beacon, batch.logs) == [w3.eth.accounts[sender]]
        assert methods == ["eth_getBlockByNumber", "eth_getLogs"]
        cursor = batch.cursor
    methods.clear()
    assert follower.poll(cursor).logs == []
    assert methods == ["eth_getBlockByNumber"]  # nothing new: one request


def test_a_reorganisation_deeper_than_the_memory_is_refused_loudly(
    w3: Web3, beacon: Contract
) -> None:
    follower = LogFollower(w3, beacon.address, keep=1)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    _ping(w3, beacon)
    batch = follower.poll(Cursor(next_block=w3.eth.block_number))
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    w3.provider.make_request("anvil_mine", [3])  # type: ignore[arg-type]
    with pytest.raises(ReorgTooDeep, match="resynchronise"):
        follower.poll(batch.cursor)


def test_new_blocks_wake_the_head_watcher(devnet: StackStatus, w3: Web3) -> None:
    assert devnet.ws_url
    watcher = HeadWatcher(devnet.ws_url, retry_seconds=0.2).start()
    try:
        deadline = time.monotonic() + 10
        while not watcher.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.connected
        w3.provider.make_request("anvil_mine", [1])  # type: ignore[arg-type]
        assert watcher.wait(timeout=10)
    finally:
        watcher.stop()


def test_an_unreachable_websocket_leaves_the_consumer_polling() -> None:
    watcher = HeadWatcher("ws://127.0.0.1:9", retry_seconds=0.1).start()
    try:
        assert not watcher.wait(timeout=0.5)
        assert not watcher.connected
    finally:
        watcher.stop()
