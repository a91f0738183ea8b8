"""Pin lifecycle on the server's IPFS node (`marketplace/assembly/retention.py`): an ended job's
scene, tiles, results lists and evidence stay pinned for the retention period, then are unpinned;
its frames stay pinned and downloadable."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.api.deps import Services
from marketplace.assembly.retention import PinRetention
from marketplace.db.chain_models import SeatView
from marketplace.db.session import Database
from marketplace.manifests import Manifests
from tests.marketplace.finished_job import FinishedJob, frames_of
from tests.marketplace.rows import WORKER, job_row, seat_row
from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm.manifest import canonical_json
from tilefarm.results import ResultsList, ResultTile
from tilefarm_cli.devnet import StackStatus

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs]

HOUR = 3600.0


def _material(job: FinishedJob) -> tuple[Services, set[str], set[str]]:
    """The server's services, and the job's results lists and verifiers' evidence."""
    services: Services = job.api.app.state.services  # type: ignore[attr-defined]
    with services.db.session() as session:
        seats = list(session.scalars(select(SeatView).where(SeatView.job_id == job.job_id)))
    lists = {s.results_cid for s in seats if s.results_cid}
    return services, lists, {s.evidence_cid for s in seats if s.evidence_cid}


def test_an_ended_jobs_scene_tiles_and_evidence_are_unpinned_after_retention_not_its_frames(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    services, lists, evidence = _material(job)
    tiles = {
        t.cid for cid in lists for t in ResultsList.model_validate_json(job.ipfs.cat(cid)).tiles
    }
    frames = {str(f[k]) for f in frames_of(job.api, job.job_id) for k in ("png_cid", "exr_cid")}
    scene = job.manifest.scene_cid
    material = {scene, *lists, *evidence, *tiles}
    assert lists and evidence and len(tiles) == job.params.tile_count
    assert material | frames <= job.ipfs.pins()

    retention = PinRetention(services.db, job.ipfs, services.manifests, retention_seconds=HOUR)
    now = float(job.stack.w3.eth.get_block("latest")["timestamp"])
    # Other tests post jobs on this stack too: the scene goes only when no job still kept names
    # it, or might (a kept job whose manifest is not stored here).
    with services.db.session() as session:
        _, kept = retention.jobs(session, now + 1)
    stored = [services.manifests.get(cid) for cid in kept]
    scene_free = all(m is not None and m.manifest.scene_cid != scene for m in stored)
    unpinned: list[str] = []
    try:
        unpinned += retention.release(now)  # other tests' jobs on this stack may be older
        assert not material & set(unpinned)  # this one ended within the hour
        unpinned += retention.release(now + HOUR + 1)
        assert material - {scene} <= set(unpinned)
        assert (scene in unpinned) == scene_free
        pins = job.ipfs.pins()
        assert not set(unpinned) & pins
        assert frames <= pins
        for f in frames_of(job.api, job.job_id):
            assert job.api.get(str(f["png_url"])).status_code == 200
        assert retention.release(now + HOUR + 1) == []  # nothing twice
    finally:
        for cid in unpinned:  # as it was, for the other tests sharing the job
            job.ipfs.pin_add(cid)


class RefusingOnce(KuboClient):
    """The server's node, refusing to unpin one CID the first time it is asked (as Kubo does when
    another call unpinned it meanwhile, or while it is going down)."""

    def __init__(self, api_url: str, refused: str) -> None:
        super().__init__(api_url)
        self.refused: str | None = refused

    def pin_rm(self, cid: str) -> None:
        if cid == self.refused:
            self.refused = None
            raise IpfsError(f"IPFS /pin/rm failed (500): refused {cid} for the test")
        super().pin_rm(cid)


def test_an_unpin_the_node_refuses_keeps_the_results_lists_and_is_tried_again_at_the_next_look(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    services, lists, all_evidence = _material(job)
    evidence = sorted(all_evidence)[0]
    assert job.stack.status.ipfs_api_url
    unpinned: list[str] = []
    with RefusingOnce(job.stack.status.ipfs_api_url, evidence) as node:
        retention = PinRetention(services.db, node, services.manifests, retention_seconds=HOUR)
        later = float(job.stack.w3.eth.get_block("latest")["timestamp"]) + HOUR + 1
        try:
            unpinned += retention.release(later)
            assert evidence not in unpinned and not lists & set(unpinned)
            assert {evidence, *lists} <= job.ipfs.pins()
            unpinned += retention.release(later)  # the next look
            assert {evidence, *lists} <= set(unpinned)
            assert not {evidence, *lists} & job.ipfs.pins()
            assert retention.release(later) == []
        finally:
            for cid in unpinned:  # as it was, for the other tests sharing the job
                job.ipfs.pin_add(cid)


def test_a_tile_two_ended_jobs_share_is_unpinned_once_and_both_jobs_are_released_in_one_look(
    devnet: StackStatus, tmp_path: Path
) -> None:
    assert devnet.ipfs_api_url
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    with KuboClient(devnet.ipfs_api_url) as ipfs:
        # Two jobs whose tiles came out byte for byte the same for one tile (a scene rendered
        # again): the same CID in both results lists.
        shared, *own = (ipfs.add_bytes(os.urandom(64)) for _ in range(3))
        lists = [
            ipfs.add_bytes(
                canonical_json(
                    ResultsList(
                        job_id=job_id, worker=WORKER, manifest_cid="bafy-manifest",
                        tiles=[
                            ResultTile(index=0, cid=shared, pixel_hash="0x" + "00" * 32),
                            ResultTile(index=1, cid=tile, pixel_hash="0x" + "11" * 32),
                        ],
                    ).model_dump(mode="json")
                )
            )
            for job_id, tile in ((1, own[0]), (2, own[1]))
        ]  # fmt: skip
        with db.session() as session:
            for job_id, results in ((1, lists[0]), (2, lists[1])):
                session.add(job_row(job_id, status="Cancelled"))
                session.add(seat_row(job_id, WORKER, "Paid", results_cid=results))
        retention = PinRetention(db, ipfs, Manifests(db, ipfs), retention_seconds=HOUR)
        ended = job_row(1).posted_at  # their last event: none indexed, so their posting
        material = {shared, *own, *lists}
        unpinned = retention.release(ended + HOUR + 1)
        assert sorted(unpinned) == sorted(material)  # the shared tile once
        assert not material & ipfs.pins()
        assert retention.release(ended + HOUR + 1) == []  # both released in the one look
    db.engine.dispose()
