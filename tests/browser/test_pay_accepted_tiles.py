"""An artist who has seen enough pays the accepted tiles at once instead of waiting out the
contest window: the job page offers it to the artist alone, says that paying waives the right to
contest, tells a declining wallet and a wallet on another network what went wrong, and, signed by
the browser's own key, pays every accepted seat, which completes the job."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, screenshot
from tests.browser.form import TINY_JOB, fill_job, upload
from tests.browser.injected_wallet import refusing_wallet
from tests.marketplace.finished_job import seats
from tests.worker.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

TILES = 8
PAY_NOW = "Pay accepted tiles now"


@contextmanager
def job_page(browser: Browser, server: Server, job_id: int, wallet: str | None) -> Iterator[Page]:
    """The job's page in a profile of its own: a fresh devnet key of the browser's, or the
    injected wallet `wallet` (an init script) when given."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if wallet:
        context.add_init_script(wallet)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/#/jobs/{job_id}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#tiles li.tile[data-state=accepted]")).to_have_count(TILES)
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


def test_the_artist_pays_the_accepted_tiles_at_once_and_the_job_completes(
    page: Page,
    browser: Browser,
    server: Server,
    browser_stack: Stack,
    workers: None,
    tiny_scene: Path,
) -> None:
    market, w3 = browser_stack.market, browser_stack.w3
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, TINY_JOB)  # a contest window of 600 s: nobody else can release the pay
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    artist = market.job(job_id).artist

    expect(page.locator("#tiles li.tile[data-state=accepted]")).to_have_count(
        TILES, timeout=240_000
    )
    pay = page.get_by_role("button", name=PAY_NOW)
    expect(pay).to_be_visible()
    expect(page.locator("#pay-now")).to_contain_text("you waive your right to contest them")
    screenshot(page, "job-page-pay-now.png")
    won = seats(market, job_id)
    assert len(won) == 2 and {market.seat(job_id, w).state_name for w in won} == {"Accepted"}

    # Someone else looking at the job is offered nothing.
    with job_page(browser, server, job_id, None) as stranger:
        expect(stranger.locator("#job-status")).to_have_text("Active")
        expect(stranger.get_by_role("button", name=PAY_NOW)).to_have_count(0)

    # The artist's own account in a wallet that declines, then in one on another network.
    assert browser_stack.status.rpc_url
    for chain_id, says in (
        (31337, "You declined the request in your wallet"),
        (1, "Wrong network: your wallet is on chain 1"),
    ):
        wallet = refusing_wallet(browser_stack.status.rpc_url, artist, chain_id)
        with job_page(browser, server, job_id, wallet) as declined:
            declined.get_by_role("button", name=PAY_NOW).click()
            expect(declined.locator("#posted [role=alert]")).to_contain_text(says)
            expect(declined.get_by_role("button", name=PAY_NOW)).to_be_enabled()
    assert {market.seat(job_id, w).state_name for w in won} == {"Accepted"}

    pay.click()

    expect(page.locator("#tiles li.tile[data-state=paid]")).to_have_count(TILES, timeout=60_000)
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=60_000)
    expect(pay).to_have_count(0)
    expect(page.locator("#posted [role=alert]")).to_have_count(0)
    assert {market.seat(job_id, w).state_name for w in won} == {"Paid"}
    assert market.job(job_id).status_name == "Completed"
    # One acceptResults per seat, each from the artist's key, before any contest window closed.
    events = httpx.get(f"{server.url}/api/jobs/{job_id}").json()["events"]
    released = [e for e in events if e["name"] == "PaymentReleased"]
    assert sorted(e["args"]["worker"].lower() for e in released) == sorted(w.lower() for w in won)
    for e in released:
        tx = w3.eth.get_transaction(e["tx_hash"])
        call, _ = market.contract.decode_function_input(tx["input"])
        assert (tx["from"], call.fn_name) == (artist, "acceptResults")
