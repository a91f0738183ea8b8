"""Drills: the chain is reorganised under a running job.

First, removing the blocks that held both
workers' result commitments and the verifier draws that followed them: a snapshot of the chain is
taken once the tiles are assigned (`evm_snapshot`), and once both verifiers are drawn the chain
goes back to it (`evm_revert`) and grows again with other blocks.

Each worker's follower rewinds to the common ancestor, the worker rolls back what it had learned
from the removed blocks and sends its removed transactions again (the same signed bytes, so the
same hashes, now in other blocks). The job then ends as if nothing happened: each worker committed
once on the final chain, verified the other with the seed of the final chain, and was paid once.
"""

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_typing import HexStr
from web3 import Web3

from render_worker.settings import PricingPolicy
from render_worker.state.models import DutyRow
from tests.drills.ledger import (
    assert_each_seat_paid_at_most_once,
    assert_money_conserved,
    balances,
    completed_once_released,
)
from tests.worker.conftest import Stack, held_back, running_worker, wait_until
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

BPS = 10_000
PARAMS = ev.JobParams(
    tile_count=4, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**12,
    bid_bond=10**14, bid_window=6, reveal_window=60, render_window=600, verify_window=600,
)  # fmt: skip
TWO_TILES = PricingPolicy(max_queue_tiles=2)
# The reveal window is long: settlement still comes as soon as both bids are open. After a
# revert the workers re-read the chain and void transactions before they bid, which a loaded CI
# machine once made last longer than a 6 s bid window: this bid window is closed by moving the
# chain's clock once both sealed bids are in.
ROOMY = PARAMS.model_copy(update={"bid_window": 600})


def test_a_reorganisation_in_the_middle_of_a_job_is_undone_and_resent_by_the_workers(
    own_stack: Stack, block_producer: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="render_worker")
    market, w3 = own_stack.market, own_stack.w3
    config = market.config()
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    artist, treasury = accounts[1], config.treasury
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    scene = build_builtin_scene("tiny", tmp_path / "tiny.blend")
    # The snapshot below is taken once the tiles are assigned and must come before either
    # worker commits: the workers' renders wait for it.
    manifest = build_manifest(
        scene_cid=ipfs.add_file(scene), frames=[1], resolution={"width": 32, "height": 32},
        tile_grid={"columns": 2, "rows": 2}, samples=16,
        verification={"patch_size": 8, "patch_count": 4},
    )  # fmt: skip
    job_id: int  # posted below
    history = lambda: market.events(job_id=job_id)  # noqa: E731
    rpc = lambda method, *params: _rpc(w3, method, *params)  # noqa: E731

    with (
        running_worker(own_stack, tmp_path, 2, pricing=TWO_TILES) as one,
        running_worker(own_stack, tmp_path, 3, pricing=TWO_TILES) as two,
    ):
        workers = (one, two)
        rendering = threading.Event()  # the snapshot must come before any commitment
        for daemon in workers:
            held_back(daemon.renderer, "render", rendering)
        before = balances(market, artist, treasury, one.me, two.me)
        job_id, _ = market.post_job(artist, PARAMS, ipfs.add_bytes(manifest.canonical_json()))
        of = lambda kind: {e.worker: e for e in history() if isinstance(e, kind)}  # noqa: E731
        wait_until(lambda: len(of(ev.TilesAssigned)) == 2, 120, "the tiles to be assigned")
        snapshot = rpc("evm_snapshot")
        settled_at = w3.eth.block_number
        rendering.set()
        wait_until(lambda: len(of(ev.VerifierDrawn)) == 2, 240, "both workers' verifiers")
        removed, removed_draws = of(ev.ResultsCommitted), of(ev.VerifierDrawn)
        assert all(e.block_number > settled_at for e in removed.values())
        old_blocks = {w: w3.eth.get_block(e.block_number)["hash"] for w, e in removed.items()}
        assert rpc("evm_revert", snapshot) is True
        wait_until(lambda: completed_once_released(market, job_id), 240, "the job's end")
        settled_in_db = lambda: all(  # noqa: E731
            [j.stage for j in d.state.jobs() if j.job_id == job_id] == ["paid"]
            and any(u.stage == "attested" for u in d.state.duties() if u.job_id == job_id)
            for d in workers
        )
        wait_until(settled_in_db, 60, "both workers to record the end")

    events = history()
    final = {e.worker: e for e in events if isinstance(e, ev.ResultsCommitted)}
    assert len([e for e in events if isinstance(e, ev.ResultsCommitted)]) == 2
    drawn = {e.worker: e for e in events if isinstance(e, ev.VerifierDrawn)}
    for worker, old in removed.items():
        # The very transaction that was removed, sent again: same hash, another block.
        assert final[worker].transaction_hash == old.transaction_hash
        receipt = w3.eth.get_transaction_receipt(HexStr(final[worker].transaction_hash))
        assert receipt["blockHash"] != old_blocks[worker]
        # Drawn again from the new chain's block hashes.
        assert drawn[worker].seed != removed_draws[worker].seed
    resent = [r.getMessage() for r in caplog.records if "sending it again" in r.getMessage()]
    assert any(m.startswith(f"commitResults:{job_id} ") for m in resent)
    assert any("chain reorganised" in r.getMessage() for r in caplog.records)

    # Each verified the other with the seed of the final chain's draw (the duty drawn in a
    # removed block was forgotten), and attested once.
    assert {w: e.verifier for w, e in drawn.items()} == {one.me: two.me, two.me: one.me}
    for daemon in workers:
        duties = [d for d in daemon.state.duties() if d.job_id == job_id]
        attested = [d for d in duties if d.stage == "attested"]
        assert [(d.worker, d.seed) for d in attested] == [
            (w, e.seed) for w, e in drawn.items() if e.verifier == daemon.me
        ], _show(duties)
        (job,) = [j for j in daemon.state.jobs() if j.job_id == job_id]
        assert job.stage == "paid"
        mined = [row.nonce for row in daemon.state.txs() if row.status == "mined"]
        assert len(mined) == len(set(mined))
    attests = [e for e in events if isinstance(e, ev.ResultsAttested)]
    assert sorted((e.worker, e.passed) for e in attests) == sorted((w, True) for w in drawn)
    assert_each_seat_paid_at_most_once(market, job_id)

    seats = {w: market.seat(job_id, w) for w in (one.me, two.me)}
    paid = {w: s.tile_count * s.price_per_tile for w, s in seats.items()}
    fee = PARAMS.verify_fee_per_tile
    protocol = sum(
        s.tile_count * (s.price_per_tile * config.protocol_fee_bps // BPS) for s in seats.values()
    )
    deposit = market.quote(PARAMS.tile_count, PARAMS.max_price_per_tile, fee)
    after = balances(market, artist, treasury, one.me, two.me)
    other = {one.me: two.me, two.me: one.me}
    # Each drew its own seat's verifier (the bounty) and verified the other's (the rest of its fee).
    bounty = {w: s.tile_count * fee * config.draw_bounty_bps // BPS for w, s in seats.items()}
    expected: dict[str, int] = {
        artist: deposit - sum(paid.values()) - PARAMS.tile_count * fee - protocol,
        treasury: protocol,
        **{
            w: PARAMS.bid_bond
            + paid[w]
            + bounty[w]
            + seats[other[w]].tile_count * fee
            - bounty[other[w]]
            for w in (one.me, two.me)
        },
    }
    assert {w: after[w] - before[w] for w in after} == expected
    assert_money_conserved(w3, market)


def test_a_removed_posting_never_lets_its_old_bid_land_on_the_job_that_takes_its_number(
    own_stack: Stack, block_producer: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Job numbers are a counter: a reorganisation that removes a job's posting hands its number
    to the next job posted, here another artist's with another scene. The workers' sealed bids on
    the removed job (priced for its scene) are not sent again; they bid afresh on the new job,
    render its scene in a new Blender child, and it ends paid with the money conserved."""
    caplog.set_level(logging.INFO, logger="render_worker")
    market, w3 = own_stack.market, own_stack.w3
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    first_artist, second_artist = accounts[1], accounts[4]
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    scene_cid = ipfs.add_file(build_builtin_scene("tiny", tmp_path / "tiny.blend"))

    def manifest_cid(samples: int) -> str:
        manifest = build_manifest(
            scene_cid=scene_cid, frames=[1], resolution={"width": 32, "height": 32},
            tile_grid={"columns": 2, "rows": 2}, samples=samples,
            verification={"patch_size": 8, "patch_count": 4},
        )  # fmt: skip
        return ipfs.add_bytes(manifest.canonical_json())

    first_cid, second_cid = manifest_cid(2), manifest_cid(3)
    rpc = lambda method, *params: _rpc(w3, method, *params)  # noqa: E731
    job_id: int  # posted below
    commits = lambda: {  # noqa: E731
        e.bidder: e.commitment
        for e in market.events(job_id=job_id)
        if isinstance(e, ev.BidCommitted)
    }

    with (
        running_worker(own_stack, tmp_path, 2, pricing=TWO_TILES) as one,
        running_worker(own_stack, tmp_path, 3, pricing=TWO_TILES) as two,
    ):
        workers = (one, two)
        snapshot = rpc("evm_snapshot")
        job_id, _ = market.post_job(first_artist, ROOMY, first_cid)
        wait_until(lambda: len(commits()) == 2, 60, "both workers' sealed bids")
        mined = lambda d: (row := d.sender.sent(f"commitBid:{job_id}")) and row.status == "mined"  # noqa: E731
        wait_until(lambda: all(mined(d) for d in workers), 30, "both workers to see them mined")
        removed = commits()
        assert rpc("evm_revert", snapshot) is True
        again, _ = market.post_job(second_artist, ROOMY, second_cid)
        assert again == job_id
        wait_until(lambda: len(commits()) == 2, 120, "both workers' sealed bids on the new job")
        rpc("evm_increaseTime", ROOMY.bid_window)
        rpc("evm_mine")
        wait_until(lambda: completed_once_released(market, job_id), 240, "the job's end")
        stages = lambda: {j.stage for d in workers for j in d.state.jobs() if j.job_id == job_id}  # noqa: E731
        wait_until(lambda: stages() == {"paid"}, 60, "both workers to record the end")
        for daemon in workers:
            assert daemon.children.job == (job_id, second_cid)

    final = commits()
    assert set(final) == {one.me, two.me}
    assert all(final[w] != removed[w] for w in final), "an old sealed bid landed on the new job"
    voided = [r.getMessage() for r in caplog.records if "not sending it again" in r.getMessage()]
    assert len([m for m in voided if m.startswith(f"commitBid:{job_id} ")]) == 2  # one each
    for daemon in workers:
        (job,) = [j for j in daemon.state.jobs() if j.job_id == job_id]
        assert (job.stage, job.manifest_cid, job.artist) == ("paid", second_cid, second_artist)
        # The removed bid's nonce went to an empty transfer: no gap, nothing sent twice.
        nonces = sorted(row.nonce for row in daemon.state.txs() if row.status == "mined")
        assert nonces == list(range(nonces[0], nonces[-1] + 1))
        assert w3.eth.get_transaction_count(daemon.me) == nonces[-1] + 1
    assert market.job(job_id).artist == second_artist
    assert_each_seat_paid_at_most_once(market, job_id)
    assert_money_conserved(w3, market)


def _rpc(w3: Web3, method: str, *params: object) -> Any:
    answer = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in answer, answer
    return answer["result"]


def _show(duties: list[DutyRow]) -> str:
    return "; ".join(f"{d.worker} round {d.round} {d.stage} seed {d.seed}" for d in duties)
