"""Remote pins (`marketplace/assembly/remote_pins.py`): with a pinning service set, the server's
frames are pinned on it too, and pin retention deletes the remote pins of what it unpins. The
service is the tests' own implementation of the IPFS Pinning Service API, pinning on the stack's
Kubo (offline: it cannot fetch from anyone else)."""

import time

import pytest
from sqlalchemy import select

from marketplace.api.deps import Services
from marketplace.assembly.remote_pins import RemotePins
from marketplace.assembly.retention import PinRetention
from marketplace.db.chain_models import SeatView
from marketplace.settings import MarketplaceSettings
from tests.ipfs.pinning_service import running_pinning_service
from tests.marketplace.finished_job import FinishedJob, frames_of
from tilefarm.adapters.ipfs.pinning_service import PinningService
from tilefarm_cli.devnet.ports import free_port

pytestmark = [pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs]

HOUR = 3600.0
TOKEN = "server-account-token"


def _evidence(services: Services, job_id: int) -> set[str]:
    """The verifiers' evidence of the job's seats."""
    with services.db.session() as session:
        seats = session.scalars(select(SeatView).where(SeatView.job_id == job_id))
        return {s.evidence_cid for s in seats if s.evidence_cid}


def test_a_pinning_service_url_without_its_token_is_refused_with_the_setting_to_give() -> None:
    with pytest.raises(ValueError, match="PINNING_SERVICE_TOKEN"):
        MarketplaceSettings(pinning_service_url="http://127.0.0.1:1")


def test_a_pinning_service_that_is_down_holds_nothing_up_and_is_asked_again_later(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    services: Services = job.api.app.state.services  # type: ignore[attr-defined]
    assert job.stack.status.ipfs_api_url
    port = free_port("127.0.0.1")
    settings = MarketplaceSettings(
        ipfs_api_url=job.stack.status.ipfs_api_url,
        pinning_service_url=f"http://127.0.0.1:{port}",
        pinning_service_token=TOKEN,
    )
    remote = RemotePins.for_settings(settings, services.db)
    assert remote is not None
    remote.every = 0
    try:
        assert remote.step() == []  # nobody answers: logged, not raised
        with running_pinning_service(job.stack.status.ipfs_api_url, TOKEN, port) as service:
            asked = remote.step()
            assert asked and {s.pin.cid for s in service.book.requests.values()} == set(asked)
    finally:
        remote.close()


def test_assembled_frames_are_pinned_remotely_and_retention_deletes_remote_pins_of_what_it_unpins(
    finished_job: FinishedJob,
) -> None:
    job = finished_job
    services: Services = job.api.app.state.services  # type: ignore[attr-defined]
    frames = {str(f[k]) for f in frames_of(job.api, job.job_id) for k in ("png_cid", "exr_cid")}
    assert job.stack.status.ipfs_api_url
    kubo = job.stack.status.ipfs_api_url
    with (
        running_pinning_service(kubo, TOKEN) as service,
        PinningService(service.url, TOKEN) as account,
    ):
        remote = RemotePins(services.db, kubo, PinningService(service.url, TOKEN), every=0)
        try:
            assert frames <= set(remote.step())
            assert remote.step() == []  # asked once
            deadline = time.monotonic() + 30
            while {p.pin.cid for p in account.find_many(sorted(frames), ("pinned",))} != frames:
                assert time.monotonic() < deadline, "the frames were not pinned remotely"
                time.sleep(0.05)

            # Evidence is always let go once due (a scene may be kept for another job).
            evidence = next(iter(_evidence(services, job.job_id)))
            held = account.pin(evidence, name="a verifier's evidence")
            # The service pins on this same node: its pin/add must be done before the unpin.
            deadline = time.monotonic() + 30
            while account.find_many([evidence], ("pinned",)) == []:
                assert time.monotonic() < deadline, "the evidence was not pinned remotely"
                time.sleep(0.05)
            retention = PinRetention(
                services.db, job.ipfs, services.manifests, retention_seconds=HOUR, remote=remote
            )
            now = float(job.stack.w3.eth.get_block("latest")["timestamp"])
            unpinned = retention.release(now + HOUR + 1)
        finally:
            remote.close()
        try:
            assert evidence in unpinned
            assert [p.requestid for p in account.find(evidence)] == []
            assert held.requestid not in service.book.requests
            kept = {p.pin.cid for p in account.find_many(sorted(frames))}
            assert kept == frames  # frames stay, here and on the service
        finally:
            for cid in unpinned:  # as it was, for the other tests sharing the job
                job.ipfs.pin_add(cid)
