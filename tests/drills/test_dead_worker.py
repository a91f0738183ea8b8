"""Drill: one job, three faults at once, and it still ends with everyone paid what they are owed.

- worker A is SIGKILLed while its Blender child renders its tiles, and never comes back: after the
  render deadline worker B (the other seat of the job) claims A's seat late; A is slashed to the
  artist and A's tiles' escrow returns to the artist;
- bidder C commits a sealed bid and never reveals it: the job is settled without it, its bond goes
  to the artist, and the artist takes the collateral it locked (`forfeitBid`);
- the verifier drawn for B (A or C, the only other staked accounts then) never answers: after the
  verification window B replaces it, and the silent verifier loses part of its stake to B; the new
  draw picks D, an honest worker that staked meanwhile (A and C have asked to unstake, so D is the
  only one eligible), D verifies, and B is paid once its contest window has closed.
Everything is checked on the chain: who sent what, each seat paid at most once, every balance,
and the market's ETH equal to what it owes.
"""

import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import pytest
from eth_typing import HexStr

from render_worker.settings import PricingPolicy
from render_worker.state.store import WorkerState
from tests.drills.conftest import worker_process
from tests.drills.ledger import (
    assert_each_seat_paid_at_most_once,
    assert_money_conserved,
    balances,
)
from tests.worker.conftest import Stack, dev_account, running_worker, wait_until
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

BPS = 10_000
PARAMS = ev.JobParams(
    tile_count=6, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=6, reveal_window=6, render_window=45, verify_window=40,
)  # fmt: skip
NEVER_BIDS = PricingPolicy(wei_per_render_second=10**30)
SPEED = 60_000_000.0  # pixel-samples a minute: the tiny scene on one thread, roughly


def senders_of(w3: Any, event: ev.MarketEvent) -> str:
    return str(w3.eth.get_transaction(event.transaction_hash)["from"])


def test_a_dead_worker_a_hidden_bid_and_a_silent_verifier_do_not_stop_the_job(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market, w3 = own_stack.market, own_stack.w3
    config = market.config()
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    artist, treasury = accounts[1], config.treasury
    a, b, c, d = (dev_account(i) for i in (2, 3, 4, 5))
    for account in (a, c):
        market.stake(account, config.min_stake)
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    scene = build_builtin_scene("tiny", tmp_path / "tiny.blend")
    manifest = build_manifest(
        scene_cid=ipfs.add_file(scene), frames=[1], resolution={"width": 48, "height": 32},
        # About a second a tile on one thread, so that A is caught in the middle of its tiles
        # (its warm Blender child starts the first one as soon as the tiles are assigned).
        tile_grid={"columns": 3, "rows": 2}, samples=4096,
        verification={"patch_size": 8, "patch_count": 4},
    )  # fmt: skip
    parties = (artist, treasury, a.address, b.address, c.address, d.address)
    before = balances(market, *parties)
    job_id: int  # posted below
    history = lambda: market.events(job_id=job_id)  # noqa: E731
    # A's database, created here first so that A and this test never both create its tables.
    db_a, log_a = WorkerState(tmp_path / "worker2" / "worker.db"), tmp_path / "worker2.log"

    with (
        worker_process(
            own_stack, tmp_path, 2, pricing={"max_queue_tiles": 4}, speed=SPEED
        ) as worker_a,
        running_worker(
            own_stack,
            tmp_path,
            3,
            pricing=PricingPolicy(max_queue_tiles=2),
            pixel_samples_per_minute=SPEED,
        ),
    ):
        # A (a process of its own) has to be following the chain before the short bid window.
        wait_until(lambda: db_a.get_meta("cursor") is not None, 180, "worker A to start", log_a)
        job_id, _ = market.post_job(artist, PARAMS, ipfs.add_bytes(manifest.canonical_json()))
        hidden = bid_commitment(job_id, c.address, 10**14, 6, os.urandom(32))
        market.commit_bid(c, job_id, hidden, 6)  # and never revealed

        # A dies with its Blender child in the middle of its tiles.
        def rendering() -> bool:
            children = psutil.Process(worker_a.pid).children(recursive=True)
            return bool(children) and any(j.stage == "won" for j in db_a.jobs())

        wait_until(rendering, 180, "worker A to render its tiles", log_a)
        os.killpg(worker_a.pid, signal.SIGKILL)
        worker_a.wait()
        assert market.seat(job_id, a.address).state_name == "Assigned"
        assert len(db_a.tiles(job_id)) < 4

        # B commits; its first verifier is A or C, both silent. They ask to leave the pool, and
        # D, an honest worker, joins it.
        drawn = lambda: [e for e in history() if isinstance(e, ev.VerifierDrawn)]  # noqa: E731
        wait_until(drawn, 180, "a verifier for B's results")
        (first,) = drawn()
        assert first.worker == b.address and first.verifier in (a.address, c.address)
        for account in (a, c):  # all but A's locked collateral: neither stays in the pool
            record = market.account(account.address)
            market.request_unstake(account, record.stake - record.locked)
        with running_worker(own_stack, tmp_path, 5, pricing=NEVER_BIDS):
            wait_until(lambda: market.job(job_id).status_name == "Completed", 300, "the job's end")

    # The artist takes the collateral C's sealed bid locked: its 6 tiles at the maximum price.
    forfeited = market.forfeit_bid(artist, job_id, c.address).event(ev.BidForfeited)
    assert forfeited.slashed == config.collateral(6, PARAMS.max_price_per_tile)
    events = history()
    senders = {
        type(e).__name__: w3.eth.get_transaction(HexStr(e.transaction_hash))["from"] for e in events
    }
    # The hidden bid was left out of the settlement.
    (settled,) = [e for e in events if isinstance(e, ev.BidsSettled)]
    assert {e.bidder for e in events if isinstance(e, ev.BidRevealed)} == {a.address, b.address}
    assert market.seat(job_id, c.address).state_name == "Forfeited"
    # B replaced the silent verifier, and D verified.
    (replaced,) = [e for e in events if isinstance(e, ev.VerifierReplaced)]
    assert (replaced.worker, replaced.silent_verifier, replaced.round) == (
        b.address,
        first.verifier,
        1,
    )
    assert senders["VerifierReplaced"] == b.address
    (attested,) = [e for e in events if isinstance(e, ev.ResultsAttested)]
    assert (attested.worker, attested.verifier, attested.passed) == (b.address, d.address, True)
    # B claimed the dead A's seat late; A was slashed to the artist.
    (late,) = [e for e in events if isinstance(e, ev.WorkerTimedOut)]
    assert late.worker == a.address and senders["WorkerTimedOut"] == b.address
    slashes = [e for e in events if isinstance(e, ev.Slashed)]
    # (A may also have been the silent verifier, slashed for silence before or after this.)
    assert 1 in [e.reason for e in slashes if e.worker == a.address]
    assert market.seat(job_id, a.address).state_name == "TimedOut"
    # B was paid once its contest window closed (it released its own seat).
    assert market.seat(job_id, b.address).state_name == "Paid"
    assert senders["PaymentReleased"] == b.address
    assert_each_seat_paid_at_most_once(market, job_id)
    # The silent verifier lost part of its stake to B, who waited; B drew both rounds' verifiers.
    (silence,) = [e for e in slashes if e.reason == 3]
    assert silence.worker == first.verifier
    draws = [e for e in events if isinstance(e, ev.VerifierDrawn)]
    assert [senders_of(w3, e) for e in draws] == [b.address, b.address]

    # Everyone's withdrawable balance moved by exactly what the protocol says.
    seat_b = market.seat(job_id, b.address)
    paid, fee = seat_b.tile_count * seat_b.price_per_tile, PARAMS.verify_fee_per_tile
    verify_fees = seat_b.tile_count * fee
    bounty = verify_fees * config.draw_bounty_bps // BPS
    protocol = seat_b.tile_count * (seat_b.price_per_tile * config.protocol_fee_bps // BPS)
    deposit = market.quote(PARAMS.tile_count, PARAMS.max_price_per_tile, fee)
    after = balances(market, *parties)
    moved = {who: after[who] - before[who] for who in parties}
    assert moved == {
        artist: deposit
        - paid
        - verify_fees
        - protocol
        + PARAMS.bid_bond
        + late.slashed
        + forfeited.slashed,
        treasury: protocol,
        a.address: PARAMS.bid_bond,  # its revealed bond back, nothing else
        b.address: PARAMS.bid_bond + paid + 2 * bounty + silence.amount,
        c.address: 0,  # the unrevealed bond went to the artist
        d.address: verify_fees - 2 * bounty,
    }
    assert settled.artist_refund >= PARAMS.bid_bond
    assert_money_conserved(w3, market)
