"""What an artist sees when something is wrong: the server's own reason for a file it refuses,
a payment the wallet cannot make or the artist rejects (every setting stays as it was), and a
wallet on the wrong network."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import MAX_SCENE_BYTES, Server, screenshot
from tests.browser.form import TINY_JOB, fill_job, form_values, upload
from tests.browser.injected_wallet import refusing_wallet
from tests.worker.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

ARTIST = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil dev account 1


def test_a_file_that_is_not_a_blend_shows_the_servers_reason(
    page: Page, server: Server, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a shopping list, not a scene\n")
    reason = httpx.post(
        f"{server.url}/api/scenes?filename=notes.txt", content=notes.read_bytes()
    ).json()["error"]["message"]

    upload(page, str(notes))

    error = page.locator("#upload-error [role=alert]")
    expect(error).to_contain_text("This is not a file the marketplace can render")
    expect(error).to_contain_text(reason)
    expect(page.locator("#job-form")).to_have_count(0)


def test_a_scene_can_be_chosen_with_the_keyboard_alone(page: Page, tiny_scene: Path) -> None:
    # Listening first: Playwright turns on its file-chooser interception without waiting.
    with page.expect_file_chooser() as chooser:
        for _ in range(20):  # skip link, brand, navigation, wallet, then the drop zone
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "drop":
                break
        else:
            raise AssertionError("Tab never reached the drop zone")
        page.keyboard.press("Enter")
    chooser.value.set_files(str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    expect(page.get_by_label("Frames", exact=True)).to_have_value("1-2")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing runs off the side
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "submit-page-phone.png")


def test_a_scene_too_large_for_the_server_says_so(page: Page, tmp_path: Path) -> None:
    huge = tmp_path / "huge.blend"
    huge.write_bytes(b"BLENDER-v500" + bytes(MAX_SCENE_BYTES))

    upload(page, str(huge))

    error = page.locator("#upload-error [role=alert]")
    expect(error).to_contain_text("too large")
    expect(error).to_contain_text("MiB")


def test_a_payment_the_wallet_cannot_make_leaves_the_form_intact(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    jobs_before = browser_stack.market.job_count()
    expect(page.locator("#wallet-balance")).to_contain_text("10 ETH")  # the faucet's grant
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    wanted = {**TINY_JOB, "Maximum price per tile (ETH)": "2"}  # 8 tiles x 2 ETH > 10 ETH
    fill_job(page, wanted)

    page.get_by_role("button", name="Post job and pay").click()

    error = page.locator("#submit-error [role=alert]")
    expect(error).to_contain_text("Not enough ETH", timeout=30_000)
    expect(error).to_contain_text("holds 10 ETH")
    assert form_values(page) == wanted
    expect(page.get_by_role("button", name="Post job and pay")).to_be_enabled()
    assert browser_stack.market.job_count() == jobs_before


def _with_wallet(context: BrowserContext, server: Server, stack: Stack, chain_id: int) -> Page:
    assert stack.status.rpc_url
    context.add_init_script(refusing_wallet(stack.status.rpc_url, ARTIST, chain_id))
    page = context.new_page()
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def test_a_transaction_the_artist_rejects_in_the_wallet_leaves_the_form_intact(
    context: BrowserContext, server: Server, browser_stack: Stack, tiny_scene: Path
) -> None:
    page = _with_wallet(context, server, browser_stack, chain_id=31337)
    jobs_before = browser_stack.market.job_count()
    expect(page.locator(".wallet .kind")).to_have_text("Browser wallet")
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, TINY_JOB)

    page.get_by_role("button", name="Post job and pay").click()

    error = page.locator("#submit-error [role=alert]")
    expect(error).to_contain_text("You declined the request in your wallet", timeout=30_000)
    expect(error).to_contain_text("nothing was paid")
    assert form_values(page) == TINY_JOB
    expect(page.get_by_role("button", name="Post job and pay")).to_be_enabled()
    assert browser_stack.market.job_count() == jobs_before


def test_a_wallet_on_another_network_is_told_which_network_to_use(
    context: BrowserContext, server: Server, browser_stack: Stack, tiny_scene: Path
) -> None:
    page = _with_wallet(context, server, browser_stack, chain_id=1)
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(page, TINY_JOB)

    page.get_by_role("button", name="Post job and pay").click()

    error = page.locator("#submit-error [role=alert]")
    expect(error).to_contain_text("Wrong network: your wallet is on chain 1", timeout=30_000)
    expect(error).to_contain_text("chain 31337")
    assert form_values(page) == TINY_JOB
