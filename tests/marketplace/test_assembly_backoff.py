"""The assembler and a seat whose files are not served (its worker went offline): the seat is
put off on its own, with all the frames that need it, and every other job's frames are
assembled meanwhile, without asking for the seat's files again for each frame or scan; once
they are served, its frames are assembled. On a real
market with real tiles on IPFS and no worker (`tests.marketplace.tiled_job`), an assembler of
the test's own on a database indexed afresh, reading IPFS through a node that holds every
request for the seat's results list past the assembler's timeout (as a node searching the
network for a CID nobody serves does)."""

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.assembly import Assembler
from marketplace.db.frame_models import AssembledFrame
from marketplace.db.session import Database
from marketplace.indexer import Indexer
from tests.ipfs.hostile_node import hostile_node
from tests.marketplace import tiled_job as tiled
from tests.marketplace.market import Bid, Market
from tests.marketplace.tiled_job import PRICE, TiledJob, tiled_job
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.cids import cid_of_bytes

pytestmark = [pytest.mark.chain, pytest.mark.stack, pytest.mark.ipfs]

work, market, ipfs = tiled.work, tiled.market, tiled.ipfs  # module fixtures

READ_TIMEOUT = 0.5  # the test's assembler waits this long for an answer
HELD = 2.0  # the node holds a request for the unserved results list this long


def accepted(job: TiledJob, results_cid: str | None = None) -> TiledJob:
    """Each seat of `job` commits, reveals (its results list, or `results_cid`) and passes."""
    for worker in job.seats:
        job.commit(worker)
        job.reveal(worker, results_cid)
        job.verdict(worker, True)
    return job


def frame_rows(db: Database, job: TiledJob) -> list[tuple[int, str, str | None, int]]:
    """`(frame, status, error, attempts)` of each frame of `job`."""
    with db.session() as session:
        rows = session.scalars(
            select(AssembledFrame)
            .where(AssembledFrame.job_id == job.job_id)
            .order_by(AssembledFrame.frame)
        )
        return [(r.frame, r.status, r.error, r.attempts) for r in rows]


def test_a_seat_whose_results_no_node_serves_holds_up_no_other_jobs_frame(
    market: Market, ipfs: KuboClient, work: Path, tmp_path: Path
) -> None:
    offline_worker, a, b = market.workers[:3]
    # Posted first, so scanned first: one seat holds all three frames, and reveals a results
    # list no node has (its own list, written with other spacing).
    offline = tiled_job(market, ipfs, work / "offline", [1, 2, 3], [Bid(offline_worker, PRICE, 12)])
    raw = json.dumps(offline.seats[offline_worker].results.model_dump(mode="json"), indent=1)
    unserved = cid_of_bytes(raw.encode())
    accepted(offline, unserved)
    served = accepted(tiled_job(market, ipfs, work / "served", [1], [Bid(a, PRICE, 4)]))
    later = tiled_job(market, ipfs, work / "later", [1], [Bid(b, PRICE, 4)])
    db = Database(f"sqlite:///{tmp_path / 'market.db'}")
    indexer = Indexer(db, market.client, market.start_block)
    indexer.sync()
    asked: list[str] = []
    holding = [True]

    def hold_unserved(path: str, body: bytes) -> bytes:
        asked.append(path)
        if unserved in path and holding[0]:
            time.sleep(HELD)  # past the assembler's timeout: a CID nobody serves
        return body

    assert ipfs.api_url
    with hostile_node(ipfs.api_url, hold_unserved) as url, KuboClient(url) as node:
        assembler = Assembler(db, node, tmp_path / "work", read_timeout=READ_TIMEOUT)
        try:
            stored = assembler.step()
            assert [s.job_id for s in stored] == [served.job_id]
            # Asked for once, not once for each frame: its other frames wait with it.
            assert len([p for p in asked if unserved in p]) == 1
            assert frame_rows(db, offline) == [(f, "pending", None, 0) for f in (1, 2, 3)]

            # Another job's frame comes due: assembled at the next scan, and the seat put off
            # is not asked for again meanwhile.
            accepted(later)
            indexer.sync()
            asked.clear()
            stored = assembler.step()
            assert [s.job_id for s in stored] == [later.job_id]
            assert not [p for p in asked if unserved in p]
            assert [r[1] for r in frame_rows(db, offline)] == ["pending"] * 3
        finally:
            assembler.close()

        # Served from now on: the next assembler (a restart) stores the frames.
        assert ipfs.add_bytes(raw.encode()) == unserved
        holding[0] = False
        again = Assembler(db, node, tmp_path / "work", read_timeout=READ_TIMEOUT)
        try:
            assert [(s.job_id, s.frame) for s in again.step()] == [
                (offline.job_id, f) for f in (1, 2, 3)
            ]
        finally:
            again.close()
    assert [r[1] for r in frame_rows(db, offline)] == ["assembled"] * 3
    db.engine.dispose()


FIRST_WAIT = 2.0  # the test assembler's first back-off, in seconds


def test_a_job_whose_manifest_no_node_serves_is_asked_for_less_and_less_often_and_holds_up_no_other_job(  # noqa: E501
    market: Market, ipfs: KuboClient, work: Path, tmp_path: Path
) -> None:
    a, b = market.workers[:2]
    scene = ipfs.add_bytes(b"a scene of its own: a manifest no other job has")
    unserved = accepted(
        tiled_job(market, ipfs, work / "unserved", [1], [Bid(a, PRICE, 4)], scene_cid=scene)
    )
    served = accepted(tiled_job(market, ipfs, work / "manifest served", [1], [Bid(b, PRICE, 4)]))
    db = Database(f"sqlite:///{tmp_path / 'market.db'}")
    Indexer(db, market.client, market.start_block).sync()
    asked: list[str] = []
    holding = [True]

    def hold_manifest(path: str, body: bytes) -> bytes:
        if unserved.manifest_cid in path:
            asked.append(path)
            if holding[0]:
                time.sleep(HELD)  # past the assembler's timeout: a CID nobody serves
        return body

    assert ipfs.api_url
    with hostile_node(ipfs.api_url, hold_manifest) as url, KuboClient(url) as node:
        assembler = Assembler(
            db, node, tmp_path / "work", read_timeout=READ_TIMEOUT, retry_seconds=FIRST_WAIT
        )
        try:
            stored = [s.job_id for s in assembler.step()]
            assert served.job_id in stored and unserved.job_id not in stored
            assert len(asked) == 1
            # Put off for the first wait: asked again once it has passed...
            time.sleep(FIRST_WAIT + 0.2)
            assembler.step()
            assert len(asked) == 2
            # ...then for twice as long: not asked one first wait later, asked after two.
            time.sleep(FIRST_WAIT + 0.2)
            assembler.step()
            assert len(asked) == 2
            time.sleep(FIRST_WAIT)
            assembler.step()
            assert len(asked) == 3
        finally:
            assembler.close()

        # Served from now on: the next assembler (a restart) reads it and stores the frame.
        holding[0] = False
        again = Assembler(db, node, tmp_path / "work", read_timeout=READ_TIMEOUT)
        try:
            assert unserved.job_id in [s.job_id for s in again.step()]
        finally:
            again.close()
    assert frame_rows(db, unserved) == [(1, "assembled", None, 1)]
    db.engine.dispose()
