"""Two programs sending for one key from one state file (the running worker, and
`render-worker unstake` beside it) never sign one nonce twice: the nonce is chosen and its
transaction stored under the database's write lock, so the second sees the first's nonce taken
even before it is broadcast."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.state.models import TxRow
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.settings import TilefarmSettings

pytestmark = [pytest.mark.chain]

SENDS = 3  # by each program
ETHER = 10**18  # each stake: the market's minimum


def meet_when_signing(
    monkeypatch: pytest.MonkeyPatch, accounts: list[LocalAccount], patience: float = 1.0
) -> None:
    """Each account's first signature waits (up to `patience` seconds) until the other's first
    signature is under way too: two senders that chose their nonces without seeing each other
    would both be signing one nonce now. One that waits for the other's write lock instead comes
    after the wait."""
    arrived = [threading.Event() for _ in accounts]
    for me, account in enumerate(accounts):
        signing = _meeting(account.sign_transaction, arrived[me], arrived[1 - me], patience)
        monkeypatch.setattr(account, "sign_transaction", signing)


def _meeting(
    real: Callable[[Any], Any], mine: threading.Event, other: threading.Event, patience: float
) -> Callable[[Any], Any]:
    def signing(tx: Any) -> Any:
        if not mine.is_set():
            mine.set()
            other.wait(patience)
        return real(tx)

    return signing


def test_two_senders_sharing_a_state_file_take_distinct_gap_free_nonces(
    devnet: StackStatus,
    stack_settings: TilefarmSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert devnet.rpc_url
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    market = JobMarketClient.from_build(w3, devnet.contracts["JobMarket"], stack_settings.build_dir)
    key = Account.create()  # an account of this test's own: no other test sends for it
    funding = {"from": dev_account(0).address, "to": key.address, "value": Web3.to_wei(10, "ether")}
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(funding))  # type: ignore[arg-type]
    database = tmp_path / "worker.db"
    accounts = [Account.from_key(key.key) for _ in range(2)]  # one in each program
    senders = [
        TxSender(w3, market, account, WorkerState(database), receipt_timeout=30.0)
        for account in accounts
    ]
    meet_when_signing(monkeypatch, accounts)

    def program(number: int) -> list[TxRow]:
        sender = senders[number]
        return [sender.send(calls.stake(ETHER, f"program{number}-{i}")) for i in range(SENDS)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = [row for rows in pool.map(program, range(2)) for row in rows]

    assert [row.status for row in sent] == ["mined"] * 2 * SENDS
    nonces = sorted(row.nonce for row in sent)
    assert nonces == list(range(2 * SENDS))  # distinct and gap-free, from the account's first
    assert w3.eth.get_transaction_count(key.address) == 2 * SENDS
    assert market.account(key.address).stake == 2 * SENDS * ETHER
    stored = WorkerState(database).txs()
    assert sorted(row.nonce for row in stored) == nonces
