"""Workers on a devnet of their own: no other test's stakers can be drawn as their verifiers."""

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from render_worker.daemon import WorkerDaemon
from render_worker.keystore import create_keystore
from render_worker.node import connect
from render_worker.settings import DaemonSettings
from render_worker.state.store import WorkerState
from render_worker.work.machine import MachineProfile
from tests.conftest import fresh_stack_settings
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm_cli.devnet import Devnet, StackStatus
from tilefarm_cli.scenes import build_builtin_scene
from tilefarm_cli.settings import TilefarmSettings

PASSWORD = "correct horse battery staple"


@dataclass
class Stack:
    status: StackStatus
    settings: TilefarmSettings
    w3: Web3
    market: JobMarketClient

    @property
    def deployments_file(self) -> Path:
        return self.settings.deployments_dir / f"{self.status.chain_id}.json"


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n`, each test file runs on one xdist worker, its tests in order: they share the
    file's stack (`own_stack`), and some read what the test before them left on it (split over
    two workers, a file would also start two stacks)."""
    if config.getoption("dist") != "load":
        return None  # a distribution asked for by name is kept
    from xdist.scheduler import LoadFileScheduling

    return LoadFileScheduling(config, log)


@contextmanager
def running_stack(settings: TilefarmSettings) -> Iterator[Stack]:
    """A devnet brought up with `settings`, and its market; brought down on leaving."""
    supervisor = Devnet(settings)
    status = supervisor.up()
    w3 = Web3(Web3.HTTPProvider(status.rpc_url))
    market = JobMarketClient.from_build(w3, status.contracts["JobMarket"], settings.build_dir)
    try:
        yield Stack(status=status, settings=settings, w3=w3, market=market)
    finally:
        supervisor.down()


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(fresh_stack_settings(tmp_path_factory.mktemp("worker-stack"))) as stack:
        yield stack


@contextmanager
def mining(stack: Stack, every: float = 0.5) -> Iterator[None]:
    """Mines a block every `every` seconds while the block runs, as a real chain does without
    any transaction."""
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(every):
            stack.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    thread = threading.Thread(target=mine, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.fixture(scope="module")
def block_producer(own_stack: Stack) -> Iterator[None]:
    """A block every half second for the whole module."""
    with mining(own_stack):
        yield


def worker_settings(stack: Stack, state_dir: Path, **overrides: object) -> DaemonSettings:
    assert stack.status.rpc_url and stack.status.ipfs_api_url
    fields: dict[str, object] = {
        "state_dir": state_dir,
        "password": PASSWORD,
        "rpc_url": stack.status.rpc_url,
        "ipfs_api_url": stack.status.ipfs_api_url,
        "deployments_file": stack.deployments_file,
        "confirmations": 0,
        "poll_seconds": 0.2,
        "pixel_samples_per_minute": 1_000_000.0,
        "threads": 1,
        "receipt_timeout_s": 30.0,
    }
    fields.update(overrides)
    return DaemonSettings.model_validate(fields)


def worker_daemon(stack: Stack, tmp: Path, index: int, **overrides: object) -> WorkerDaemon:
    """Dev account `index`'s worker, staked, its state in `tmp`; not running."""
    account = dev_account(index)
    settings = worker_settings(stack, tmp / f"worker{index}", **overrides)
    if not settings.keystore_path.exists():  # a restart reuses the worker's key and state
        create_keystore(settings.keystore_path, PASSWORD, account.key.hex())
    node = connect(settings, PASSWORD)
    min_stake = stack.market.config().min_stake
    if stack.market.account(account.address).stake < min_stake:
        stack.market.stake(account, min_stake)
    return WorkerDaemon(
        settings, node.account, node.w3, node.market, node.ipfs, node.state,
        start_block=node.start_block,
        machine=MachineProfile.configured(
            settings.pixel_samples_per_minute or 1_000_000.0, settings.hardware
        ),
    )  # fmt: skip


@contextmanager
def running_worker(
    stack: Stack, tmp: Path, index: int, **overrides: object
) -> Iterator[WorkerDaemon]:
    daemon = worker_daemon(stack, tmp, index, **overrides)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until_read(stack, daemon.state, thread.is_alive, f"worker {index}",
                        confirmations=daemon.settings.confirmations)  # fmt: skip
        yield daemon
    finally:
        stop.set()
        thread.join(timeout=60)


def held_back(target: object, method: str, gate: threading.Event, let_through: int = 0) -> None:
    """`target.method` waits for `gate` after its first `let_through` calls (then runs as usual):
    a test makes a worker's step wait for the moment it needs."""
    original, calls = getattr(target, method), itertools.count()

    def held(*args: Any, **kwargs: Any) -> Any:
        if next(calls) >= let_through:
            assert gate.wait(120), f"the test never let {method} go on"
        return original(*args, **kwargs)

    setattr(target, method, held)


def wait_until_read(
    stack: Stack, state: WorkerState, alive: Callable[[], bool], what: str, log: Path | None = None,
    confirmations: int = 0,
) -> None:  # fmt: skip
    """Wait until a worker started on a chain with history has read it to the current head: a
    job posted before that might see its bid window close before the worker gets to it."""
    head = stack.w3.eth.block_number - confirmations
    cursor = lambda: state.get_meta("cursor") or {"next_block": -1}  # noqa: E731
    read = lambda: cursor()["next_block"] > head  # noqa: E731
    wait_until(lambda: read() or not alive(), 120, f"{what} to read the chain", log)
    assert alive(), f"{what} stopped while reading the chain"


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, log: Path | None = None
) -> None:
    """Poll `condition` until it holds; on timeout fail naming `what` (and the log's tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = f"; worker log:\n{log.read_text()[-3000:]}" if log is not None else ""
    raise AssertionError(f"timed out waiting for {what}{tail}")


def tiny_job(
    ipfs: KuboClient,
    tmp: Path,
    *,
    size: tuple[int, int],
    grid: tuple[int, int],
    samples: int,
    windows: tuple[int, int],
    verification: dict[str, int] | None = None,
) -> tuple[str, JobParams]:
    """Frame 1 of the built-in tiny scene as a job: its manifest's CID on IPFS and the job's
    parameters (`windows`: bid and reveal seconds; 10^15 wei a tile at most)."""
    scene = build_builtin_scene("tiny", tmp / "tiny.blend")
    manifest = build_manifest(
        scene_cid=ipfs.add_file(scene), frames=[1],
        resolution={"width": size[0], "height": size[1]},
        tile_grid={"columns": grid[0], "rows": grid[1]}, samples=samples,
        **({"verification": verification} if verification else {}),
    )  # fmt: skip
    params = JobParams(
        tile_count=grid[0] * grid[1], frame_count=1, max_price_per_tile=10**15,
        verify_fee_per_tile=10**12, bid_bond=10**14, bid_window=windows[0],
        reveal_window=windows[1], render_window=600, verify_window=600,
    )  # fmt: skip
    return ipfs.add_bytes(manifest.canonical_json()), params
