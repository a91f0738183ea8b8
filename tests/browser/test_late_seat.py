"""The only worker of a job wins its tiles and never delivers: once the render deadline passes,
the artist's job page offers to claim the late seat, and claiming it slashes the worker and, the
job having no re-offer rounds, gives the artist the whole escrow and the slash back (nobody else
would claim it: a job's other workers claim late seats, and this job has none). With rounds, the
tiles go on sale again instead: tests/browser/test_reoffer_rounds.py."""

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.form import TINY_JOB, fill_job, upload
from tests.worker.conftest import Stack
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobCompleted, WorkerTimedOut

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

VANISHING = dev_account(6)


def test_an_artist_claims_the_seat_of_a_worker_that_never_delivered_and_gets_the_escrow_back(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    market, w3 = browser_stack.market, browser_stack.w3
    if market.account(VANISHING.address).stake < market.config().min_stake:
        market.stake(VANISHING.address, market.config().min_stake)
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(
        page,
        {
            **TINY_JOB,
            "Sealed bids for": "10",
            "Reveals for": "30",
            "Rendering within": "8",
            "Re-offer rounds": "0",
        },
    )
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    job = market.job(job_id)
    deposit, credit_before = job.escrow, market.balance_of(job.artist)

    # The worker bids for every tile, reveals, settles, and is never heard from again.
    price, salt = job.max_price_per_tile, os.urandom(32)
    commitment = bid_commitment(job_id, VANISHING.address, price, job.tile_count, salt)
    market.commit_bid(VANISHING.address, job_id, commitment, job.tile_count)
    while w3.eth.get_block("latest")["timestamp"] <= job.bid_end:
        time.sleep(0.2)
    market.reveal_bid(VANISHING.address, job_id, price, job.tile_count, salt)
    market.settle(VANISHING.address, job_id)
    assert market.seat(job_id, VANISHING.address).state_name == "Assigned"

    claim = page.get_by_role("button", name="Claim the late seat")
    expect(claim).to_be_visible(timeout=30_000)  # from the moment the render deadline passes
    assert w3.eth.get_block("latest")["timestamp"] >= market.job(job_id).render_deadline
    expect(page.locator("#late-seats")).to_contain_text(VANISHING.address[:6])
    claim.click()

    expect(page.locator("#timeline li[data-event=WorkerTimedOut]")).to_be_visible(timeout=30_000)
    expect(page.locator("#tiles li.tile[data-state=missing]")).to_have_count(job.tile_count)
    expect(claim).to_have_count(0, timeout=10_000)
    assert market.seat(job_id, VANISHING.address).state_name == "TimedOut"
    events = market.events(job_id=job_id)
    (timed_out,) = [e for e in events if isinstance(e, WorkerTimedOut)]
    assert timed_out.slashed > 0
    assert any(isinstance(e, JobCompleted) for e in events)
    assert market.balance_of(job.artist) == credit_before + deposit + timed_out.slashed
