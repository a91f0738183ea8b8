"""A worker seals a bid for some of a job's tiles, which locks their collateral at the job's
maximum price, and never reveals it: once the reveal window closes, the artist's job page lists
the unrevealed bid and offers to take its collateral; taking it (`forfeitBid`, signed by the
browser's key) slashes the bidder to the artist, which the page shows as the bid's new state, in
the timeline and in the job's cost."""

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.form import TINY_JOB, fill_job, upload
from tests.worker.conftest import Stack
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import BidForfeited, Slashed

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

SILENT = dev_account(7)
TILES = 3


def test_an_artist_takes_the_collateral_of_a_bid_never_revealed(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    market, w3 = browser_stack.market, browser_stack.w3
    config = market.config()
    # Staked at the minimum: the slash takes it out of the verifier pool again, so that it is
    # never drawn (and silent) in a later test.
    if market.account(SILENT.address).stake < config.min_stake:
        market.stake(SILENT.address, config.min_stake - market.account(SILENT.address).stake)
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, {**TINY_JOB, "Sealed bids for": "10", "Reveals for": "10"})
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    job = market.job(job_id)
    credit_before = market.balance_of(job.artist)

    # The bid declares 3 tiles in the open, locks their collateral, and is never revealed.
    salt = os.urandom(32)
    commitment = bid_commitment(job_id, SILENT.address, job.max_price_per_tile, TILES, salt)
    market.commit_bid(SILENT.address, job_id, commitment, TILES)
    collateral = config.collateral(TILES, job.max_price_per_tile)
    assert market.account(SILENT.address).locked == collateral
    bid = page.locator("#bids li")  # the only bid
    expect(bid).to_have_attribute("data-state", "sealed")
    expect(bid).to_contain_text("3 tiles declared")

    take = page.get_by_role("button", name="Take forfeited collateral")
    expect(take).to_be_visible(timeout=60_000)  # from the moment the reveal window closes
    # The page keeps the chain's time from its latest block plus the wall clock, so it may show
    # the button in the second of the window's last block: the next block, the one the forfeit
    # lands in, is past the window.
    assert w3.eth.get_block("latest")["timestamp"] >= market.job(job_id).reveal_end
    expect(page.locator("#unrevealed-bids")).to_contain_text(SILENT.address[:6])
    take.click()

    expect(page.locator("#timeline li[data-event=BidForfeited]")).to_contain_text(
        "never revealed its bid"
    )
    expect(bid).to_have_attribute("data-state", "forfeited")
    expect(bid).to_contain_text("Forfeited")
    expect(take).to_have_count(0, timeout=10_000)
    expect(page.locator("#money-forfeits")).to_be_visible()
    assert market.seat(job_id, SILENT.address).state_name == "Forfeited"
    events = market.events(job_id=job_id)
    (forfeited,) = [e for e in events if isinstance(e, BidForfeited)]
    (slash,) = [e for e in events if isinstance(e, Slashed)]
    assert forfeited.slashed == slash.amount == collateral
    assert market.account(SILENT.address).locked == 0
    deadline = time.monotonic() + 10
    while market.balance_of(job.artist) != credit_before + collateral:
        assert time.monotonic() < deadline, "the artist was not credited the collateral"
        time.sleep(0.2)
