"""A seat of a re-offer round is checked against the posted job's manifest: a round has no
`JobPosted` of its own, its tiles are the posted job's."""

from pathlib import Path

import pytest

from tests.marketplace.market import (
    Bid,
    auction,
    commit_results,
    deploy_market,
    reoffer,
    round_auction,
    rounds,
    stake_all,
)
from tilefarm.checks.verification import claim_from_chain
from tilefarm_cli.devnet.stack import StackStatus

pytestmark = [pytest.mark.chain]


def test_a_rounds_seat_is_claimed_against_the_posted_jobs_manifest(
    devnet: StackStatus, tmp_path: Path
) -> None:
    assert devnet.rpc_url is not None
    m = deploy_market(devnet.rpc_url, tmp_path / "deployments")
    stake_all(m)
    first, second = m.workers[:2]
    r = rounds(m)
    job_id = auction(
        m, [Bid(first, 10**14, 5)], manifest="bafy-the-manifest",
        max_rounds=r["max_rounds"], final_deadline=r["final_deadline"],
    )  # fmt: skip
    round_id = reoffer(m, job_id)
    assert round_id is not None
    round_auction(m, round_id, [Bid(second, 10**14, 3)])
    commit_results(m, round_id, second)
    claim = claim_from_chain(m.client, round_id, second, "0x" + "01" * 32)
    assert (claim.job_id, claim.manifest_cid) == (round_id, "bafy-the-manifest")
    assert (claim.first_tile, claim.tile_count) == (5, 3)
