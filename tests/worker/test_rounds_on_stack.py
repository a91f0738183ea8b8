"""Re-offer rounds with a worker daemon on the real stack (anvil, Kubo, the deployed market,
Blender): it re-offers a job's unsold tiles for the bounty, bids on the round, wins it and renders
the posted job's tiles; barred from a job (its seat there taken late), it bids on none of its
rounds, and settles a round nobody bid on, which nobody else would."""

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr

from render_worker.chain.purposes import Action, Purpose
from render_worker.node import status_report
from tests.worker.conftest import Stack, running_worker, tiny_job, wait_until
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import (
    BidCommitted,
    BidsSettled,
    JobCompleted,
    JobParams,
    ReofferingEnded,
    ResultsCommitted,
    RoundOpened,
    TilesAssigned,
)
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]

# A tile of the 4x1 grid below is 16x24 pixels at 2 samples: at this speed the worker plans 100 s
# a tile, so a 600 s render window (half of it, less setup, planned for) fits two tiles a bid.
TWO_TILES_A_BID = 16 * 24 * 2 * 60 / 100


def _chain_now(stack: Stack) -> int:
    return int(stack.w3.eth.get_block("latest")["timestamp"])


def _with_rounds(stack: Stack, params: JobParams, rounds: int, **updates: int) -> JobParams:
    final = _chain_now(stack) + 3600
    return params.model_copy(update={"max_rounds": rounds, "final_deadline": final, **updates})


def _opened(stack: Stack, job_id: int) -> RoundOpened:
    (opened,) = (e for e in stack.market.events(job_id=job_id) if isinstance(e, RoundOpened))
    return opened


def test_a_worker_reoffers_tiles_its_bid_left_unsold_then_wins_them_and_renders_the_posted_job(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market, w3 = own_stack.market, own_stack.w3
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(64, 24), grid=(4, 1), samples=2, windows=(6, 20)
    )
    with running_worker(own_stack, tmp_path, 2, pixel_samples_per_minute=TWO_TILES_A_BID) as worker:
        accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
        job_id, _ = market.post_job(accounts[1], _with_rounds(own_stack, params, 1),
                                    manifest_cid)  # fmt: skip
        # Two tiles sold, two unsold: the worker opens the round over them, for the bounty.
        wait_until(lambda: any(isinstance(e, RoundOpened) for e in market.events(job_id=job_id)),
                   60, "the worker to re-offer the unsold tiles")  # fmt: skip
        opened = _opened(own_stack, job_id)
        assert (opened.opener, opened.tile_ranges()) == (worker.me, [(2, 2)])
        assert opened.bounty > 0
        round_id = opened.round_id

        def committed() -> list[ResultsCommitted]:
            return [e for e in market.events(job_id=round_id) if isinstance(e, ResultsCommitted)]

        wait_until(committed, 120, "the worker to win the round and commit its tiles")
        report = status_report(worker.settings)

    seat = market.seat(round_id, worker.me)
    assert (seat.first_tile, seat.tile_count) == (2, 2)  # tile indices of the posted job
    (commit,) = committed()
    assert commit.worker == worker.me
    # Its results are the posted job's tiles 2 and 3, rendered from the posted job's manifest.
    results = worker.renderer.results(round_id, worker.me, manifest_cid)
    assert [t.index for t in results.tiles] == [2, 3]
    assert results.manifest_cid == manifest_cid
    assert "0x" + results.root().hex() == commit.merkle_root
    assert worker.sender.sent(Purpose(Action.REOFFER, job_id, round=0)) is not None
    (row,) = (j for j in report["jobs"] if j["job_id"] == round_id)
    assert (row["round_of"], row["round"]) == (job_id, 1)


def _late_seat(stack: Stack, account: LocalAccount, params: JobParams, manifest_cid: str) -> int:
    """A job whose only seat, `account`'s, is claimed late: its tiles go back unsold and the
    worker is barred from the job. Returns the job's id."""
    market, w3 = stack.market, stack.w3
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    stranger = accounts[6]
    if market.account(account.address).stake < market.config().min_stake:
        market.stake(account, market.config().min_stake)
    job_id, _ = market.post_job(accounts[1], params, manifest_cid)
    salt, price = os.urandom(32), 10**14
    market.commit_bid(account, job_id, bid_commitment(job_id, account.address, price, 2, salt), 2)
    bid_end = market.job(job_id).bid_end
    wait_until(lambda: _chain_now(stack) > bid_end, 30, "the bid window to close")
    market.reveal_bid(account, job_id, price, 2, salt)
    market.settle(stranger, job_id)  # every sealed bid is open
    deadline = market.job(job_id).render_deadline
    wait_until(lambda: _chain_now(stack) > deadline, 30, "the render deadline to pass")
    market.claim_late(stranger, job_id, account.address)
    assert market.is_barred(job_id, account.address)
    return job_id


def test_a_barred_worker_reoffers_its_lost_tiles_bids_on_none_and_settles_the_empty_round(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market, w3 = own_stack.market, own_stack.w3
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 1), samples=2, windows=(4, 2)
    )
    params = _with_rounds(own_stack, params, 2, render_window=2)
    job_id = _late_seat(own_stack, dev_account(3), params, manifest_cid)

    with running_worker(own_stack, tmp_path, 3) as worker:
        # Anyone may re-offer, the barred worker too (it earns the bounty); nobody bids, so
        # nobody but a watcher settles the round once its reveal window is over.
        wait_until(
            lambda: any(isinstance(e, JobCompleted) for e in market.events(job_id=job_id)),
            60, "the round to be settled and the job to end",
        )  # fmt: skip
        opened = _opened(own_stack, job_id)
        round_row = worker.state.job(opened.round_id)

    assert opened.opener == worker.me and opened.bounty > 0
    assert round_row is not None and round_row.stage == "skipped"
    assert f"barred from job {job_id}" in round_row.reason
    round_events = market.events(job_id=opened.round_id)
    assert not any(isinstance(e, BidCommitted) for e in round_events)
    assert not any(isinstance(e, TilesAssigned) for e in round_events)
    (settled,) = (e for e in round_events if isinstance(e, BidsSettled))
    assert w3.eth.get_transaction(HexStr(settled.transaction_hash))["from"] == worker.me
    assert settled.block_number > 0 and market.job(opened.round_id).status_name == "Expired"
    # It sold nothing at an unchanged price: another round would sell nothing either.
    ended = [e for e in market.events(job_id=job_id) if isinstance(e, ReofferingEnded)]
    assert [e.tiles_left for e in ended] == [2]
