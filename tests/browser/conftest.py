"""The artist's page in a real browser: headless Debian Chromium driven by Playwright, against
the marketplace server (uvicorn) on a devnet of its own, with real workers rendering in Blender."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from web3 import Web3

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from render_worker.settings import PricingPolicy
from tests.conftest import fresh_stack_settings
from tests.worker.conftest import Stack, running_worker
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.paths import PROJECT_ROOT
from tilefarm_cli.devnet import Devnet
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.scenes import build_builtin_scene

CHROMIUM = Path("/usr/bin/chromium")
FRONTEND = PROJECT_ROOT / "frontend" / "dist"
SCREENSHOTS = PROJECT_ROOT / "reports" / "screenshots"
MAX_SCENE_BYTES = 4 * 1024 * 1024
# What the page shows after a transaction or a poll comes within seconds, longer on a loaded
# machine than Playwright's default 5 s.
expect.set_options(timeout=30_000)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n`, each test file runs on one xdist worker, its tests in order, as in the whole
    suite (tests/worker/conftest.py): test_artist_job's estimate reads the prices its first test
    paid on that worker's stack. Run as `pytest tests/browser -n 2`, this conftest is the one
    that says so."""
    if config.getoption("dist") != "load":
        return None  # a distribution asked for by name is kept
    from xdist.scheduler import LoadFileScheduling

    return LoadFileScheduling(config, log)


@dataclass
class Server:
    url: str
    settings: MarketplaceSettings


@pytest.fixture(scope="session")
def browser_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A devnet of the browser tests' own (its pool holds only their workers), mining a block
    every half second as a real chain does, so bidding windows pass without transactions."""
    settings = fresh_stack_settings(tmp_path_factory.mktemp("browser-stack"))
    supervisor = Devnet(settings)
    status = supervisor.up()
    w3 = Web3(Web3.HTTPProvider(status.rpc_url))
    market = JobMarketClient.from_build(w3, status.contracts["JobMarket"], settings.build_dir)
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(0.5):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine, daemon=True)
    miner.start()
    yield Stack(status=status, settings=settings, w3=w3, market=market)
    stop.set()
    miner.join()
    supervisor.down()


@pytest.fixture(scope="session")
def server(browser_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`tilefarm serve` as in production (uvicorn, the built page) on the browser tests' stack."""
    if not (FRONTEND / "index.html").is_file():
        pytest.fail(f"the page is not built at {FRONTEND}: run `make setup` (npm ci + vite build)")
    assert browser_stack.status.ipfs_api_url and browser_stack.status.rpc_url
    port = free_port()
    settings = MarketplaceSettings(
        state_dir=tmp_path_factory.mktemp("browser-server"),
        ipfs_api_url=browser_stack.status.ipfs_api_url,
        rpc_url=browser_stack.status.rpc_url,
        deployments_file=browser_stack.deployments_file,
        poll_interval=0.2,
        port=port,
        frontend_dir=FRONTEND,
        max_scene_bytes=MAX_SCENE_BYTES,
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/api/indexer", timeout=2).json()["enabled"]:
                break
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the server at {url} did not start")
        time.sleep(0.1)
    yield Server(url=url, settings=settings)
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make setup` (installs Debian's chromium)")
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile: empty localStorage, so the page makes (and funds) a new devnet key."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, server: Server) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#wallet-balance")).to_contain_text("10 ETH")  # the faucet's grant
    yield page
    assert not errors, f"the page threw: {errors}"


@pytest.fixture(scope="session")
def tiny_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_builtin_scene("tiny", tmp_path_factory.mktemp("browser-scenes") / "tiny.blend")


@pytest.fixture
def workers(browser_stack: Stack, tmp_path: Path) -> Iterator[None]:
    """Two real workers (dev accounts 2 and 3), who bid, render and verify each other: the cheap
    one asks for 5 tiles of an 8-tile job, the dear one gets the other 3. Always these two: every
    account staked on the stack is in the verifier pool, and one not running would stay silent."""
    cheap = PricingPolicy(wei_per_render_second=10**12, max_queue_tiles=5)
    dear = PricingPolicy(wei_per_render_second=3 * 10**12, max_queue_tiles=64)
    with (
        running_worker(browser_stack, tmp_path, 2, pricing=cheap),
        running_worker(browser_stack, tmp_path, 3, pricing=dear),
    ):
        yield


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    expect(page.locator("#toast.show")).to_have_count(0, timeout=10_000)  # no passing message
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top of the full page
    page.screenshot(path=str(path), full_page=True)
    return path
