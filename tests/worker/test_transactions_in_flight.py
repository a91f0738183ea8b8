"""A worker keeps several transactions in flight: they share a block, and a worker killed while
they are in flight (one of them stored and never broadcast) sends each of them once after its
restart, with no nonce left unused."""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.daemon import WorkerDaemon
from tests.worker.conftest import PASSWORD, Stack, mining, worker_daemon

pytestmark = [pytest.mark.chain]

AMOUNT = 10**15
# A worker process that sends three stakes without waiting and is killed (SIGKILL) by the node's
# answer to a fourth: stored, never broadcast.
KILLED_IN_FLIGHT = """
import os, signal, sys
from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.node import connect
from render_worker.settings import DaemonSettings

settings = DaemonSettings.model_validate_json(sys.argv[1])
node = connect(settings, sys.argv[2])
sender = TxSender(node.w3, node.market, node.account, node.state)
for tag in ("a", "b", "c"):
    sender.submit(calls.stake(int(sys.argv[3]), tag))
sender._broadcast = lambda row: os.kill(os.getpid(), signal.SIGKILL)
sender.submit(calls.stake(int(sys.argv[3]), "d"))
"""


@contextmanager
def mined_on_demand(stack: Stack) -> Iterator[None]:
    """The chain mines only when asked (`evm_mine`, or `block_producer`), not at each
    transaction, so transactions wait in the node's pool."""
    rpc = stack.w3.provider.make_request
    rpc("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        rpc("evm_setAutomine", [True])  # type: ignore[arg-type]


@pytest.fixture
def block_producer(own_stack: Stack) -> Iterator[None]:
    """Mines a block every half second during the one test that asks for it (the file's other
    tests mine on demand, whatever order they run in)."""
    with mining(own_stack):
        yield


def _sender(worker: WorkerDaemon) -> TxSender:
    return TxSender(worker.w3, worker.market, worker.account, worker.state, receipt_timeout=30)


def test_transactions_sent_without_waiting_share_one_block_and_are_collected_once_mined(
    own_stack: Stack, tmp_path: Path
) -> None:
    worker = worker_daemon(own_stack, tmp_path, 6)
    sender, market = _sender(worker), own_stack.market
    before = market.account(worker.me).stake
    with mined_on_demand(own_stack):
        rows = [sender.submit(calls.stake(AMOUNT, tag)) for tag in ("x", "y", "z")]
        assert [row.status for row in rows] == ["sent"] * 3
        assert [row.nonce - rows[0].nonce for row in rows] == [0, 1, 2]
        assert sender.collect() == []  # nothing mined yet
        assert not sender.try_send(calls.stake(AMOUNT, "x"))  # in flight: not signed again
        own_stack.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    collected = sender.collect()
    assert sorted(row.purpose for row in collected) == ["stake:x", "stake:y", "stake:z"]
    assert {row.status for row in collected} == {"mined"}
    assert len({row.block_number for row in collected}) == 1
    assert sender.try_send(calls.stake(AMOUNT, "y"))  # mined: done, not sent again
    assert market.account(worker.me).stake == before + 3 * AMOUNT


def test_a_worker_killed_with_transactions_in_flight_sends_each_once_after_a_restart(
    own_stack: Stack, tmp_path: Path, block_producer: None
) -> None:
    worker = worker_daemon(own_stack, tmp_path, 7)
    market, w3 = own_stack.market, own_stack.w3
    before = market.account(worker.me).stake
    with mined_on_demand(own_stack):
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_IN_FLIGHT,
             json.dumps(worker.settings.model_dump(mode="json")), PASSWORD, str(AMOUNT)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    stored = {row.purpose: row for row in worker.state.txs()}
    assert sorted(stored) == ["stake:a", "stake:b", "stake:c", "stake:d"]

    restarted = _sender(worker)
    restarted.recover()
    for tag in ("a", "b", "c", "d"):  # asked again, as the loop would: nothing signed anew
        assert restarted.send(calls.stake(AMOUNT, tag)).tx_hash == stored[f"stake:{tag}"].tx_hash
    assert market.account(worker.me).stake == before + 4 * AMOUNT
    nonces = sorted(row.nonce for row in worker.state.txs())
    assert nonces == list(range(nonces[0], nonces[0] + 4))
    assert w3.eth.get_transaction_count(worker.account.address, "pending") == nonces[-1] + 1
