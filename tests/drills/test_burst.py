"""Drill: a burst of jobs. Eight jobs are posted within a few seconds, each with a six-second
bid window, on a chain that mines a block every second, and three workers have the stake and the
queue for all of them. A worker keeps several transactions in flight and acts on its jobs in the
order of their deadlines (`render_worker/chain/sender.py`, `render_worker/daemon.py`), so each
of them commits a sealed bid on every job while its window is open. A worker that waited for each
of its transactions got one bid into each block: the eighth job's bid came eight blocks or more
after the burst, past that job's window.

The three workers run as threads of the test's process, with the chain's clock following the wall
clock: they do not warm a Blender child while bidding here (three children starting at once on a
loaded machine would hold the bidding up, which is not what the drill measures).

The drill prints, for each worker, how many of the eight jobs it bid on in time, and for each job
how many seconds of chain time passed from its posting to its settlement.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from render_worker.daemon import WorkerDaemon
from tests.conftest import fresh_stack_settings
from tests.worker.conftest import Stack, running_stack, running_worker, tiny_job
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]

JOBS = 8
WORKERS = (2, 3, 4)  # dev accounts
ARTISTS = (1, 5, 6, 7)  # dev accounts, two jobs each
BID_WINDOW = 6
REVEAL_WINDOW = 6


@pytest.fixture(scope="module")
def burst_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A devnet of its own whose chain mines a block every second, with or without
    transactions, as a real chain does: a worker that waits for each of its transactions gets
    one into each block."""
    settings = fresh_stack_settings(tmp_path_factory.mktemp("burst-stack")).model_copy(
        update={"block_time": 1.0}
    )
    with running_stack(settings) as stack:
        yield stack


def test_every_worker_bids_on_every_job_of_a_burst_before_its_bid_window_closes(
    burst_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WorkerDaemon, "_warm_while_bidding", lambda *_args: None)
    market, w3 = burst_stack.market, burst_stack.w3
    assert burst_stack.status.ipfs_api_url
    ipfs = KuboClient(burst_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 1), samples=2,
        windows=(BID_WINDOW, REVEAL_WINDOW),
    )  # fmt: skip
    workers = [dev_account(i).address for i in WORKERS]
    first_block = w3.eth.block_number
    with ExitStack() as running:
        for index in WORKERS:
            running.enter_context(running_worker(burst_stack, tmp_path, index))

        def post_two(artist: int) -> list[int]:
            sender = dev_account(artist).address
            return [market.post_job(sender, params, manifest_cid)[0] for _ in range(2)]

        with ThreadPoolExecutor(len(ARTISTS)) as pool:
            job_ids = sorted(i for ids in pool.map(post_two, ARTISTS) for i in ids)
        assert len(job_ids) == JOBS

        # Every job is settled, by a bidder or (a job nobody bid on) by a watcher after its
        # grace: the figures below are read once the bidding of the burst is over.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            settled = {
                e.job_id for e in market.events(first_block) if isinstance(e, ev.BidsSettled)
            }
            if settled >= set(job_ids):
                break
            time.sleep(0.5)

    events = [e for e in market.events(first_block) if getattr(e, "job_id", None) in job_ids]
    stamps: dict[int, int] = {}

    def stamp(event: ev.MarketEvent) -> int:
        if event.block_number not in stamps:
            stamps[event.block_number] = w3.eth.get_block(event.block_number)["timestamp"]
        return stamps[event.block_number]

    posted = {e.job_id: e for e in events if isinstance(e, ev.JobPosted)}
    in_time = {
        (e.job_id, e.bidder)
        for e in events
        if isinstance(e, ev.BidCommitted) and stamp(e) <= posted[e.job_id].bid_end
    }
    delays = {
        e.job_id: stamp(e) - stamp(posted[e.job_id])
        for e in events
        if isinstance(e, ev.BidsSettled)
    }
    spread = stamp(posted[job_ids[-1]]) - stamp(posted[job_ids[0]])
    print(f"\nburst: {JOBS} jobs posted within {spread} s of chain time")
    for worker in workers:
        count = sum((job_id, worker) in in_time for job_id in job_ids)
        print(f"worker {worker}: bid on {count} of {JOBS} jobs in time")
    print("settled after (s of chain time):", [delays.get(job_id) for job_id in job_ids])

    missed = sorted(
        (job_id, worker)
        for job_id in job_ids
        for worker in workers
        if (job_id, worker) not in in_time
    )
    assert not missed, f"bids missing or mined after the bid window closed: {missed}"
    assert set(delays) == set(job_ids), "a job of the burst was never settled"
