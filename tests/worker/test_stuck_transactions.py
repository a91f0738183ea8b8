"""Transactions that do not go as planned never hold the worker up, nor go out where they must
not: one a reorganisation removed is not sent again behind the chain check's back, one the node
refuses gives its nonce to an empty transfer, one stuck in the node's pool lets the loop go on,
and a reveal mined in the window's last block counts even when the worker sees it later."""

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from render_worker.chain import calls
from render_worker.chain.purposes import Purpose
from render_worker.chain.sender import TxPending, TxSender
from render_worker.daemon import WorkerDaemon
from render_worker.state.stages import Stage
from tests.worker.conftest import Stack, tiny_job, worker_daemon
from tests.worker.test_transactions_in_flight import mined_on_demand
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.chain]

AMOUNT = 10**15


def _sender(worker: WorkerDaemon, receipt_timeout: float = 30) -> TxSender:
    return TxSender(
        worker.w3, worker.market, worker.account, worker.state, receipt_timeout=receipt_timeout
    )


def _rpc(stack: Stack, method: str, *params: object) -> Any:
    answer = stack.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    return answer["result"]


def test_a_mined_transaction_a_reorganisation_removed_is_sent_again_only_by_the_chain_check(
    own_stack: Stack, tmp_path: Path
) -> None:
    worker = worker_daemon(own_stack, tmp_path, 3)
    sender, market, w3 = _sender(worker), own_stack.market, own_stack.w3
    before = market.account(worker.me).stake
    snapshot = _rpc(own_stack, "evm_snapshot")
    removed = sender.submit(calls.stake(AMOUNT, "removed"))
    (mined,) = sender.collect()
    assert mined.status == "mined"
    with mined_on_demand(own_stack):
        assert _rpc(own_stack, "evm_revert", snapshot) is True  # its block is gone
        later = sender.submit(calls.stake(AMOUNT, "later"))
        assert later.nonce == removed.nonce + 1
        # The later nonce waits for the removed one: `collect` passes, seconds apart, do not
        # send it (the chain check decides whether what it was for still exists).
        assert sender.collect() == []
        time.sleep(2.5)
        assert sender.collect() == []
        _rpc(own_stack, "evm_mine")
        assert w3.eth.get_transaction_count(worker.account.address, "latest") == removed.nonce
    # The chain check finds it removed, and here what it was for is gone: an empty transfer
    # takes its nonce, and the later one is mined after it.
    (filler,) = sender.reconcile(mined.block_number or 0, void=lambda _purpose: True)
    assert filler.purpose == Purpose.filler(removed.nonce).key and filler.status == "mined"
    assert sender.send(calls.stake(AMOUNT, "later")).tx_hash == later.tx_hash
    assert market.account(worker.me).stake == before + AMOUNT


def test_a_transaction_the_node_refuses_gives_its_nonce_to_an_empty_transfer(
    own_stack: Stack, tmp_path: Path
) -> None:
    worker = worker_daemon(own_stack, tmp_path, 4)
    sender, w3 = _sender(worker), own_stack.w3
    balance = w3.eth.get_balance(worker.account.address)
    # All of its ETH: enough for the value the call is simulated with, not for gas on top.
    assert not sender.try_send(calls.stake(balance - 1, "everything"))
    refused = sender.sent("stake:everything")
    assert refused is not None and refused.status == "dropped"
    filler = sender.sent(Purpose.filler(refused.nonce))
    assert filler is not None
    sender.collect()
    assert sender.sent(Purpose.filler(refused.nonce)).status == "mined"  # type: ignore[union-attr]
    # No gap is left: the next transaction is mined at once.
    after = sender.send(calls.stake(AMOUNT, "after"))
    assert after.nonce == refused.nonce + 1 and after.status == "mined"


def test_a_transaction_not_mined_within_the_receipt_timeout_is_left_to_collect(
    own_stack: Stack, tmp_path: Path
) -> None:
    worker = worker_daemon(own_stack, tmp_path, 5)
    sender = _sender(worker, receipt_timeout=1)
    with mined_on_demand(own_stack):
        with pytest.raises(TxPending):
            sender.send(calls.stake(AMOUNT, "slow"))
        row = sender.sent("stake:slow")
        assert row is not None and row.status == "sent"
        _rpc(own_stack, "evm_mine")
    (collected,) = sender.collect()
    assert (collected.purpose, collected.status) == ("stake:slow", "mined")


def test_a_reveal_mined_before_the_window_closed_counts_when_the_worker_sees_it_after(
    own_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Last in the file: it moves the chain's clock ahead of the wall clock."""
    market, w3 = own_stack.market, own_stack.w3
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 1), samples=2, windows=(20, 20)
    )
    worker = worker_daemon(own_stack, tmp_path, 2)
    worker.bidder.warm = lambda _job_id, _cid: None  # no Blender child: nothing is rendered
    monkeypatch.setattr(worker.bidder, "settle", lambda *_args: None)  # the job stays in bidding
    accounts: Sequence[str] = w3.eth.accounts
    job_id, _ = market.post_job(accounts[1], params, manifest_cid)
    job = market.job(job_id)
    worker.step()  # sees the job and commits a bid (mined at once)
    worker.step()  # finds it mined
    assert worker.state.job(job_id).stage == Stage.BID  # type: ignore[union-attr]
    _rpc(own_stack, "evm_setNextBlockTimestamp", job.bid_end + 1)
    _rpc(own_stack, "evm_mine")
    worker.step()  # reveals, mined at once, before the reveal window's end
    reveal = worker.sender.sent(Purpose.parse(f"revealBid:{job_id}"))
    assert reveal is not None
    receipt = w3.eth.get_transaction_receipt(reveal.tx_hash)  # type: ignore[arg-type]
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] < job.reveal_end
    _rpc(own_stack, "evm_setNextBlockTimestamp", job.reveal_end + 1)
    _rpc(own_stack, "evm_mine")
    worker.step()  # the window is over when the worker collects its reveal
    assert worker.state.job(job_id).stage == Stage.REVEALED  # type: ignore[union-attr]
