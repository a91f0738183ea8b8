"""Reading a whole market fast (`tilefarm/adapters/chain/abi_codec.py`, `MarketReads.views`,
`MarketContract.events`): on a real market whose random history emits nearly every event, the
logs decoded from the ABI are what web3 decodes, a job's events picked out by the node are those
of the whole market's that name it, views read in JSON-RPC batches are the views read one by
one, and the histories read for the ledger are those `audit job` reads job by job."""

import random
from typing import Any

import pytest
from hexbytes import HexBytes

from tests.marketplace.market import Market, deploy_market, random_history
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.contract import _plain
from tilefarm.adapters.chain.errors import ChainError, ContractReverted
from tilefarm.adapters.chain.events import event_model
from tilefarm.checks.audit.history import read_histories, read_history
from tilefarm_cli.devnet import StackStatus

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def market(devnet: StackStatus, tmp_path_factory: pytest.TempPathFactory) -> Market:
    assert devnet.rpc_url
    m = deploy_market(devnet.rpc_url, tmp_path_factory.mktemp("reads") / "deployments")
    random_history(m, random.Random(18), jobs=4)  # rounds, disputes, forfeits, panels
    return m


def _as_web3_decodes(m: Market, log: Any) -> ev.MarketEvent:
    """A log decoded by web3's `process_log`, as the market's client did before."""
    name = next(
        e["name"]
        for e in m.client.contract.abi
        if e["type"] == "event"
        and HexBytes(m.client.contract.events[e["name"]]().topic) == log["topics"][0]
    )
    decoded = m.client.contract.events[name]().process_log(log)
    meta = {
        "block_number": decoded["blockNumber"],
        "transaction_hash": decoded["transactionHash"],
        "log_index": decoded["logIndex"],
    }
    return event_model(name, _plain(decoded["args"]), meta)


def test_every_log_decodes_to_what_web3_decodes(market: Market) -> None:
    m = market
    logs = m.w3.eth.get_logs({"address": m.client.contract.address, "fromBlock": m.start_block})
    events = m.client.events(from_block=m.start_block)
    assert len(events) == len(logs) > 100
    assert events == [_as_web3_decodes(m, log) for log in logs]
    kinds = {type(e).__name__ for e in events}
    assert {"JobPosted", "RoundOpened", "PanelDrawn", "DisputeOpened", "BidForfeited"} <= kinds, (
        kinds
    )


def test_a_jobs_events_picked_out_by_the_node_are_those_of_the_market_that_name_it(
    market: Market,
) -> None:
    m = market
    everything = m.client.events(from_block=m.start_block)
    ids = {e.get("job_id") for e in everything} - {None}
    assert len(ids) > 4  # rounds too
    for job_id in sorted(ids):
        mine = [e for e in everything if e.get("job_id") == job_id]
        assert m.client.events(from_block=m.start_block, job_id=job_id) == mine
    staking = m.client.events(from_block=m.start_block, kinds=[ev.Staked, ev.Withdrawn])
    assert staking == [e for e in everything if isinstance(e, ev.Staked | ev.Withdrawn)]
    assert staking


def test_views_read_in_batches_are_the_views_read_one_by_one(market: Market) -> None:
    m = market
    client = m.client
    ids = range(1, client.job_count() + 1)
    head = m.head()
    assert client.views("job", [(i,) for i in ids], head) == [client._call("job", i) for i in ids]
    assert client.views("unsoldTiles", [(i,) for i in ids], head) == [
        client._call("unsoldTiles", i) for i in ids
    ]
    who = [*m.workers, m.artist]
    assert client.views("account", [(w,) for w in who]) == [client._call("account", w) for w in who]


def test_a_view_that_reverts_in_a_batch_raises_the_contracts_error_as_alone(market: Market) -> None:
    m = market
    unsubmitted: tuple[object, ...] = (10_000, m.workers[0], 0, bytes(32), bytes(32), [])
    with pytest.raises(ContractReverted) as alone:
        m.client._call("verifyTile", *unsubmitted)
    with pytest.raises(ContractReverted) as batched:
        m.client.views("verifyTile", [unsubmitted])
    assert (batched.value.error, batched.value.function) == (alone.value.error, "verifyTile")
    assert batched.value.error != "UnknownRevert"


def test_the_ledgers_histories_are_those_audit_job_reads_job_by_job(market: Market) -> None:
    m = market
    histories = read_histories(m.client, m.start_block)
    assert histories
    for h in histories:
        alone = read_history(m.client, h.job_id, m.start_block)
        assert (alone.events, alone.job, alone.rounds) == (h.events, h.job, h.rounds)
        assert (alone.reoffer, alone.unsold, alone.config) == (h.reoffer, h.unsold, h.config)


def test_a_view_the_abi_does_not_have_is_refused_by_name(market: Market) -> None:
    with pytest.raises(ChainError, match="no view named nosuchView"):
        market.client.views("nosuchView", [()])


def test_the_node_picks_out_a_jobs_logs_its_slashes_included(market: Market) -> None:
    m = market
    asked: list[Any] = []
    provider = m.client.w3.provider
    ask = provider.make_request

    def recorded(method: Any, params: Any) -> Any:
        asked.append((method, params))
        return ask(method, params)

    everything = m.client.events(from_block=m.start_block)
    slashed = [e for e in everything if isinstance(e, ev.Slashed) and e.job_id]
    assert slashed  # `Slashed` names its job in its second topic, after the worker
    job_id = slashed[0].job_id
    provider.make_request = recorded  # type: ignore[method-assign]
    try:
        mine = m.client.events(from_block=m.start_block, job_id=job_id)
    finally:
        provider.make_request = ask  # type: ignore[method-assign]
    assert mine == [e for e in everything if e.get("job_id") == job_id]
    assert slashed[0] in mine
    assert asked and all(
        method == "eth_getLogs" and params[0]["topics"] for method, params in asked
    )


def test_a_view_read_before_the_market_existed_is_a_chain_error(market: Market) -> None:
    # Block 0 has no market (its answer does not decode), or no state kept by the node.
    with pytest.raises(ChainError, match=r"^job"):
        market.client.views("job", [(1,)], block=0)
