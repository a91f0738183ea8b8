"""The indexer against a real market on the devnet: its views equal the contract's state after
random job histories, after a restart in the middle, and after a reorganisation, on SQLite and on
PostgreSQL."""

import random
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.db.chain_models import ChainEvent, IndexerCursor, JobView
from marketplace.db.frame_models import AssembledFrame, AssemblyJob
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from marketplace.indexer.indexer import IndexerRunner
from tests.marketplace.market import (
    VERIFY_WINDOW,
    Bid,
    Market,
    assert_matches_chain,
    attest,
    auction,
    commit_results,
    deploy_market,
    draw,
    panel_of,
    panel_votes,
    params,
    random_history,
    stake_all,
)
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import WrongChain
from tilefarm.adapters.chain.events import Slashed
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.chain, pytest.mark.stack]


def _indexer(market: Market, db: Database, **kw: object) -> Indexer:
    return Indexer(db, market.client, market.start_block, **kw)  # type: ignore[arg-type]


def test_a_node_of_another_chain_or_without_the_market_is_refused_not_followed_silently(
    market: Market, database_url: str
) -> None:
    db = Database(database_url)
    chain_id = market.w3.eth.chain_id
    with pytest.raises(WrongChain, match=f"is for chain {chain_id + 1}, but .* serves chain "):
        _indexer(market, db, chain_id=chain_id + 1).sync()
    nowhere = JobMarketClient(
        market.w3, "0x" + "ab" * 20, [dict(e) for e in market.client.contract.abi]
    )
    with pytest.raises(WrongChain, match="no contract at the market address"):
        Indexer(db, nowhere, market.start_block, chain_id=chain_id).sync()

    # The server's runner keeps serving and says why nothing is indexed (GET /api/indexer).
    runner = IndexerRunner(_indexer(market, db, chain_id=chain_id + 1), 0.05).start()
    try:
        deadline = time.monotonic() + 10
        while runner.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.error is not None and f"serves chain {chain_id}" in runner.error
    finally:
        runner.stop()
    assert _indexer(market, db, chain_id=chain_id).sync() == 0  # the right chain: followed


@pytest.mark.parametrize(
    ("seed", "database_url"),
    [(1, "sqlite"), (2, "sqlite"), (3, "sqlite"), (3, "postgresql")],  # the longest on both
    indirect=["database_url"],
)
def test_views_equal_the_contract_after_random_histories(
    market: Market, database_url: str, seed: int
) -> None:
    db = Database(database_url)
    indexer = _indexer(market, db)
    random_history(market, random.Random(seed), jobs=3)
    indexer.sync()
    assert_matches_chain(market, db)
    with db.session() as s:
        indexed = s.scalar(select(func.count()).select_from(ChainEvent))
    assert indexed == len(market.client.events(from_block=market.start_block))


def _appeal(market: Market, job_id: int, worker: str, fraud_votes: int) -> None:
    """The worker appeals a fail; `fraud_votes` of the panel vote fraud, the rest honest."""
    c = market.client
    c.open_dispute(worker, job_id, worker, "bafy-appeal")
    market.mine(3)
    c.draw_panel(market.artist, job_id, worker)
    members = panel_of(market, job_id, worker)
    assert len(members) == 3
    panel_votes(market, job_id, worker, {m: i < fraud_votes for i, m in enumerate(members)})


def test_disputes_replacements_and_withdrawals_are_mirrored(
    market: Market, database_url: str
) -> None:
    db = Database(database_url)
    indexer = _indexer(market, db)
    stake_all(market)
    c = market.client
    a, b, d = market.workers[:3]
    job_id = auction(market, [Bid(a, 10**14, 3), Bid(b, 2 * 10**14, 3), Bid(d, 3 * 10**14, 2)])
    for worker in (a, b, d):
        commit_results(market, job_id, worker)
    # a: failed by a lying verifier, wins its appeal (the verifier is slashed to a).
    attest(market, job_id, a, draw(market, job_id, a), False, "bafy-lie")
    _appeal(market, job_id, a, fraud_votes=1)
    # b: failed, loses its appeal (slashed; honest verifiers and the artist share).
    attest(market, job_id, b, draw(market, job_id, b), False, "bafy-fail")
    _appeal(market, job_id, b, fraud_votes=2)
    # d: three silent verifiers (each slashed to d), then closed unverified and unpaid. The
    # panels' outvoted members and the liar fell below the minimum stake: back into the pool.
    stake_all(market)
    for _ in range(3):
        draw(market, job_id, d)
        market.advance(VERIFY_WINDOW + 1)
        c.replace_verifier(market.artist, job_id, d)
    # Unstaking, partial slashes of what is unstaking, and withdrawals.
    c.request_unstake(a, 10**17)
    for who in (a, b, market.artist, market.treasury):
        if c.balance_of(who):
            c.withdraw(who)
    indexer.sync()
    assert_matches_chain(market, db)
    assert c.job(job_id).status_name == "Completed"
    states = [c.seat(job_id, w).state_name for w in (a, b, d)]
    assert states == ["Paid", "Rejected", "Unverified"]
    reasons = {e.reason for e in c.events(job_id=job_id) if isinstance(e, Slashed)}
    # Fraud (b), false accusation (a's verifier), silence (d's), outvoted (one member of each
    # panel voted against its outcome).
    assert reasons == {0, 2, 3, 4}


# Two processes on one database: tests/marketplace/test_two_servers.py on PostgreSQL.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_restart_mid_history_catches_up_without_loss_or_doubles(
    market: Market, database_url: str
) -> None:
    db_url = database_url
    rng = random.Random(9)
    first = _indexer(market, Database(db_url), max_range=7)
    random_history(market, rng, jobs=2)
    first.step()  # stopped after one small batch, mid-history
    random_history(market, rng, jobs=2)
    second = _indexer(market, Database(db_url), max_range=7)  # a new process, same database
    second.sync()
    db = Database(db_url)
    assert_matches_chain(market, db)
    with db.session() as s:
        rows = s.scalars(select(ChainEvent)).all()
        cursor = s.get(IndexerCursor, market.client.address)
    chain = market.client.events(from_block=market.start_block)
    assert [(r.block_number, r.log_index) for r in rows] == [
        (e.block_number, e.log_index) for e in chain
    ]
    assert cursor is not None and cursor.next_block == market.head() + 1


def _assembled(db: Database, *job_ids: int) -> None:
    """Rows as the assembler writes them once it stored a job's frame."""
    with db.session() as s:
        for job_id in job_ids:
            s.add(AssemblyJob(job_id=job_id, manifest_cid="bafy-m", error=None, done=True))
            s.add(AssembledFrame(job_id=job_id, frame=1, position=0, status="assembled",
                                 png_cid="bafy-png", exr_cid="bafy-exr", attempts=1))  # fmt: skip


def _with_frames(db: Database) -> set[int]:
    with db.session() as s:
        jobs = set(s.scalars(select(AssemblyJob.job_id)))
        assert jobs == set(s.scalars(select(AssembledFrame.job_id)))
        return jobs


def test_reorganisation_drops_the_abandoned_blocks(market: Market, database_url: str) -> None:
    db = Database(database_url)
    indexer = _indexer(market, db)
    stake_all(market)
    w3 = market.w3
    untouched = auction(market, [Bid(market.workers[0], 10**14, 8)])
    kept = auction(market, [Bid(market.workers[0], 10**14, 8)])
    indexer.sync()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    commit_results(market, kept, market.workers[0])
    market.client.post_job(market.artist, params(), "bafy-abandoned")
    indexer.sync()
    with db.session() as s:
        assert s.get(JobView, kept + 1) is not None
    _assembled(db, untouched, kept, kept + 1)
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    market.client.post_job(market.workers[1], params(), "bafy-new-branch")
    market.mine(4)
    report = indexer.step()
    assert report.reorged_from is not None
    indexer.sync()
    assert_matches_chain(market, db)
    with db.session() as s:
        names = s.scalars(select(ChainEvent.name)).all()
        assert "ResultsCommitted" not in names
        job = s.get(JobView, kept + 1)
        assert job is not None and job.manifest_cid == "bafy-new-branch"
    # Frames of jobs whose events were abandoned are forgotten, to be assembled again from what
    # the chain now says (job kept + 1 is now another job); the others' stay.
    assert _with_frames(db) == {untouched}


def test_only_confirmed_blocks_are_indexed(market: Market, database_url: str) -> None:
    db = Database(database_url)
    indexer = _indexer(market, db, confirmations=2)
    job_id, receipt = market.client.post_job(market.artist, params(), "bafy-unconfirmed")
    indexer.sync()
    with db.session() as s:
        assert s.get(JobView, job_id) is None  # one block deep: not yet
    market.mine(1)
    indexer.sync()
    with db.session() as s:
        assert s.get(JobView, job_id) is None
    market.mine(1)
    indexer.sync()
    with db.session() as s:
        job = s.get(JobView, job_id)
        assert job is not None and job.posted_block == receipt.block_number


def test_a_chain_replaced_under_the_cursor_is_indexed_again(
    market: Market, database_url: str
) -> None:
    """A devnet restarted at the same address looks like a reorganisation deeper than anything
    remembered: the indexer starts over from the deployment block instead of stalling."""
    db = Database(database_url)
    indexer = _indexer(market, db)
    random_history(market, random.Random(4), jobs=1)
    indexer.sync()
    with db.session() as s:
        cursor = s.get(IndexerCursor, market.client.address)
        assert cursor is not None
        # Every remembered block now has another hash, as on a new chain.
        cursor.recent = [{**ref, "hash": "0x" + "ab" * 32} for ref in cursor.recent]
    _assembled(db, 1)
    report = indexer.step()
    assert report.reorged_from == market.start_block
    indexer.sync()
    assert_matches_chain(market, db)
    assert _with_frames(db) == set()  # job 1 of the new chain is not the old chain's job 1


def test_a_database_of_another_market_is_reindexed_for_the_new_one(
    market: Market, devnet: StackStatus, tmp_path: Path, database_url: str
) -> None:
    db_url = database_url
    _indexer(market, Database(db_url)).sync()
    market.client.post_job(market.artist, params(), "bafy-old-market")
    _indexer(market, Database(db_url)).sync()
    _assembled(Database(db_url), 1)
    assert devnet.rpc_url
    redeployed = deploy_market(devnet.rpc_url, tmp_path / "redeployed")
    redeployed.client.post_job(redeployed.artist, params(), "bafy-new-market")
    db = Database(db_url)
    _indexer(redeployed, db).sync()
    assert_matches_chain(redeployed, db)
    with db.session() as s:
        assert [c.market for c in s.scalars(select(IndexerCursor))] == [redeployed.client.address]
        job = s.get(JobView, 1)
        assert job is not None and job.manifest_cid == "bafy-new-market"
    assert _with_frames(db) == set()  # the old market's job 1 frames are not the new one's


@pytest.mark.parametrize(
    "dropped",
    [
        # Before sealed votes: the disputes table without the panel's commitments and pay.
        {"disputes": ("committed_mask", "commitments", "fee_each", "beneficiary")},
        # Before blind verification: seats without the root and seal, disputes without a kind.
        {"seats": ("merkle_root", "evidence_seal"), "disputes": ("kind",)},
        # Before GPU workers: accounts without their hardware, seats without a cause.
        {"accounts": ("backend", "vram_mib"), "seats": ("abandon_cause",)},
    ],
    ids=["before-sealed-votes", "before-blind-verification", "before-gpu-workers"],
)
def test_a_database_of_an_older_layout_is_indexed_again(
    market: Market, tmp_path: Path, dropped: dict[str, tuple[str, ...]]
) -> None:
    """A server database of an older layout, made before the server had migrations (a SQLite
    file), is dropped and indexed afresh, as for any changed chain table."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    random_history(market, random.Random(2), jobs=2)
    _indexer(market, Database(db_url)).sync()
    old = Database(db_url)
    with old.engine.begin() as conn:
        for table, columns in dropped.items():
            for column in columns:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql("DROP TABLE alembic_version")  # no migrations yet
    old.engine.dispose()
    db = Database(db_url)
    indexer = _indexer(market, db)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ChainEvent)) == 0  # dropped
    indexer.sync()
    assert_matches_chain(market, db)
