"""A worker acts in the first block its call is valid in, not one block later: on a chain that
mines only when a transaction arrives, nothing else would ever let it reveal its bid."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.worker.conftest import Stack, running_worker, tiny_job, wait_until
from tilefarm.adapters.chain.events import BidRevealed, TilesAssigned
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]


def test_a_worker_reveals_and_settles_in_the_first_second_after_the_bid_window_without_a_new_block(
    own_stack: Stack, tmp_path: Path
) -> None:
    market, w3 = own_stack.market, own_stack.w3
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 1), samples=2, windows=(6, 60)
    )
    with running_worker(own_stack, tmp_path, 2) as worker:
        wait_until(lambda: worker.state.get_meta("cursor"), 60, "the worker to follow the chain")
        accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
        job_id, _ = market.post_job(accounts[1], params, manifest_cid)
        bid_end = market.job(job_id).bid_end

        def revealed() -> list[BidRevealed]:
            return [e for e in market.events(job_id=job_id) if isinstance(e, BidRevealed)]

        # Only transactions mine blocks here: the reveal must be sent while the newest block
        # is still inside the bid window, for the block it is mined in.
        wait_until(revealed, 30, "the worker to reveal its bid")
        (reveal,) = revealed()
        # Only a transaction mines a block here: had the worker waited for a block after the
        # window, it would never have revealed. The bound leaves a loaded machine a few seconds.
        assert bid_end < w3.eth.get_block(reveal.block_number)["timestamp"] <= bid_end + 5
        # The only sealed bid is open, so the worker settles at once: its tiles are assigned.
        wait_until(
            lambda: any(isinstance(e, TilesAssigned) for e in market.events(job_id=job_id)),
            10, "the worker to settle the bidding",
        )  # fmt: skip
