"""An artist who changes their mind while bids are still open cancels from the job page: the
job is cancelled on chain and the whole escrow is credited back, to withdraw from the header."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.form import TINY_JOB, fill_job, upload
from tests.worker.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]


def test_an_artist_cancels_a_job_while_bidding_and_gets_the_escrow_back(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, {**TINY_JOB, "Sealed bids for": "3600"})  # no worker runs here anyway
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    deposit = browser_stack.market.job(job_id).escrow

    page.get_by_role("button", name="Cancel job and refund").click()

    expect(page.locator("#job-status")).to_have_text("Cancelled", timeout=30_000)
    expect(page.locator("#tiles li.tile[data-state=cancelled]")).to_have_count(8)
    expect(page.locator("#timeline li[data-event=JobCancelled]")).to_be_visible()
    artist = browser_stack.market.job(job_id).artist
    assert browser_stack.market.balance_of(artist) == deposit
    expect(page.get_by_role("button", name="Withdraw 0.008088 ETH")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel job and refund")).to_have_count(0)
