"""The Blender add-on, for real: built as an extension zip, installed from it into the project's
bpy (user folders in a temporary directory, so this machine's Blender setup is untouched),
registered, and its Submit operator run on an artist's scene against a running tilefarm server
(uvicorn, Kubo and anvil of the test session). The scene's texture is a PNG beside the .blend
and one material is linked from a library: the upload carries both, the artist's file is
untouched, the job page opens prefilled, the panel follows the artist's job (not a stranger's
posted for the same scene), and a worker's Blender child renders the uploaded scene with the
texture's and the library's colours. A scene naming files outside its folder uploads without
them. Refresh never waits for the server.

Cost: six Blender processes (the scenes, the artist's session, two packing children, two of the
server's intake children), two job posts and one tile of 32 x 24 at 1 sample; the session's
devnet is shared.
"""

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from web3 import Web3

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings
from scripts.build_addon import build
from tests.blender.addon_scenes import LINKED, PAINT
from tests.marketplace.market import params
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.manifest import build_manifest
from tilefarm.pixels import read_exr
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.settings import TilefarmSettings

pytestmark = [pytest.mark.blender, pytest.mark.stack]

HERE = Path(__file__).parent
_BPY = importlib.util.find_spec("bpy")  # found, not imported: bpy runs in child processes only
assert _BPY is not None and _BPY.origin is not None
# Blender's scripts inside the bpy wheel (bpy/<version>/scripts), where its extension tools live.
BPY_SCRIPTS = next(Path(_BPY.origin).parent.glob("*/scripts/addons_core")).parent
REPORT = "TILEFARM-TEST "
SESSION_SECONDS = 300
ARTIST, STRANGER = 1, 2  # the devnet accounts that post jobs for the uploaded scene


@dataclass
class Server:
    url: str
    settings: MarketplaceSettings


@pytest.fixture(scope="module")
def server(
    devnet: StackStatus, stack_settings: TilefarmSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`tilefarm serve` on the session's devnet (uvicorn: the add-on speaks real HTTP)."""
    assert devnet.ipfs_api_url and devnet.rpc_url
    port = free_port()
    settings = MarketplaceSettings(
        state_dir=tmp_path_factory.mktemp("addon-server"),
        ipfs_api_url=devnet.ipfs_api_url,
        rpc_url=devnet.rpc_url,
        deployments_file=stack_settings.deployments_dir / f"{devnet.chain_id}.json",
        poll_interval=0.2,
        port=port,
    )
    uv = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
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
        assert time.monotonic() < deadline, f"the server at {url} did not start"
        time.sleep(0.1)
    yield Server(url=url, settings=settings)
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def addon_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("addon-build"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The artist's folder: shot.blend, its texture in tex/, its library, and gone.blend."""
    folder = tmp_path_factory.mktemp("artist")
    subprocess.run(
        [sys.executable, str(HERE / "addon_scenes.py"), str(folder)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _isolated_env(home: Path, browser: Path) -> dict[str, str]:
    """Blender's user folders under `home` (nothing of this machine's Blender is read or
    written), and a "browser" that records the URLs it is asked to open."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLENDER_USER_")}
    env.update(
        HOME=str(home),
        BLENDER_USER_RESOURCES=str(home / "blender"),
        BLENDER_USER_CONFIG=str(home / "blender" / "config"),
        BLENDER_USER_SCRIPTS=str(home / "blender" / "scripts"),
        BLENDER_USER_EXTENSIONS=str(home / "blender" / "extensions"),
        BLENDER_USER_DATAFILES=str(home / "blender" / "datafiles"),
        BROWSER=str(browser),
        TMPDIR=str(home / "tmp"),
    )
    return env


@dataclass
class Session:
    """What the artist's session reported, step by step, and what happened around it."""

    steps: dict[str, dict[str, Any]]
    opened_urls: list[str]
    shot_sha_before: str
    shot_sha_after: str
    project_unchanged: bool
    temporary_left: list[str]
    job_id: int
    strangers_job_id: int
    manifest_cid: str
    home: Path


def _read_step(process: subprocess.Popen[str], seen: list[str]) -> dict[str, Any]:
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith(REPORT):
            step: dict[str, Any] = json.loads(line[len(REPORT) :])
            return step
    process.wait(10)
    raise AssertionError("the session ended early:\n" + "".join(seen[-40:]))


def _post_job(
    server: Server, devnet: StackStatus, stack_settings: TilefarmSettings, cid: str, poster: int
) -> tuple[int, str]:
    """What the job page does once the wallet signs: store the manifest, post the job (from
    the devnet's account `poster`)."""
    manifest = build_manifest(
        scene_cid=cid, frames=[1], resolution={"width": 32, "height": 24},
        tile_grid={"columns": 1, "rows": 1}, samples=1,
    )  # fmt: skip
    stored = httpx.post(f"{server.url}/api/manifests", json=manifest.model_dump(mode="json"))
    assert stored.status_code == 201, stored.text
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    market = JobMarketClient.from_build(w3, devnet.contracts["JobMarket"], stack_settings.build_dir)
    job_id, _ = market.post_job(dev_account(poster), params(tiles=1), stored.json()["cid"])
    return job_id, str(stored.json()["cid"])


@pytest.fixture(scope="module")
def session(
    addon_zip: Path,
    project: Path,
    server: Server,
    devnet: StackStatus,
    stack_settings: TilefarmSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """The artist's session: installs the zip, submits shot.blend, follows the job the test
    posts for the uploaded scene as the artist (a stranger posts one too), asks a server that
    never answers, submits leak/leak.blend, then tries gone.blend."""
    home = tmp_path_factory.mktemp("artist-home")
    (home / "tmp").mkdir()
    urls = home / "opened-urls.txt"
    browser = home / "record-url"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{urls}"\n')
    browser.chmod(0o755)
    shot = project / "shot.blend"
    before = _sha(shot)
    listing = _listing(project)
    command = [
        sys.executable, str(HERE / "addon_session.py"), str(addon_zip), server.url, str(shot),
        str(project / "gone.blend"), str(project / "leak" / "leak.blend"),
    ]  # fmt: skip
    seen: list[str] = []
    with subprocess.Popen(
        command, env=_isolated_env(home, browser), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as process:  # fmt: skip
        timer = threading.Timer(SESSION_SECONDS, process.kill)
        timer.start()
        try:
            steps = {s["step"]: s for s in (_read_step(process, seen) for _ in range(3))}
            cid = steps["submitted"]["scene_cid"]
            assert cid, "".join(seen[-40:])
            job_id, manifest_cid = _post_job(server, devnet, stack_settings, cid, ARTIST)
            strangers_job_id, _ = _post_job(server, devnet, stack_settings, cid, STRANGER)
            assert process.stdin is not None
            process.stdin.write(f"{dev_account(ARTIST).address}\n")
            process.stdin.flush()
            for _ in range(6):
                step = _read_step(process, seen)
                steps[step["step"]] = step
            assert process.wait(60) == 0, "".join(seen[-40:])
        finally:
            timer.cancel()
            process.kill()
    yield Session(
        steps=steps,
        opened_urls=urls.read_text().split() if urls.is_file() else [],
        shot_sha_before=before,
        shot_sha_after=_sha(shot),
        project_unchanged=listing == _listing(project),
        temporary_left=sorted(p.name for p in (home / "tmp").iterdir()),
        job_id=job_id,
        strangers_job_id=strangers_job_id,
        manifest_cid=manifest_cid,
        home=home,
    )


def test_the_addon_zip_is_the_same_bytes_each_build_and_blender_validates_it(
    addon_zip: Path, tmp_path: Path
) -> None:
    again = build(tmp_path)
    assert again.read_bytes() == addon_zip.read_bytes()
    assert addon_zip.name == "tilefarm-0.1.0.zip"
    # `blender --command extension validate`, run as Blender runs it (its tags list included).
    validator = BPY_SCRIPTS / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    tags = BPY_SCRIPTS / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    run = subprocess.run(
        [sys.executable, str(validator), "validate", str(addon_zip), "--valid-tags", str(tags)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_addon_installs_from_its_zip_registers_and_unregisters(
    session: Session,
) -> None:
    installed = session.steps["installed"]
    assert installed["enabled"]
    assert installed["operators"] == ["submit", "refresh", "follow_job", "open_job_page"]
    assert installed["panel"] and installed["panel_context"] == "output"
    assert session.steps["disabled"] == {
        "step": "disabled", "panel": False, "operator": False, "timer": False,
    }  # fmt: skip
    # Installed into the temporary user folders, not this machine's Blender.
    assert (session.home / "blender" / "extensions" / "user_default" / "tilefarm").is_dir()


def test_the_panel_says_the_texture_is_packed_and_the_library_made_local_in_the_copy(
    session: Session,
) -> None:
    findings = session.steps["checked"]["findings"]
    assert [(topic, level) for topic, level, _ in findings] == [
        ("Engine", "ok"), ("Files", "info"), ("Files", "info"), ("Colour", "ok"),
        ("Frames", "ok"), ("Camera", "ok"),
    ]  # fmt: skip
    said = [text for _, _, text in findings]
    assert said[1] == "1 file packed into the copy: //tex/paint.png (image)"
    assert said[2] == "1 library made local in the copy: //lib.blend (library)"
    assert said[4].startswith("1 (1 frame)")


def _labels(drawn: list[dict[str, Any]]) -> str:
    """The panel's text as one string (it wraps long lines into several labels)."""
    return " ".join(d["text"] for d in drawn if d["call"] == "label")


def _buttons(drawn: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["args"][0]: d for d in drawn if d["call"] == "operator"}


def test_the_output_panel_shows_the_checks_and_an_enabled_submit_button(session: Session) -> None:
    drawn = session.steps["checked"]["drawn"]
    assert [d["args"][1] for d in drawn if d["call"] == "prop"] == ["server_url", "your_address"]
    said = _labels(drawn)
    assert "Engine: Cycles" in said and "Camera: Camera" in said
    assert "Files: 1 file packed into the copy: //tex/paint.png (image)" in said
    assert {d["icon"] for d in drawn if d["call"] == "label" and d["icon"] != "BLANK1"} == {
        "CHECKMARK", "INFO",
    }  # fmt: skip
    submit = _buttons(drawn)["tilefarm.submit"]
    assert not submit["disabled"]
    assert submit["properties"] == {"cycles_instead": False, "allow_missing": False}


def test_the_uploaded_scene_carries_its_texture_and_its_library(
    session: Session, server: Server
) -> None:
    submitted = session.steps["submitted"]
    assert submitted["stage"] == "done", submitted["error"]
    assert submitted["packed"] == ["//tex/paint.png"]
    assert submitted["made_local"] == ["//lib.blend"]
    scene = httpx.get(f"{server.url}/api/scenes/{submitted['scene_cid']}").json()
    assert scene["filename"] == "shot.blend"
    outside = scene["info"]["external_files"]
    assert [(f["kind"], f["name"], f["packed"]) for f in outside] == [("image", "paint.png", True)]
    assert [f for f in outside if not f["packed"]] == []
    # Named as in the artist's file: the upload does not tell where the artist's files live.
    assert [f["path"] for f in outside] == ["//tex/paint.png"]


def test_the_artists_file_and_session_are_left_as_they_were(session: Session) -> None:
    assert session.shot_sha_after == session.shot_sha_before
    submitted = session.steps["submitted"]
    assert submitted["session_after"] == submitted["session_before"]
    assert submitted["session_after"]["image_packed"] is False
    assert submitted["session_after"]["linked"] == ["Linked"]
    # Nothing was written beside the artist's files; the packed copy's folder is gone.
    assert session.project_unchanged
    assert session.temporary_left == []


def test_the_job_page_opens_with_the_uploaded_scene(session: Session, server: Server) -> None:
    shot, leak = session.steps["submitted"]["scene_cid"], session.steps["leak"]["scene_cid"]
    assert session.opened_urls == [
        f"{server.url}/#/submit?scene={shot}", f"{server.url}/#/submit?scene={leak}",
    ]  # fmt: skip
    assert session.steps["submitted"]["job_url"] == session.opened_urls[0]


def test_jobs_anyone_posted_for_the_scene_are_listed_to_choose_from_not_followed(
    session: Session,
) -> None:
    several = session.steps["several"]
    assert several["job_id"] is None
    artist, stranger = dev_account(ARTIST).address, dev_account(STRANGER).address
    assert several["candidates"] == [
        [session.strangers_job_id, stranger], [session.job_id, artist],
    ]  # fmt: skip
    assert several["lines"] == [
        "2 jobs of this scene were posted since the upload: choose yours",
        "Set Your address in the add-on's preferences to see only your jobs",
    ]
    buttons = [d for d in several["drawn"] if d["call"] == "operator"]
    follow = [b for b in buttons if b["args"][0] == "tilefarm.follow_job"]
    assert [(b["text"], b["properties"]) for b in follow] == [
        (f"Job {session.strangers_job_id} by {stranger[:6]}...{stranger[-4:]}: Bidding, 1 tile",
         {"job_id": session.strangers_job_id}),
        (f"Job {session.job_id} by {artist[:6]}...{artist[-4:]}: Bidding, 1 tile",
         {"job_id": session.job_id}),
    ]  # fmt: skip
    assert not any(d["call"] == "progress" for d in several["drawn"])


def test_with_the_artists_address_the_panel_follows_their_job_only(session: Session) -> None:
    submitted = session.steps["submitted"]
    assert submitted["following"]  # the panel's timer polls the server from now on
    assert submitted["progress"] == [
        "No job yet: post it on the job page (your wallet signs it there)"
    ]
    followed = session.steps["followed"]
    assert followed["job_id"] == session.job_id and followed["status"] == "Bidding"
    assert followed["candidates"] == [session.job_id]
    artist = dev_account(ARTIST).address
    head = f"Job {session.job_id} by {artist[:6]}...{artist[-4:]}: Bidding"
    assert followed["lines"] == [head, "0 of 1 tiles verified, 0 rendered, 0 sold"]
    drawn = followed["drawn"]
    assert f"{head} 0 of 1 tiles verified" in _labels(drawn)
    assert "Uploaded shot.blend (1 file packed, 1 library made local)" in _labels(drawn)
    (bar,) = [d for d in drawn if d["call"] == "progress"]
    assert (bar["factor"], bar["type"]) == (0.0, "BAR")
    assert {"tilefarm.open_job_page", "tilefarm.refresh"} <= set(_buttons(drawn))
    assert "tilefarm.follow_job" not in _buttons(drawn)


def test_refresh_returns_while_the_server_is_still_to_answer(session: Session) -> None:
    silent = session.steps["silent"]
    assert silent["returned_while_asking"]
    assert silent["error"].startswith("could not reach the tilefarm server at http://127.0.0.1:")


def test_files_outside_the_scenes_folder_are_not_packed_and_are_named_to_the_artist(
    session: Session, server: Server
) -> None:
    leak = session.steps["leak"]
    outside = "outside the scene's folder: not packed"
    files = [text for topic, _, text in leak["findings"] if topic == "Files"]
    assert files == [
        f"2 files the copy cannot carry: //tex/link.png (image, {outside}), "
        f"//../private/secret.png (image, {outside}); workers would render without them (move "
        "the files outside the scene's folder into it and relink them, or tick 'Submit without "
        "them')",
        "1 file packed into the copy: //tex/inside.png (image)",
    ]
    assert leak["stage"] == "done", leak["error"]
    assert leak["packed"] == ["//tex/inside.png"]
    assert leak["left"] == [["//tex/link.png", outside], ["//../private/secret.png", outside]]
    assert f"2 left out: //tex/link.png (image: {outside})" in leak["described"]
    scene = httpx.get(f"{server.url}/api/scenes/{leak['scene_cid']}").json()
    carried = {f["name"]: f["packed"] for f in scene["info"]["external_files"]}
    assert carried == {"inside.png": True, "link.png": False, "secret.png": False}


def test_a_scene_whose_texture_is_gone_is_not_submitted_and_says_which_file(
    session: Session,
) -> None:
    refused = session.steps["missing"]["refused"]
    assert refused is not None
    drawn = session.steps["missing"]["drawn"]
    assert _buttons(drawn)["tilefarm.submit"]["disabled"]
    assert [d["args"][1] for d in drawn if d["call"] == "prop"] == [
        "server_url", "your_address", "allow_missing",
    ]  # fmt: skip
    assert "//tex/gone.png (image, not found on disk)" in refused
    assert "Submit without them" in refused


def test_a_worker_renders_the_uploaded_scene_with_its_texture_and_library(
    session: Session, devnet: StackStatus, tmp_path: Path
) -> None:
    cid = session.steps["submitted"]["scene_cid"]
    assert devnet.ipfs_api_url
    with KuboClient(devnet.ipfs_api_url) as kubo:
        blend = tmp_path / "uploaded.blend"
        blend.write_bytes(kubo.cat(cid))
    manifest = build_manifest(
        scene_cid=cid, frames=[1], resolution={"width": 32, "height": 24},
        tile_grid={"columns": 1, "rows": 1}, samples=1,
    )  # fmt: skip
    with BlenderChild(threads=1) as child:
        child.open(blend, manifest)
        (tile,) = child.render_tiles(1, [0], tmp_path / "tiles")
    pixels = read_exr(tile.path)
    left, right = pixels[12, 4, :3], pixels[12, 27, :3]
    assert right.tolist() == pytest.approx([c / 255 for c in PAINT], abs=1e-3)
    assert left.tolist() == pytest.approx(list(LINKED), abs=1e-3)
