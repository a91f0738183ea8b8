"""What the submit page checks of a scene before a job is posted, in a real browser against the
real server: a texture the .blend does not carry is listed and uploaded only once the artist
agrees; an Eevee scene is rendered with Cycles only once the artist chooses it, and its manifest
says so; the scene's look (AgX) and its frame step are prefilled; a scene uploaded elsewhere (the
Blender add-on) opens by its CID. No worker runs: one job is posted (its manifest is what is
checked) and nothing renders it. Costs about a minute beside the browser stack: six uploads read
by the sandboxed Blender and one job posted."""

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, screenshot
from tests.browser.form import TINY_JOB, fill_job, upload

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

BUILDER = Path(__file__).with_name("scene_checks_blend.py")
# Reading a scene in the sandboxed Blender takes seconds, longer on a loaded machine.
READ = 90_000


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """missing.blend, eevee.blend and agx.blend (scene_checks_blend.py says what each holds)."""
    folder = tmp_path_factory.mktemp("scene-checks")
    subprocess.run([sys.executable, str(BUILDER), str(folder)], check=True, capture_output=True)
    return folder


def test_a_missing_texture_is_listed_and_the_scene_uploads_once_the_artist_agrees(
    page: Page, scenes: Path
) -> None:
    upload(page, str(scenes / "missing.blend"))

    question = page.locator("#missing-files-check")
    expect(question).to_contain_text("missing.blend names 1 file it does not carry", timeout=READ)
    expect(page.locator("#missing-files li")).to_have_count(1)
    expect(page.locator("#missing-files")).to_contain_text("//textures/wood.png")
    expect(question).to_contain_text("Pack Resources")
    expect(page.locator("#job-form")).to_have_count(0)
    screenshot(page, "submit-missing-files.png")

    page.get_by_role("button", name="Upload without them").click()

    expect(page.locator("#scene-facts")).to_be_visible(timeout=READ)
    outside = page.locator("[data-fact='outside files']")
    expect(outside).to_contain_text("1 file: 0 packed, 1 missing")
    expect(outside).to_contain_text("//textures/wood.png")
    expect(page.locator("#job-form")).to_be_visible()


def test_cancelling_a_scene_with_missing_files_says_how_to_pack_them(
    page: Page, scenes: Path
) -> None:
    upload(page, str(scenes / "missing.blend"))
    expect(page.locator("#missing-files-check")).to_be_visible(timeout=READ)

    page.get_by_role("button", name="Cancel").click()

    expect(page.locator("#upload-cancelled")).to_contain_text("File > External Data > Pack")
    expect(page.locator("#scene-facts")).to_have_count(0)


def test_an_eevee_scene_is_rendered_with_cycles_only_when_the_artist_chooses_it(
    page: Page, scenes: Path
) -> None:
    upload(page, str(scenes / "eevee.blend"))

    question = page.locator("#engine-check")
    expect(question).to_contain_text("eevee.blend is set to render with Eevee", timeout=READ)
    expect(page.locator("#job-form")).to_have_count(0)
    page.get_by_role("button", name="Render with Cycles instead").click()

    expect(page.locator("#scene-facts")).to_be_visible(timeout=READ)
    expect(page.locator("[data-fact='engine']")).to_have_text("Eevee, rendered with Cycles instead")
    expect(page.locator("#cycles-instead-note")).to_contain_text("look will differ from Eevee's")
    fill_job(page, TINY_JOB)
    with page.expect_response("**/api/manifests") as stored:
        page.get_by_role("button", name="Post job and pay").click()

    assert stored.value.status == 201, stored.value.text()
    assert json.loads(stored.value.request.post_data or "{}")["cycles_instead"] is True
    assert stored.value.json()["manifest"]["cycles_instead"] is True
    expect(page).to_have_url(re.compile(r"#/jobs/\d+$"), timeout=30_000)


def test_an_agx_scene_prefills_its_look_and_its_frame_step(page: Page, scenes: Path) -> None:
    upload(page, str(scenes / "agx.blend"))

    expect(page.locator("#scene-facts")).to_be_visible(timeout=READ)
    expect(page.locator("[data-fact='colour']")).to_contain_text("AgX on sRGB, look AgX - Punchy")
    expect(page.get_by_label("View transform", exact=True)).to_have_value("AgX")
    expect(page.get_by_label("Look", exact=True)).to_have_value("AgX - Punchy")
    expect(page.get_by_label("Exposure", exact=True)).to_have_value("0.5")
    expect(page.get_by_label("Gamma", exact=True)).to_have_value("1.25")
    expect(page.get_by_label("Display device", exact=True)).to_have_value("sRGB")
    expect(page.locator("#colour-notices [role=status]")).to_have_count(0)
    expect(page.get_by_label("Frames", exact=True)).to_have_value("1-9x2")
    expect(page.locator("#estimate")).to_contain_text("(5 frames)")
    screenshot(page, "submit-agx-scene.png")

    # Another display offers its own views: AgX is kept where it is offered, else Standard.
    page.get_by_label("Display device", exact=True).select_option("Display P3")
    expect(page.get_by_label("View transform", exact=True)).to_have_value("AgX")
    expect(page.get_by_label("Look", exact=True)).to_have_value("AgX - Punchy")
    page.get_by_label("Display device", exact=True).select_option("Rec.2100-PQ")
    expect(page.get_by_label("View transform", exact=True)).to_have_value("Standard")
    expect(page.get_by_label("Look", exact=True)).to_have_value("None")


def test_a_frame_step_typed_in_the_form_makes_every_other_frame(
    page: Page, tiny_scene: Path
) -> None:
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=READ)

    page.get_by_label("Frames", exact=True).fill("1-9x2")

    expect(page.locator("#estimate")).to_contain_text("for 40 tiles (5 frames)")
    page.get_by_label("Frames", exact=True).fill("9-1")
    expect(page.locator("#estimate")).to_contain_text('Frames: "9-1" runs backwards')


def test_a_scene_uploaded_elsewhere_opens_by_its_cid(
    page: Page, server: Server, tiny_scene: Path
) -> None:
    uploaded = httpx.post(
        f"{server.url}/api/scenes?filename=tiny.blend", content=tiny_scene.read_bytes(), timeout=120
    )
    assert uploaded.status_code == 201, uploaded.text
    cid = uploaded.json()["cid"]

    page.goto(f"{server.url}/#/submit?scene={cid}")

    expect(page.locator("[data-fact='cid']")).to_have_text(cid, timeout=30_000)
    expect(page.locator("#job-form")).to_be_visible()
    expect(page.get_by_label("Frames", exact=True)).to_have_value("1-2")
    expect(page.locator("nav a[aria-current=page]")).to_have_attribute("data-nav", "submit")


def test_a_scene_cid_that_was_never_uploaded_says_so(page: Page, server: Server) -> None:
    unknown = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"

    page.goto(f"{server.url}/#/submit?scene={unknown}")

    expect(page.locator("#upload-error [role=alert]")).to_contain_text(
        "This scene cannot be shown", timeout=30_000
    )
    expect(page.locator("#job-form")).to_have_count(0)
