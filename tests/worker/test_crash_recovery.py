"""A worker killed with SIGKILL in the middle of a tile, then restarted, completes its job: no
tile it had stored is rendered again, and nothing is committed twice. Checked on the chain and
on IPFS, not in logs."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil
import pytest

from render_worker.keystore import create_keystore
from render_worker.state.store import WorkerState
from tests.worker.conftest import (
    PASSWORD,
    Stack,
    dev_account,
    tiny_job,
    wait_until,
    wait_until_read,
    worker_settings,
)
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.events import BidCommitted, BidRevealed, ResultsCommitted
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes
from tilefarm.hardware import RenderedOn
from tilefarm.manifest import canonical_json
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.results import ResultsList, ResultTile

pytestmark = [pytest.mark.stack, pytest.mark.blender]


def _config(stack: Stack, state_dir: Path) -> Path:
    settings = worker_settings(stack, state_dir)
    lines = {
        "state_dir": str(state_dir),
        "rpc_url": settings.rpc_url,
        "ipfs_api_url": settings.ipfs_api_url,
        "deployments_file": str(settings.deployments_file),
        "confirmations": 0,
        "poll_seconds": 0.2,
        "pixel_samples_per_minute": 1_000_000.0,
        "threads": 1,
    }
    body = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in lines.items())
    path = state_dir.parent / "worker.toml"
    path.write_text(body)
    return path


_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """A test that fails half-way must not leave its worker (and Blender child) running."""
    yield
    for proc in _STARTED:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _STARTED.clear()


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).parent / "render-worker"
    env = {**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(cli), "run", "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    _STARTED.append(proc)
    # A loaded machine can take seconds to start Python and unlock the key: a job posted before
    # the worker follows the chain may close its bid window unseen.
    wait_until(lambda: "starting; market" in log.read_text(), 120, "the worker to start", log)
    return proc


def test_a_worker_killed_mid_tile_resumes_and_commits_each_tile_once(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market: JobMarketClient = own_stack.market
    w3 = own_stack.w3
    state_dir = tmp_path / "worker"
    account = dev_account(4)
    create_keystore(state_dir / "key.json", PASSWORD, account.key.hex())
    market.stake(account, market.config().min_stake)
    config, log = _config(own_stack, state_dir), tmp_path / "worker.log"
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)

    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(160, 120), grid=(4, 3), samples=128, windows=(6, 60)
    )
    worker = _start(config, log)
    db = WorkerState(state_dir / "worker.db")
    wait_until_read(own_stack, db, lambda: worker.poll() is None, "the worker", log)
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    job_id, _ = market.post_job(artist, params, manifest_cid)

    wait_until(lambda: len(db.tiles(job_id)) >= 3, 180, "three tiles stored", log)
    children = psutil.Process(worker.pid).children(recursive=True)
    assert children, "the worker should be rendering in a Blender child"
    os.killpg(worker.pid, signal.SIGKILL)  # the worker dies mid-render, without any cleanup
    worker.wait()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, "a Blender child outlived its killed worker"
    before = {
        t: (row.pixel_hash, os.stat(row.exr_path).st_mtime_ns)
        for t, row in db.tiles(job_id).items()
    }
    assert 3 <= len(before) < 12, "the kill came after the last tile; slow the render down"

    restarted = _start(config, log)
    try:
        wait_until(lambda: market.seat(job_id, account.address).state_name == "Submitted", 240,
              "the results to be committed", log)  # fmt: skip
        market.accept_results(artist, job_id, account.address)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=60)

    after = db.tiles(job_id)
    assert sorted(after) == list(range(12))
    for tile, (digest, mtime) in before.items():  # stored before the kill: never rendered again
        assert (after[tile].pixel_hash, os.stat(after[tile].exr_path).st_mtime_ns) == (
            digest,
            mtime,
        )

    events = market.events(job_id=job_id)
    mine = [
        e for e in events if getattr(e, "bidder", getattr(e, "worker", None)) == account.address
    ]
    assert sum(isinstance(e, BidCommitted) for e in mine) == 1
    assert sum(isinstance(e, BidRevealed) for e in mine) == 1
    (commit,) = [e for e in mine if isinstance(e, ResultsCommitted)]
    # The artist accepted before any verifier sealed: the results list was never revealed, and
    # the root commits to the tiles the worker stored, each once.
    job = db.job(job_id)
    assert job is not None and job.results_cid is not None
    # Every tile of this CPU worker was rendered on one machine: one device, named by each tile.
    (device,) = {RenderedOn.model_validate(row.rendered_on) for row in after.values()}
    results = ResultsList(
        job_id=job_id, worker=account.address, manifest_cid=manifest_cid,
        tiles=[ResultTile(index=t, cid=str(row.cid), pixel_hash=row.pixel_hash, device=0)
               for t, row in sorted(after.items())],
        devices=[device],
    )  # fmt: skip
    assert "0x" + results.root().hex() == commit.merkle_root == job.merkle_root
    assert cid_of_bytes(canonical_json(results.model_dump())) == job.results_cid
    for published in results.tiles:
        fetched = ipfs.cat_to_file(published.cid, tmp_path / "fetched" / f"{published.index}.exr")
        assert pixel_hash(read_exr(fetched)) == published.pixel_hash
    assert market.seat(job_id, account.address).state_name == "Paid"  # the artist accepted: paid
    nonces = [row.nonce for row in db.txs() if row.status == "mined"]
    assert len(nonces) == len(set(nonces))
    # The log file holds each record on one line: the commit's transaction is found whole.
    assert f"sent commitResults:{job_id}: {commit.transaction_hash}" in log.read_text()


def test_sigterm_finishes_the_tile_in_progress_and_stops_cleanly(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market: JobMarketClient = own_stack.market
    state_dir = tmp_path / "worker"
    account = dev_account(0)
    create_keystore(state_dir / "key.json", PASSWORD, account.key.hex())
    market.stake(account, market.config().min_stake)
    config, log = _config(own_stack, state_dir), tmp_path / "worker.log"
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(160, 120), grid=(4, 3), samples=48, windows=(6, 60)
    )
    worker = _start(config, log)
    db = WorkerState(state_dir / "worker.db")
    wait_until_read(own_stack, db, lambda: worker.poll() is None, "the worker", log)
    accounts: Sequence[str] = own_stack.w3.eth.accounts  # web3 types it as a 1-tuple
    job_id, _ = market.post_job(accounts[1], params, manifest_cid)
    wait_until(lambda: len(db.tiles(job_id)) >= 1, 180, "a first tile", log)
    children = psutil.Process(worker.pid).children(recursive=True)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    stored = db.tiles(job_id)
    assert 1 <= len(stored) < 12
    assert all(row.cid for row in stored.values())  # what was rendered was also published
    assert "stopping after the tile in progress" in log.read_text()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
