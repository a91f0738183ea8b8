"""Every frame finishes: the only worker of a job wins its tiles and never delivers; the artist
(in a browser wallet) claims the late seat from the job page, raises the maximum price with what
the reserve lacks for a round of the returned tiles, re-offers them, and another worker wins the
round, delivers and is paid; the artist ends re-offering from the page. The page shows each
tile's round, why the tiles went back, the round's opening, the top-up and the end in the
timeline, and what the round paid in the cost. And a job nobody bids on says "No bids:
refunded", never "Bidding" forever.

The test drives every account but the artist's page itself (no worker daemon runs), and leaves
the verifier pool as it found it: the late worker's slash takes it below the minimum stake, the
round's worker unstakes at the end."""

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, screenshot
from tests.browser.form import TINY_JOB, fill_job, upload
from tests.browser.injected_wallet import signing_wallet
from tests.worker.conftest import Stack, wait_until
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import (
    JobCompleted,
    JobPosted,
    JobToppedUp,
    PaymentReleased,
    ReofferingEnded,
    RoundOpened,
    TilesReturned,
)
from tilefarm.merkle import merkle_root, tile_leaf

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

TILES = 8
ARTIST = dev_account(1).address  # in the browser wallet; the devnet's node signs for it
VANISHING = dev_account(6).address  # wins every tile and never delivers
RESCUER = dev_account(5).address  # wins the round and delivers
ETH = 10**18
RESCUE_PRICE = 15 * 10**14  # the round's worker bids 0.0015 ETH per tile


def _ether(text: str) -> Decimal:
    """An amount as the page shows it ("0.012 ETH") in ETH."""
    number, unit = text.split()
    assert unit == "ETH", text
    return Decimal(number)


def _stake_to_minimum(market: JobMarketClient, who: str) -> None:
    short = market.config().min_stake - market.account(who).stake
    if short > 0:
        market.stake(who, short)


def _wait_past(stack: Stack, moment: int) -> None:
    """Until the chain's clock has passed `moment` (a block every half second)."""

    def past() -> bool:
        return int(stack.w3.eth.get_block("latest")["timestamp"]) > moment

    wait_until(past, 60, f"the chain's clock past {moment}")


def _win_everything(stack: Stack, bidder: str, job_id: int, price: int) -> None:
    """`bidder` seals a bid for every tile the job sells, reveals and settles: nobody else bids."""
    market = stack.market
    job = market.job(job_id)
    salt = os.urandom(32)
    sealed = bid_commitment(job_id, bidder, price, job.tile_count, salt)
    market.commit_bid(bidder, job_id, sealed, job.tile_count)
    _wait_past(stack, job.bid_end)
    market.reveal_bid(bidder, job_id, price, job.tile_count, salt)
    market.settle(bidder, job_id)
    assert market.seat(job_id, bidder).state_name == "Assigned"


@pytest.fixture
def artist_page(browser: Browser, server: Server, browser_stack: Stack) -> Iterator[Page]:
    """The page in a profile whose browser wallet holds the artist's account and confirms."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    assert browser_stack.status.rpc_url
    context.add_init_script(signing_wallet(browser_stack.status.rpc_url, ARTIST))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#wallet-address")).to_have_text(f"{ARTIST[:6]}…{ARTIST[-4:]}")
    yield page
    context.close()
    assert not errors, f"the page threw: {errors}"


def test_a_late_workers_tiles_are_reoffered_and_sold_to_another_worker_in_a_round(
    artist_page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    page, stack, market = artist_page, browser_stack, browser_stack.market
    config = market.config()
    # Only what this test stakes leaves the pool at its end.
    pool = market.pool_size() - (market.account(VANISHING).stake >= config.min_stake)
    _stake_to_minimum(market, VANISHING)  # the late slash takes it out of the pool again
    _stake_to_minimum(market, RESCUER)

    # Posted through the form, with 2 re-offer rounds and the proposed final deadline.
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(
        page,
        {**TINY_JOB, "Sealed bids for": "10", "Reveals for": "30", "Rendering within": "12"},
    )
    expect(page.get_by_label("Re-offer rounds", exact=True)).to_have_value("2")
    expect(page.locator("#rounds-summary")).to_contain_text("go back on the market up to 2 times")
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    (posted,) = [e for e in market.events(job_id=job_id) if isinstance(e, JobPosted)]
    assert posted.artist == ARTIST and posted.params.max_rounds == 2
    assert posted.params.final_deadline > posted.reveal_end + 2 * 86_400  # a few days later
    job = market.job(job_id)

    # The only bidder wins every tile and never delivers; the artist claims its seat.
    _win_everything(stack, VANISHING, job_id, job.max_price_per_tile)
    claim = page.get_by_role("button", name="Claim the late seat")
    expect(claim).to_be_visible(timeout=30_000)  # from the moment the render deadline passes
    claim.click()
    returned = page.locator("#timeline li[data-event=TilesReturned]")
    expect(returned).to_contain_text(
        f"Tiles 0\u20137 went back to the unsold tiles: worker {VANISHING[:6]}…{VANISHING[-4:]} "
        "late (the first sale)"
    )
    expect(page.locator("#tiles li.tile[data-state=reoffered]")).to_have_count(TILES)
    expect(page.locator("#tiles li.tile").first).to_have_attribute(
        "title", f"Tile 0: Re-offered: waiting among the unsold tiles for a new round; went back: "
        f"worker {VANISHING} late in the first sale"
    )  # fmt: skip
    assert market.seat(job_id, VANISHING).state_name == "TimedOut"
    assert market.account(VANISHING).stake < config.min_stake

    # The artist raises the maximum price, adding what a round of the 8 tiles lacks: at a price
    # (in hundredths of an ETH) above what the reserve, the escrow and the slash, holds for them.
    reserve = market.reoffer_of(job_id).reserve
    new_price = (reserve // (TILES * 10**16) + 1) * 10**16
    price_text = f"{Decimal(new_price) / ETH:f} ETH"
    fee = new_price * config.protocol_fee_bps // 10_000
    bounty = TILES * job.verify_fee_per_tile * config.draw_bounty_bps // 10_000
    needed = TILES * (new_price + fee + job.verify_fee_per_tile) + bounty
    assert needed > reserve
    expect(page.locator("#rounds-reserve")).to_contain_text("ETH")
    page.get_by_label("New maximum price per tile (ETH)").fill(price_text.removesuffix(" ETH"))
    expect(page.locator("#top-up-value")).to_have_attribute("data-wei", str(needed - reserve))
    expect(page.locator("#top-up-need")).to_contain_text(
        f"A round of the 8 tiles not sold yet at {price_text}"
    )
    screenshot(page, "job-page-reoffer.png")
    page.get_by_role("button", name="Raise the maximum price").click()
    expect(page.locator("#timeline li[data-event=JobToppedUp]")).to_contain_text(
        f"later rounds pay at most {price_text} per tile"
    )
    (topped,) = [e for e in market.events(job_id=job_id) if isinstance(e, JobToppedUp)]
    assert (topped.amount, topped.max_price_per_tile) == (needed - reserve, new_price)
    assert market.reoffer_of(job_id).reserve == needed

    # Re-offered from the page: round 1 (a job of its own id) sells the 8 tiles.
    page.get_by_role("button", name="Re-offer the unsold tiles now").click()
    wait_until(lambda: market.job(job_id).latest != 0, 30, "round 1 to open")
    round_id = market.job(job_id).latest
    expect(page.locator("#tiles li.tile[data-state=onsale][data-round='1']")).to_have_count(TILES)
    _win_everything(stack, RESCUER, round_id, RESCUE_PRICE)
    # The round's worker delivers within the round's render window: committed in round 1.
    leaves = [tile_leaf(t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}")) for t in range(TILES)]
    market.commit_results(RESCUER, round_id, merkle_root(leaves))
    expect(page.locator("#timeline li[data-event=RoundOpened]")).to_contain_text(
        f"Round 1 opened by {ARTIST[:6]}…{ARTIST[-4:]}"
    )
    expect(page.locator("#rounds li[data-round='1']")).to_contain_text(f"Round 1 (job {round_id})")
    committed = page.locator("#tiles li.tile[data-state=committed][data-round='1']")
    expect(committed).to_have_count(TILES)

    # The artist ends re-offering; paid, the round closes and the job completes.
    page.get_by_role("button", name="End re-offering").click()
    expect(page.locator("#timeline li[data-event=ReofferingEnded]")).to_contain_text(
        "Re-offering ended: no tile was waiting for a round"
    )
    expect(page.get_by_role("button", name="End re-offering")).to_have_count(0)
    market.accept_results(ARTIST, round_id, RESCUER)
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=30_000)
    expect(page.locator("#tiles li.tile[data-state=paid][data-round='1']")).to_have_count(TILES)
    expect(page.locator("#tiles li.tile").first).to_have_attribute(
        "title", f"Tile 0: Verified and paid, round 1 (worker {RESCUER}); went back: worker "
        f"{VANISHING} late in the first sale"
    )  # fmt: skip

    # The round's cost: its worker's pay and the opener's bounty, out of the posted job's escrow.
    events = market.events(job_id=job_id)
    (opened,) = [e for e in events if isinstance(e, RoundOpened)]
    (paid,) = [e for e in market.events(job_id=round_id) if isinstance(e, PaymentReleased)]
    assert (opened.round_id, opened.opener) == (round_id, ARTIST)
    assert opened.max_price_per_tile == new_price
    assert paid.payment == TILES * RESCUE_PRICE
    row = page.locator("#round-costs li[data-round='1']")
    expect(row.locator(".workers")).not_to_have_text("0 ETH", timeout=30_000)
    assert _ether(row.locator(".workers").inner_text()) == Decimal(paid.payment) / ETH
    assert _ether(row.locator(".bounties").inner_text()) == Decimal(opened.bounty) / ETH
    assert [e.cause for e in events if isinstance(e, TilesReturned)] == [10]  # TimedOut
    assert any(isinstance(e, ReofferingEnded) for e in events)
    assert any(isinstance(e, JobCompleted) for e in events)
    screenshot(page, "job-page-rounds.png")

    # The jobs list shows the posted job with its round, not the round as a job of its own.
    page.goto(page.url.rsplit("#", 1)[0] + "#/jobs")
    expect(page.locator(f"a[href='#/jobs/{job_id}']")).to_be_visible()
    expect(page.locator(f"tr:has(a[href='#/jobs/{job_id}']) .round")).to_contain_text("round 1")
    expect(page.locator(f"a[href='#/jobs/{round_id}']")).to_have_count(0)

    market.request_unstake(RESCUER, market.account(RESCUER).stake)
    assert market.pool_size() == pool, "the verifier pool is not as the test found it"


def test_a_job_nobody_bids_on_says_no_bids_and_is_refunded(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    market = browser_stack.market
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, {**TINY_JOB, "Sealed bids for": "6", "Reveals for": "30"})
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    job = market.job(job_id)
    credit_before = market.balance_of(job.artist)

    # The bid window closes without a bid: the page says so before anyone settles.
    status = page.locator("#job-status")
    expect(status).to_have_text("No bids", timeout=30_000)
    assert market.job(job_id).status_name == "Bidding"

    # Settled (by anyone): nothing sold at a price never raised ends re-offering; all refunded.
    market.settle(browser_stack.w3.eth.accounts[0], job_id, [])
    expect(status).to_have_text("No bids: refunded", timeout=30_000)
    expect(page.locator("#tiles li.tile[data-state=missing]")).to_have_count(TILES)
    expect(page.locator("#timeline li[data-event=ReofferingEnded]")).to_contain_text(
        "8 tiles will not be delivered"
    )
    expect(page.locator("#timeline li[data-event=TilesReturned]")).to_contain_text(
        "unsold by the first sale"
    )
    expect(page.get_by_role("button", name="Re-offer the unsold tiles now")).to_have_count(0)
    assert market.job(job_id).status_name == "Expired"
    deadline = time.monotonic() + 10
    while market.balance_of(job.artist) != credit_before + job.escrow:
        assert time.monotonic() < deadline, "the artist was not refunded the escrow"
        time.sleep(0.2)
    expect(page.locator("#money-refunded")).to_have_text("0.008088 ETH", timeout=30_000)
