"""Filling the artist's job form the way a person does: label by label."""

from playwright.sync_api import Page

# A tiny job for the devnet's workers: 8 tiles of the 64x48 tiny scene, 4 samples, a few small
# spot-check patches, short bidding windows (the test's chain mines a block every half second).
TINY_JOB = {
    "Frames": "1",
    "Width (px)": "64",
    "Height (px)": "48",
    "Samples": "4",
    "Tile columns": "4",
    "Tile rows": "2",
    "Maximum price per tile (ETH)": "0.001",
    "Verifier fee per tile (ETH)": "0.000001",
    "Bid bond (ETH)": "0.0001",
    "Sealed bids for": "8",
    "Reveals for": "60",
    "Rendering within": "600",
    "Verification within": "600",
    "Patches re-rendered per result": "6",
    "Patch size (px)": "8",
}


def upload(page: Page, path: str) -> None:
    page.locator("#scene-file").set_input_files(path)


def fill_job(page: Page, values: dict[str, str]) -> None:
    page.get_by_text("Verification spot-checks").click()  # opens the advanced settings
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def form_values(page: Page) -> dict[str, str]:
    return {label: page.get_by_label(label, exact=True).input_value() for label in TINY_JOB}
