"""The pinning service client (`tilefarm/adapters/ipfs/pinning_service.py`) against a small
implementation of the IPFS Pinning Service API (`tests/ipfs/pinning_service.py`) whose Kubo node
fetches what it pins from the origins it is given, over libp2p on loopback."""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.ipfs.pinning_service import RunningService, running_pinning_service
from tilefarm.adapters.ipfs.pinning_service import (
    PinningService,
    PinningServiceError,
    PinningServiceUnavailable,
    PinState,
    PinStatus,
    node_addresses,
)
from tilefarm.cids import cid_of_bytes
from tilefarm_cli.devnet.nodes import KuboNode
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings

pytestmark = pytest.mark.ipfs

TOKEN = "secret-token"


@dataclass
class Setup:
    server: KuboNode  # the node that has the content
    provider: KuboNode  # the pinning service's node
    service: RunningService


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("pinning")
    ipfs_bin = TilefarmSettings().ipfs_bin
    server = KuboNode.start(root / "server" / "repo", ipfs_bin, name="server-kubo")
    provider = KuboNode.start(root / "provider" / "repo", ipfs_bin, name="provider-kubo")
    try:
        with running_pinning_service(provider.api_url, TOKEN) as service:
            yield Setup(server=server, provider=provider, service=service)
    finally:
        provider.stop()
        server.stop()


def wait_for(client: PinningService, requestid: str, state: PinState) -> PinStatus:
    deadline = time.monotonic() + 30
    while (status := client.status(requestid)).status != state:
        assert status.status in ("queued", "pinning"), status
        assert time.monotonic() < deadline, f"{requestid} still {status.status}"
        time.sleep(0.05)
    return status


def test_the_service_pins_a_cid_fetched_from_its_origin_then_lets_it_go(setup: Setup) -> None:
    with setup.server.client() as ipfs:
        cid = ipfs.add_bytes(os.urandom(200_000))
    origins = node_addresses(setup.server.api_url)
    assert origins == [setup.server.swarm_address]
    with PinningService(setup.service.url, TOKEN) as client:
        asked = client.pin(cid, name="frame 1", origins=origins)
        assert asked.status in ("queued", "pinning")
        assert asked.pin.cid == cid and asked.pin.origins == origins
        pinned = wait_for(client, asked.requestid, "pinned")
        assert pinned.pin.name == "frame 1"
        with setup.provider.client() as provider:
            assert cid in provider.pins()  # really fetched over libp2p, and kept
        assert [p.requestid for p in client.find(cid)] == [asked.requestid]

        client.unpin(asked.requestid)
        assert client.find(cid) == []
        with setup.provider.client() as provider:
            assert cid not in provider.pins()
        with pytest.raises(PinningServiceError, match=r"404.*no pin request") as gone:
            client.status(asked.requestid)
        assert gone.value.status_code == 404


def test_a_cid_nobody_serves_stays_pinning_and_is_found_in_that_state(setup: Setup) -> None:
    cid = cid_of_bytes(os.urandom(1000))  # added nowhere
    with PinningService(setup.service.url, TOKEN) as client:
        asked = client.pin(cid)
        time.sleep(0.3)
        assert client.status(asked.requestid).status in ("queued", "pinning")
        assert client.find(cid, ("pinned",)) == []
        assert [p.requestid for p in client.find(cid)] == [asked.requestid]
        client.unpin(asked.requestid)


def test_a_wrong_token_is_refused_with_the_services_reason(setup: Setup) -> None:
    with PinningService(setup.service.url, "not-the-token") as client:
        with pytest.raises(PinningServiceError, match=r"401: UNAUTHORIZED.*check the access token"):
            client.find("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")


def test_an_endpoint_that_is_not_a_pinning_service_gets_a_clear_error(setup: Setup) -> None:
    with PinningService(setup.server.api_url, TOKEN) as client:  # Kubo's RPC, not the API
        with pytest.raises(PinningServiceError, match="404"):
            client.pin("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
    nobody = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    with PinningService(nobody, TOKEN, timeout=2) as client:
        with pytest.raises(PinningServiceUnavailable, match=r"no answer.*retried later"):
            client.status("some-request")
