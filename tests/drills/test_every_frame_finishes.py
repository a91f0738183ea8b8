"""Drills: every frame finishes. On the real stack (anvil, Kubo, Blender, workers), tiles a worker
never delivers go back on the market in a new round until an honest worker delivers them:

- a worker SIGKILLed while it renders its tiles, never restarted: after the render deadline its
  tiles are claimed late and re-offered, and another worker renders them;
- a cheater whose forged tiles fail verification: its results are rejected, it is barred from the
  job, and its tiles are re-offered to honest workers;
- a job nobody bids on in its first round (its only worker is priced above the maximum) until the
  artist raises the maximum while the round runs: the round ends unsold and the tiles go round
  again at the new price.

Each ends with every frame assembled by the server's assembler from honest tiles only, equal bit
for bit to a plain Blender render of the same scene and manifest, no tile paid twice, and the
market's ETH equal to what it owes.
"""

import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil
import pytest
from sqlalchemy import select

from marketplace.assembly import Assembler
from marketplace.db.frame_models import AssembledFrame
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from render_worker.settings import PricingPolicy
from render_worker.state.models import TileRow
from render_worker.state.store import WorkerState
from render_worker.work.assignment import AssignmentRenderer
from tests.drills.conftest import worker_process
from tests.drills.ledger import (
    assert_money_conserved,
    assert_no_tile_paid_twice,
    completed_once_released,
)
from tests.worker.conftest import Stack, dev_account, running_worker, wait_until
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.pixels import pixel_hash, read_exr, write_exr
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.stack, pytest.mark.blender]

NEVER_BIDS = PricingPolicy(wei_per_render_second=10**30)
SPEED = 60_000_000.0  # pixel-samples a minute: the tiny scene on one thread, roughly
MAX_PRICE = 10**15


@contextmanager
def job_scene(
    stack: Stack, tmp: Path, samples: int
) -> Iterator[tuple[KuboClient, Path, RenderManifest]]:
    """The tiny scene's frames 1 and 2 at 48x32 in 2x2 tiles (8 tiles), on the stack's IPFS."""
    assert stack.status.ipfs_api_url
    with KuboClient(stack.status.ipfs_api_url) as ipfs:
        scene = build_builtin_scene("tiny", tmp / "tiny.blend")
        manifest = build_manifest(
            scene_cid=ipfs.add_file(scene), frames=[1, 2], resolution={"width": 48, "height": 32},
            tile_grid={"columns": 2, "rows": 2}, samples=samples,
            verification={"patch_size": 8, "patch_count": 4},
        )  # fmt: skip
        yield ipfs, scene, manifest


def params(stack: Stack, max_price: int = MAX_PRICE, render_window: int = 45) -> ev.JobParams:
    """An 8-tile job that may re-offer its tiles in two more rounds within the next half hour."""
    now = int(stack.w3.eth.get_block("latest")["timestamp"])
    return ev.JobParams(
        tile_count=8, frame_count=2, max_price_per_tile=max_price, verify_fee_per_tile=10**12,
        bid_bond=10**14, bid_window=6, reveal_window=6, render_window=render_window,
        verify_window=30, max_rounds=2, final_deadline=now + 1_800,
    )  # fmt: skip


def post(stack: Stack, ipfs: KuboClient, manifest: RenderManifest, p: ev.JobParams) -> int:
    accounts: Sequence[str] = stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = stack.market.post_job(accounts[1], p, ipfs.add_bytes(manifest.canonical_json()))
    return job_id


def assert_frames_are_the_scene(
    stack: Stack, ipfs: KuboClient, job_id: int, scene: Path, manifest: RenderManifest, tmp: Path
) -> None:
    """The server's assembler (indexing the chain afresh) stores every frame whole, and each
    equals a plain Blender render of the frame, bit for bit."""
    db = Database(f"sqlite:///{tmp / 'market.db'}")
    start = read_deployments(stack.deployments_file).contracts["JobMarket"].block_number
    Indexer(db, stack.market, start).sync()
    Assembler(db, ipfs, tmp / "assembly").step()
    with db.session() as session:
        rows = {
            r.frame: (r.status, r.exr_cid, list(r.missing_tiles or []))
            for r in session.scalars(select(AssembledFrame).where(AssembledFrame.job_id == job_id))
        }
    db.engine.dispose()
    assert {f: (status, missing) for f, (status, _, missing) in rows.items()} == {
        f: ("assembled", []) for f in manifest.frames
    }
    with BlenderChild(threads=1) as child:
        child.open(scene, manifest)
        for frame, (_, exr_cid, _) in rows.items():
            assert exr_cid is not None
            assembled = read_exr(ipfs.cat_to_file(exr_cid, tmp / f"frame-{frame}.exr"))
            plain = read_exr(child.render_frame(frame, tmp / f"plain-{frame}").path)
            assert assembled.tobytes() == plain.tobytes(), f"frame {frame} differs from Blender"


def assert_books(stack: Stack, job_id: int, rounds: int) -> dict[int, int]:
    """No tile paid twice, every tile paid, the job needed `rounds` rounds after its first, and
    the market holds what it owes. Returns each tile's round."""
    paid = assert_no_tile_paid_twice(stack.market, job_id)
    assert sorted(paid) == list(range(8)), f"tiles paid: {sorted(paid)}"
    assert max(paid.values()) == rounds
    assert stack.market.job(job_id).status_name == "Completed"
    assert stack.market.unsold_tiles(job_id) == []
    assert_money_conserved(stack.w3, stack.market)
    return paid


def leave_pool(stack: Stack, *indices: int) -> None:
    """The drill's workers ask to unstake everything: the next drill on this chain must not
    draw them as verifiers once they no longer run."""
    for index in indices:
        account = dev_account(index)
        record = stack.market.account(account.address)
        if record.stake > record.locked:
            stack.market.request_unstake(account, record.stake - record.locked)


def test_a_worker_killed_mid_job_and_never_restarted_leaves_no_hole_in_the_frames(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    a = dev_account(2)
    market.stake(a, market.config().min_stake)
    db_a, log_a = WorkerState(tmp_path / "worker2" / "worker.db"), tmp_path / "worker2.log"
    with (
        job_scene(own_stack, tmp_path, samples=4096) as (ipfs, scene, manifest),
        worker_process(own_stack, tmp_path, 2, {"max_queue_tiles": 4}, SPEED) as worker_a,
        running_worker(own_stack, tmp_path, 3, pricing=PricingPolicy(max_queue_tiles=4),
                       pixel_samples_per_minute=SPEED),
        running_worker(own_stack, tmp_path, 4, pricing=NEVER_BIDS),  # an honest verifier
    ):  # fmt: skip
        wait_until(lambda: db_a.get_meta("cursor") is not None, 180, "worker A to start", log_a)
        job_id = post(own_stack, ipfs, manifest, params(own_stack))

        def rendering() -> bool:
            children = psutil.Process(worker_a.pid).children(recursive=True)
            return bool(children) and any(j.stage == "won" for j in db_a.jobs())

        wait_until(rendering, 180, "worker A to render its tiles", log_a)
        os.killpg(worker_a.pid, signal.SIGKILL)
        worker_a.wait()
        assert market.seat(job_id, a.address).state_name == "Assigned"
        # Its operator takes out what it may: the dead worker leaves the verifier pool, so that
        # no draw waits on it (a silent verifier is the dead-worker drill's fault, not this one's).
        leave_pool(own_stack, 2)
        wait_until(lambda: completed_once_released(market, job_id), 600, "every frame's tiles")
        history = market.events(job_id=job_id)
        (late,) = [e for e in history if isinstance(e, ev.WorkerTimedOut)]
        assert late.worker == a.address
        returned = [e for e in history if isinstance(e, ev.TilesReturned) and e.worker == a.address]
        assert [(e.cause, e.tile_count) for e in returned] == [(10, 4)]  # TimedOut, its 4 tiles
        assert market.is_barred(job_id, a.address)
        paid = assert_books(own_stack, job_id, rounds=1)
        assert {t for t, r in paid.items() if r == 1} == set(
            range(returned[0].first_tile, returned[0].first_tile + 4)
        )
        assert_frames_are_the_scene(own_stack, ipfs, job_id, scene, manifest, tmp_path)
    leave_pool(own_stack, 2, 3, 4)


class ForgingRenderer(AssignmentRenderer):
    """Renders nothing it publishes: every tile is replaced by flat grey before it is added to
    IPFS, with a pixel hash of the grey (its results list is consistent; its pixels are false)."""

    def _publish(self, row: TileRow) -> None:
        path = Path(row.exr_path)
        grey = np.full_like(read_exr(path), 0.5)
        grey[..., 3] = 1.0
        write_exr(path, grey)
        row.pixel_hash = pixel_hash(grey)
        super()._publish(row)


def test_a_cheaters_rejected_tiles_are_rendered_again_by_honest_workers(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    with (
        job_scene(own_stack, tmp_path, samples=16) as (ipfs, scene, manifest),
        running_worker(own_stack, tmp_path, 5, appeal_failures=False,
                       pricing=PricingPolicy(max_queue_tiles=4)) as cheater,
        running_worker(own_stack, tmp_path, 6, pricing=PricingPolicy(max_queue_tiles=4)),
        running_worker(own_stack, tmp_path, 7, pricing=NEVER_BIDS),  # an honest verifier
    ):  # fmt: skip
        cheater.renderer.__class__ = ForgingRenderer
        job_id = post(own_stack, ipfs, manifest, params(own_stack))
        wait_until(lambda: completed_once_released(market, job_id), 600, "every frame's tiles")
        history = market.events(job_id=job_id)
        (rejected,) = [e for e in history if isinstance(e, ev.ResultsRejected)]
        assert rejected.worker == cheater.me
        returned = [e for e in history if isinstance(e, ev.TilesReturned)]
        assert [(e.worker, e.cause) for e in returned] == [(cheater.me, 9)]  # Rejected
        assert market.is_barred(job_id, cheater.me)
        paid = assert_books(own_stack, job_id, rounds=1)
        forged = range(returned[0].first_tile, returned[0].first_tile + returned[0].tile_count)
        assert all(paid[t] == 1 for t in forged)
        assert_frames_are_the_scene(own_stack, ipfs, job_id, scene, manifest, tmp_path)
    leave_pool(own_stack, 5, 6, 7)


def test_a_job_nobody_bids_on_goes_round_again_once_the_artist_raises_its_price(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    accounts: Sequence[str] = own_stack.w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    cheap = params(own_stack, max_price=10**6)  # below any worker's price
    with (
        job_scene(own_stack, tmp_path, samples=16) as (ipfs, scene, manifest),
        running_worker(own_stack, tmp_path, 8, pricing=PricingPolicy(max_queue_tiles=8)),
        running_worker(own_stack, tmp_path, 9, pricing=NEVER_BIDS),  # an honest verifier
    ):  # fmt: skip
        job_id = post(own_stack, ipfs, manifest, cheap)
        # While the first round runs, the artist raises the maximum and funds the next round.
        reserve = market.reoffer_of(job_id).reserve
        bounty = 8 * cheap.verify_fee_per_tile * market.config().draw_bounty_bps // 10_000
        needed = market.quote(8, MAX_PRICE, cheap.verify_fee_per_tile) + bounty - reserve
        market.top_up(artist, job_id, MAX_PRICE, needed)
        wait_until(lambda: completed_once_released(market, job_id), 600, "every frame's tiles")
        history = market.events(job_id=job_id)
        settled = [e for e in history if isinstance(e, ev.BidsSettled)]
        assert [(e.assigned_tiles, e.winners) for e in settled] == [(0, 0)]  # nobody bid
        (opened,) = [e for e in history if isinstance(e, ev.RoundOpened)]
        assert (opened.tiles, opened.max_price_per_tile) == (8, MAX_PRICE)
        assert not any(isinstance(e, ev.ReofferingEnded) for e in history)
        paid = assert_books(own_stack, job_id, rounds=1)
        assert set(paid.values()) == {1}
        assert_frames_are_the_scene(own_stack, ipfs, job_id, scene, manifest, tmp_path)
    leave_pool(own_stack, 8, 9)
