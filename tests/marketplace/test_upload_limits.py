"""Scene uploads are limited per client (uploads and bytes per minute, a clear 429 with
Retry-After), and the Blender child that reads an upload is shut in as a worker's job child is."""

import functools
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.api.rate_limit import UploadLimiter, UploadRateLimited
from marketplace.app import create_app
from tests.marketplace.conftest import server_settings
from tilefarm.adapters.blender import BlenderChild
from tilefarm.adapters.blender.sandbox import MASKED, Sandbox
from tilefarm.adapters.paths import DEFAULT_STATE_DIR, PROJECT_ROOT
from tilefarm_cli.devnet import StackStatus

NOT_A_BLEND = b"PK\x03\x04 a zip file, refused (415) without any Blender child"
ESCAPE = Path(__file__).parents[1] / "blender" / "escape_blend.py"


def test_a_client_over_its_uploads_per_minute_is_told_when_to_retry(
    devnet: StackStatus, tmp_path: Path
) -> None:
    settings = server_settings(devnet, tmp_path, upload_rate_per_minute=2)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            assert client.post("/api/scenes", content=NOT_A_BLEND).status_code == 415
        refused = client.post("/api/scenes", content=NOT_A_BLEND)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "2 scene uploads per minute" in error["message"]
    # One upload token comes back every 30 s.
    assert refused.headers["retry-after"] == "30"
    assert error["details"] == {"limit": "uploads", "per_minute": 2, "retry_after_seconds": 30}


def test_a_client_over_its_bytes_per_minute_is_refused_before_its_next_upload_is_read(
    devnet: StackStatus, tmp_path: Path
) -> None:
    settings = server_settings(devnet, tmp_path, upload_bytes_per_minute=60_000)
    with TestClient(create_app(settings)) as client:
        big = NOT_A_BLEND + bytes(120_000)
        assert client.post("/api/scenes", content=big).status_code == 415
        refused = client.post("/api/scenes", content=NOT_A_BLEND)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["details"]["limit"] == "bytes"
    # 60,000 bytes of debt at 1,000 bytes a second.
    assert 60 <= int(refused.headers["retry-after"]) <= 61


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_client_has_its_own_limit_and_it_refills_with_time() -> None:
    clock = Clock()
    limiter = UploadLimiter(uploads_per_minute=1, bytes_per_minute=10**9, clock=clock)
    limiter.admit("192.0.2.1")
    with pytest.raises(UploadRateLimited):
        limiter.admit("192.0.2.1")
    limiter.admit("192.0.2.2")  # another client is not held back
    clock.now = 59.0
    with pytest.raises(UploadRateLimited) as early:
        limiter.admit("192.0.2.1")
    assert early.value.retry_after == 1
    clock.now = 60.0
    limiter.admit("192.0.2.1")


def test_the_limiter_remembers_a_bounded_number_of_clients_forgetting_the_least_recent() -> None:
    limiter = UploadLimiter(uploads_per_minute=1, bytes_per_minute=10**9, max_clients=2)
    limiter.admit("192.0.2.1")
    limiter.admit("192.0.2.2")
    with pytest.raises(UploadRateLimited):
        limiter.admit("192.0.2.1")  # seen again: now the most recent
    limiter.admit("192.0.2.3")  # a third client: 192.0.2.2, the least recent, is forgotten
    assert len(limiter) == 2
    with pytest.raises(UploadRateLimited):
        limiter.admit("192.0.2.1")  # still remembered, still over its limit
    for n in range(100):
        limiter.admit(f"198.51.100.{n}")
    assert len(limiter) == 2


def test_an_ipv6_client_is_its_64_network_not_each_address_it_picks() -> None:
    limiter = UploadLimiter(uploads_per_minute=1, bytes_per_minute=10**9)
    limiter.admit("2001:db8:1:2::1")
    with pytest.raises(UploadRateLimited):
        limiter.admit("2001:db8:1:2:ffff:ffff:ffff:ffff")
    limiter.admit("2001:db8:1:3::1")  # another /64: another client
    limiter.admit("::ffff:192.0.2.1")  # IPv4 written as IPv6 is that IPv4 client
    with pytest.raises(UploadRateLimited):
        limiter.admit("192.0.2.1")


def test_uploads_started_side_by_side_are_cut_off_once_a_scene_in_debt() -> None:
    limiter = UploadLimiter(uploads_per_minute=100, bytes_per_minute=1000)
    for _ in range(3):  # all admitted while the bucket is full
        limiter.admit("192.0.2.1")
    limiter.spend("192.0.2.1", 900, max_debt=500)
    limiter.spend("192.0.2.1", 500, max_debt=500)  # 400 in debt: within one scene
    with pytest.raises(UploadRateLimited) as cut:
        limiter.spend("192.0.2.1", 200, max_debt=500)
    assert cut.value.details["limit"] == "bytes"


@pytest.fixture
def trusted_scripts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Scripts of the uploaded .blend run in the child that reads it (test-only hook, see
    tests/blender/test_sandbox_escape.py): the sandbox, not the script switch, must hold."""
    monkeypatch.setattr(
        "marketplace.intake.BlenderChild", functools.partial(BlenderChild, trust_scripts=True)
    )
    yield


def _escape_blend(tmp_path: Path, secret: Path, port: int, outside: Path) -> bytes:
    blend = tmp_path / "escape.blend"
    subprocess.run(
        [sys.executable, str(ESCAPE), "build-escape", str(blend), str(secret), "127.0.0.1",
         str(port), str(outside)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return blend.read_bytes()


@pytest.fixture
def unmasked() -> Iterator[Path]:
    """A folder the sandbox shows unless told to hide it (the project's ignored `build/`)."""
    (PROJECT_ROOT / "build").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-escape-", dir=PROJECT_ROOT / "build"))
    # The sandbox shows the project read-only even where it lies under a mask (a clone in /tmp).
    shown = folder.is_relative_to(PROJECT_ROOT) or not any(folder.is_relative_to(m) for m in MASKED)
    assert shown and not folder.is_relative_to(DEFAULT_STATE_DIR)
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.blender
@pytest.mark.usefixtures("trusted_scripts")
@pytest.mark.parametrize(
    ("sandbox", "user", "verdict"),
    [
        (Sandbox.AUTO, "nobody", "key:no out:no net:no own:yes"),
        # The CONTROL: no sandbox, the server's own user.
        (Sandbox.NONE, None, "key:yes out:yes net:yes own:yes"),
    ],
)
def test_the_child_reading_an_upload_sees_nothing_of_the_servers_state(
    devnet: StackStatus,
    tmp_path: Path,
    unmasked: Path,
    sandbox: Sandbox,
    user: str | None,
    verdict: str,
) -> None:
    """The hostile scene's Python tries to read the server's database, write outside its folder
    and connect to a port on this machine, and reports in its camera's name, which the answer
    carries. The server's state is outside every folder the sandbox masks anyway, as a real
    server's is: only `hidden` keeps it from the child."""
    state = unmasked / "state"
    settings = server_settings(devnet, state, inspect_sandbox=sandbox, inspect_user=user)
    outside = tmp_path / "outside"
    outside.mkdir()
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        TestClient(create_app(settings)) as client,
    ):
        port = listener.getsockname()[1]
        data = _escape_blend(tmp_path, state / "marketplace.db", port, outside)
        answer = client.post("/api/scenes?filename=escape.blend", content=data)
    assert answer.status_code == 201, answer.text
    assert answer.json()["info"]["camera"].startswith(verdict)
