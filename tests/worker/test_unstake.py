"""`render-worker unstake` on a real chain: a request shows the date its ETH unlocks, a withdrawal
before then says how long is left and sends nothing, after it the ETH comes home; a new request
that would restart the delay is only sent when confirmed; the market's refusals are explained
before anything is signed; nothing but a signature needs the keystore's password; and what it
sends goes through the worker's own ledger of nonces, beside a running worker."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner, Result

from render_worker.cli import app
from render_worker.unstaking import StakeView, read_stake
from tests.marketplace.market import Bid, Market, auction, deploy_market
from tests.worker.conftest import PASSWORD, Stack, dev_account

pytestmark = [pytest.mark.chain, pytest.mark.stack]

ETHER = 10**18
DAY = 86_400


@pytest.fixture(scope="module")
def market(own_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    """A market of the tests' own on the module's chain, with the test helpers' parameters."""
    assert own_stack.status.rpc_url
    yield deploy_market(own_stack.status.rpc_url, tmp_path_factory.mktemp("unstake-market"))


class Operator:
    """A worker's operator at a shell: its config in `folder`, its key dev account `index`'s.
    The commands run in this process (each a whole `render-worker` run, without the second or
    so a new interpreter takes to import web3)."""

    def __init__(self, own_stack: Stack, market: Market, folder: Path, index: int) -> None:
        self.market, self.address = market, dev_account(index).address
        self.config = str(folder / "w.toml")
        init = self.cli(
            "init", "--import-key", "--config", self.config, "--state-dir", str(folder / "s"),
            "--rpc-url", str(own_stack.status.rpc_url),
            "--ipfs-api-url", str(own_stack.status.ipfs_api_url),
            "--deployments", str(market.deployments_file),
            stdin=dev_account(index).key.hex() + "\n",
        )  # fmt: skip
        assert init.exit_code == 0, init.stderr

    def cli(self, *args: str, stdin: str = "", password: str | None = PASSWORD) -> Result:
        env = {"RENDER_WORKER_PASSWORD": password}
        return CliRunner().invoke(app, args, input=stdin, env=env)

    def run(self, *args: str) -> Result:
        return self.cli(*args, "--config", self.config)

    def unstake(self, *args: str) -> Result:
        return self.run("unstake", *args)

    def unstake_without_password(self, *args: str) -> Result:
        """`unstake` with no password in the environment nor on standard input."""
        return self.cli("unstake", *args, "--config", self.config, password=None)

    def sent(self) -> int:
        """Transactions this account has sent so far."""
        return int(self.market.w3.eth.get_transaction_count(self.address))


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_an_unstake_shows_its_unlock_date_and_is_withdrawn_only_after_it(
    own_stack: Stack, market: Market, tmp_path: Path
) -> None:
    operator = Operator(own_stack, market, tmp_path, 5)
    assert operator.run("stake", "2").exit_code == 0
    delay = market.config.unstake_delay
    assert delay == 14 * DAY

    requested = operator.unstake("0.5")

    assert requested.exit_code == 0, requested.stderr
    account = market.client.account(operator.address)
    assert (account.stake, account.unstaking) == (3 * ETHER // 2, ETHER // 2)
    assert account.unlock_at == market.now() + delay
    assert (
        f"0.5 ETH unstaking; withdraw it after {_date(account.unlock_at)} (in 14 days) with "
        "`render-worker unstake --withdraw`" in requested.stdout
    ), requested.stdout
    status = json.loads(operator.run("status", "--json").stdout)
    assert status["unstaking_wei"] == ETHER // 2
    assert status["unlock_at"] == datetime.fromtimestamp(account.unlock_at, UTC).isoformat()
    shown = operator.run("status").stdout
    assert f"0.5 ETH unstaking, withdraw it after {_date(account.unlock_at)}" in shown, shown

    market.advance(delay - 90 * 60)  # an hour and a half before the date
    sent = operator.sent()
    early = operator.unstake_without_password("--withdraw")  # nothing to sign: no key unlocked

    assert early.exit_code == 0, early.stderr
    assert operator.sent() == sent  # nothing was sent: read from the chain, not a revert
    left = account.unlock_at - market.now()
    assert left > 3_600
    assert f"unlocks at {_date(account.unlock_at)} (in 1 h " in early.stdout, early.stdout
    assert "nothing sent" in early.stdout
    assert market.client.account(operator.address).unstaking == ETHER // 2

    market.advance(left)
    balance = market.w3.eth.get_balance(operator.address)
    withdrawn = operator.unstake("--withdraw", "--json")

    assert withdrawn.exit_code == 0, withdrawn.stderr
    report = json.loads(withdrawn.stdout)
    assert (report["action"], report["amount_wei"]) == ("withdrew", ETHER // 2)
    assert report["unstaking_wei"] == 0 and report["stake_wei"] == 3 * ETHER // 2
    assert "withdrew 0.5 ETH of unstaked stake" in report["message"]
    gained = market.w3.eth.get_balance(operator.address) - balance
    assert ETHER // 2 - 10**15 < gained < ETHER // 2  # the unstaked ETH less the gas
    again = operator.unstake("--withdraw")
    assert again.exit_code == 0 and "nothing is unstaking" in again.stdout


def test_a_second_request_restarts_the_delay_only_when_confirmed(
    own_stack: Stack, market: Market, tmp_path: Path
) -> None:
    operator = Operator(own_stack, market, tmp_path, 6)
    assert operator.run("stake", "2").exit_code == 0
    assert operator.unstake("0.25").exit_code == 0
    first = market.client.account(operator.address).unlock_at
    market.advance(3 * DAY)
    sent = operator.sent()

    unconfirmed = operator.unstake("0.25")

    assert unconfirmed.exit_code == 1
    assert "0.25 ETH is already unstaking" in unconfirmed.stderr, unconfirmed.stderr
    assert "a new request restarts the delay for all of it: 0.5 ETH would unlock" in (
        unconfirmed.stderr
    )
    assert "--yes" in unconfirmed.stderr
    assert operator.sent() == sent
    assert market.client.account(operator.address).unlock_at == first

    confirmed = operator.unstake("0.25", "--yes", "--json")

    assert confirmed.exit_code == 0, confirmed.stderr
    report = json.loads(confirmed.stdout)
    account = market.client.account(operator.address)
    assert account.unstaking == report["unstaking_wei"] == ETHER // 2
    mined = market.w3.eth.get_transaction_receipt(report["tx_hash"])["blockNumber"]
    requested_at = int(market.w3.eth.get_block(mined)["timestamp"])
    assert account.unlock_at == requested_at + market.config.unstake_delay >= first + 3 * DAY
    assert report["unlock_at"] == datetime.fromtimestamp(account.unlock_at, UTC).isoformat()


def test_more_than_the_free_stake_is_refused_naming_the_locked_collateral(
    own_stack: Stack, market: Market, tmp_path: Path
) -> None:
    operator = Operator(own_stack, market, tmp_path, 7)
    assert operator.run("stake", "1.5").exit_code == 0
    # A seat of 4 tiles at 0.1 ETH locks 0.4 ETH of the stake as collateral.
    auction(market, [Bid(operator.address, 10**17, 4)], tiles=4, max_price=10**17)
    assert market.client.account(operator.address).locked == 4 * 10**17
    sent = operator.sent()

    too_much = operator.unstake("1.2")
    not_eth = operator.unstake("half")

    assert too_much.exit_code == 1 and "Traceback" not in too_much.stderr
    assert (
        "cannot unstake 1.2 ETH: the stake is 1.5 ETH, of which 0.4 ETH is locked as collateral "
        "of open bids and seats until they are paid or ended; at most 1.1 ETH can be unstaked now"
    ) in too_much.stderr, too_much.stderr
    assert not_eth.exit_code == 1 and "'half' is not an amount of ETH" in not_eth.stderr
    below_a_wei = operator.run("stake", "0.0000000000000000001")
    assert below_a_wei.exit_code == 1 and "more than 18 decimals" in below_a_wei.stderr
    assert operator.sent() == sent

    everything = operator.unstake("--all")

    assert everything.exit_code == 0, everything.stderr
    assert "1.1 ETH unstaking" in everything.stdout
    assert "below the market's minimum of 1 ETH: this worker cannot bid" in everything.stderr
    account = market.client.account(operator.address)
    seat = 4 * 10**17  # all that is left is locked
    assert (account.stake, account.locked, account.unstaking) == (seat, seat, 11 * 10**17)


def test_a_request_goes_through_the_workers_ledger_and_is_reported_if_the_chain_then_fails(
    own_stack: Stack, market: Market, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = Operator(own_stack, market, tmp_path, 8)
    assert operator.run("stake", "1.25").exit_code == 0
    shown = operator.unstake_without_password()  # the view signs nothing: no password asked
    assert shown.exit_code == 0, shown.stderr
    assert "stake 1.25 ETH; nothing unstaking" in shown.stdout
    reads = 0

    def chain_gone_after_the_first_read(*args: Any) -> StakeView:
        nonlocal reads
        reads += 1
        if reads > 1:
            raise requests.ConnectionError("connection refused")
        return read_stake(*args)

    monkeypatch.setattr("render_worker.node.read_stake", chain_gone_after_the_first_read)

    requested = operator.unstake("0.25")

    assert requested.exit_code == 0 and "Traceback" not in requested.stdout, requested.stderr
    assert market.client.account(operator.address).unstaking == ETHER // 4
    ledger = json.loads(operator.run("status", "--json").stdout)["transactions"]
    (request,) = [t for t in ledger if t["purpose"].startswith("requestUnstake:")]
    assert request["status"] == "mined"
    assert request["nonce"] == max(t["nonce"] for t in ledger)  # the stake's came before it
    assert f"0.25 ETH unstaking (tx {request['tx_hash']})" in requested.stdout, requested.stdout
    assert "could not be read after it (connection refused)" in requested.stdout
