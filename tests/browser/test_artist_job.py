"""An artist renders a scene through the page: uploads the .blend, sees what was read, posts the job
and pays from the browser's own devnet key; two real workers bid, render in Blender, verify each
other blind (the evidence sealed before the tiles are revealed) and get paid; the page fills its
tile grid live, shows every tile verified and the assembled frame, and the PNG it downloads is the
very file stored on IPFS. Then the workers' and the auditor's pages show that job."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, screenshot
from tests.browser.form import TINY_JOB, fill_job, upload
from tests.marketplace.finished_job import release_all
from tests.worker.conftest import Stack, dev_account
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

TILES = 8
SEEN_STATES = """
window.tileStatesSeen = new Set(
  [...document.querySelectorAll("#tiles li.tile")].map((tile) => tile.dataset.state));
new MutationObserver((changes) => {
  for (const change of changes)
    for (const node of change.addedNodes)
      if (node.querySelectorAll)
        for (const tile of node.querySelectorAll("li.tile")) tileStatesSeen.add(tile.dataset.state);
}).observe(document.getElementById("tiles"), { childList: true, subtree: true });
"""
CHEAP, DEAR = dev_account(2).address, dev_account(3).address  # the `workers` fixture's two


def test_an_artist_posts_a_job_watches_it_render_and_downloads_the_exact_frame(
    page: Page, server: Server, browser_stack: Stack, workers: None, tiny_scene: Path
) -> None:
    expect(page.locator("#wallet-balance")).to_contain_text("10 ETH")  # funded by the faucet
    upload(page, str(tiny_scene))
    facts = page.locator("#scene-facts")
    expect(facts).to_be_visible(timeout=90_000)
    expect(facts.locator("[data-fact=engine]")).to_have_text("Cycles")
    expect(facts.locator("[data-fact=camera]")).not_to_be_empty()
    fill_job(page, TINY_JOB)
    expect(page.locator("#estimate")).to_contain_text("Bids close after 8 s")
    expect(page.locator("#estimate")).to_contain_text("You lock 0.008088 ETH")  # the quote
    screenshot(page, "submit-page.png")

    page.get_by_role("button", name="Post job and pay").click()

    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    posted = page.locator("#posted")
    expect(posted).to_contain_text(f"Job {job_id} posted and paid")
    tx_hash = posted.locator("[title^='0x']").get_attribute("title")
    assert tx_hash is not None
    job = browser_stack.market.job(job_id)
    wallet = page.locator(".wallet .who").get_attribute("title") or ""
    assert wallet.endswith(job.artist)  # the browser's own key paid
    receipt = browser_stack.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1 and receipt["from"] == job.artist

    expect(page.locator("#tiles li.tile")).to_have_count(TILES, timeout=60_000)
    # Every state any tile is drawn in from now on, as the stream's events arrive one by one.
    page.evaluate(SEEN_STATES)
    expect(page.locator("#tiles li.tile[data-state=accepted]")).to_have_count(
        TILES, timeout=240_000
    )
    # Accepted, paid after the contest window: time moves on and a stranger releases the pay.
    release_all(browser_stack, job_id)
    expect(page.locator("#tiles li.tile[data-state=paid]")).to_have_count(TILES, timeout=60_000)
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=60_000)
    seen = set(page.evaluate("[...window.tileStatesSeen]"))
    # Blind verification: committed (hidden), the evidence sealed, the tiles revealed, verified.
    assert {
        "bidding", "assigned", "committed", "verifying", "sealed", "revealed", "verified",
        "accepted", "paid",
    } <= seen  # fmt: skip
    expect(page.locator("#frame-1-img")).to_be_visible(timeout=120_000)
    page.wait_for_function("document.getElementById('frame-1-img').complete")
    assert page.evaluate("document.getElementById('frame-1-img').naturalWidth") == 64
    for name in (
        "JobPosted", "TilesAssigned", "ResultsCommitted", "EvidenceSealed", "ResultsRevealed",
        "ResultsAttested", "ResultsAccepted", "PaymentReleased",
    ):  # fmt: skip
        expect(page.locator(f"#timeline li[data-event={name}]").first).to_be_visible()
    expect(page.locator("#money-workers")).not_to_have_text("0 ETH")

    frames = httpx.get(f"{server.url}/api/jobs/{job_id}/frames").json()["frames"]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PNG").click()
    download = download_info.value
    assert download.suggested_filename == f"job-{job_id}-frame-0001.png"
    assert browser_stack.status.ipfs_api_url
    with KuboClient(browser_stack.status.ipfs_api_url) as ipfs:
        assert Path(download.path()).read_bytes() == ipfs.cat(frames[0]["png_cid"])
    screenshot(page, "job-page-finished.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "job-page-phone.png")

    # What the winning bids left unused is credited in the market; the artist takes it back.
    refund = browser_stack.market.balance_of(job.artist)
    assert refund > 0
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0, timeout=30_000)
    assert browser_stack.market.balance_of(job.artist) == 0


def test_the_workers_and_auditor_pages_show_the_finished_job(page: Page, server: Server) -> None:
    """Runs after the job above: its two workers' reputation and the job's books and audit."""
    done = httpx.get(f"{server.url}/api/jobs?status=Completed").json()["items"]
    assert done, "no completed job: this test reads the one the test above finishes"
    job_id = done[0]["job_id"]

    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("row").filter(has_text=f"Job {job_id}")).to_contain_text("Completed")

    page.get_by_role("link", name="Workers").click()
    rows = page.locator("#workers-table tbody tr")
    expect(rows).to_have_count(2)
    # Id, worker, stake, hardware, then the tiles accepted.
    expect(page.locator(f"tr[data-worker='{CHEAP}'] td").nth(4)).to_have_text("5")
    expect(page.locator(f"tr[data-worker='{DEAR}'] td").nth(4)).to_have_text("3")
    page.locator(f"tr[data-worker='{CHEAP}'] a").click()
    expect(page.locator("#worker-detail")).to_contain_text(f"Job {job_id}")

    page.get_by_role("link", name="Audit").click()
    ledger_row = page.locator("#ledger-table tbody tr").filter(has_text=f"Job {job_id}")
    expect(ledger_row.locator("td").last).to_have_text("yes")  # the books balance
    page.get_by_label("Job id").fill(str(job_id))
    page.get_by_role("button", name="Audit", exact=True).click()
    expect(page.locator("#audit-verdict")).to_contain_text(
        f"Job {job_id} passes every check", timeout=120_000
    )
    expect(page.locator("#audit-report li[data-ok=false]")).to_have_count(0)
    screenshot(page, "audit-page.png")


def truncated(exact: Decimal, shown: Decimal) -> bool:
    """`shown` is `exact` cut after its last digit."""
    return shown <= exact < shown + Decimal(1).scaleb(shown.as_tuple().exponent)  # type: ignore[arg-type]


def test_the_next_artist_sees_a_live_estimate_from_the_prices_just_paid(
    page: Page, server: Server, tiny_scene: Path
) -> None:
    """Runs after the job above: its winning bids are among the market's recent prices (with
    those of the other tests this session's server has seen)."""

    def shown() -> Decimal:
        return Decimal(page.locator("#estimate-total").inner_text().removesuffix(" ETH"))

    def api_estimate(tiles: int) -> dict[str, Any]:
        fee = 10**12  # the form's verifier fee, 0.000001 ETH
        answer: dict[str, Any] = httpx.get(
            f"{server.url}/api/prices/estimate",
            params={"tiles": tiles, "verify_fee_per_tile": fee},
        ).json()
        return answer

    def api_total(tiles: int) -> Decimal:
        return Decimal(api_estimate(tiles)["total"]) / 10**18

    bids = api_estimate(8)["based_on_bids"]
    assert bids >= 2  # the job above's two seats
    upload(page, str(tiny_scene))
    expect(page.locator("#estimate")).to_contain_text(
        f"At recent prices ({bids} winning bids)", timeout=90_000
    )
    fill_job(page, TINY_JOB)
    expect(page.locator("#estimate")).to_contain_text("Bids close after 8 s")
    assert truncated(api_total(8), shown())

    page.get_by_label("Tile columns", exact=True).fill("8")  # twice the tiles

    expect(page.locator("#estimate")).to_contain_text("for 16 tiles")
    assert truncated(api_total(16), shown())
