"""`tilefarm submit`, `watch` and `fetch` as a pipeline runs them.

Options that cannot work are refused before anything is uploaded or signed, and say what to
type instead. On the real stack (one `tilefarm demo --keep-serving` for the module: anvil, Kubo,
the server and two `render-worker` processes, after its own 4-tile job), `submit` posts a 3-frame
job from an artist's encrypted keystore, `watch` follows it to its frames and film, and `fetch`
downloads every frame and the MP4, each file checked against its CID; the server's refusals of
a scene (an engine other than Cycles, a texture that is gone) reach the artist in plain words.
Cost on two loaded cores: the demo's start and job, then a 3-tile job at 32x24 and 1 sample.
"""

import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import av
import httpx
import psutil
import pytest
from eth_account import Account
from eth_typing import HexStr
from PIL import Image
from typer.testing import CliRunner, Result
from web3 import Web3

from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.cids import cid_of_file
from tilefarm_cli.artist.fetch import Fetched
from tilefarm_cli.artist.job_params import eth_text
from tilefarm_cli.artist.submit import Submitted
from tilefarm_cli.artist.tile_states import JobState
from tilefarm_cli.demo import DemoSummary
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.main import app

from .demo_cli import command_line, kill_demo

TILEFARM = str(Path(sys.executable).with_name("tilefarm"))
PASSWORD = "artist password"
ARTIST = 5  # an anvil account neither the demo's artist (1) nor its workers (2, 3) use
F = TypeVar("F", bound=Callable[..., Any])


def on_the_stack(test: F) -> F:
    """Marks a test that uses the module's running stack."""
    for mark in (pytest.mark.stack, pytest.mark.blender, pytest.mark.ipfs, pytest.mark.chain):
        test = mark(test)
    return test


def write_keystore(path: Path, key: bytes) -> Path:
    # scrypt at 2**14 rather than 2**18: the same format and code path, unlocked 16x faster.
    path.write_text(json.dumps(Account.encrypt(key, PASSWORD, iterations=2**14)))
    return path


def cli(*argv: object, env: dict[str, str] | None = None) -> Result:
    """`tilefarm ...` in this process, with no password or server from the environment."""
    unset: dict[str, str | None] = {"TILEFARM_ARTIST_PASSWORD": None, "TILEFARM_SERVER_URL": None}
    return CliRunner().invoke(
        app, [str(a) for a in argv], env={"COLUMNS": "300", **unset, **(env or {})}
    )


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- refused before anything is uploaded ------------------------------------------------------


@pytest.fixture
def blend(tmp_path: Path) -> Path:
    """A file to submit: none of these tests gets as far as reading it."""
    path = tmp_path / "shot.blend"
    path.write_bytes(b"BLENDER-v500" + bytes(64))
    return path


def test_submit_refuses_a_frame_list_it_cannot_read_saying_which_part(
    blend: Path, tmp_path: Path
) -> None:
    result = cli("submit", blend, "--keystore", tmp_path / "key.json", "--frames", "1-24,30-10")
    assert result.exit_code == 1
    assert "--frames '1-24,30-10'" in result.output and '"30-10" runs backwards' in result.output


def test_submit_refuses_a_resolution_that_is_not_width_by_height(
    blend: Path, tmp_path: Path
) -> None:
    result = cli("submit", blend, "--keystore", tmp_path / "key.json", "--resolution", "1080p")
    assert result.exit_code == 1
    assert "--resolution '1080p': write two whole numbers" in flat(result.output)
    assert "e.g. 1920x1080" in result.output


def test_submit_refuses_a_price_that_is_not_an_amount_of_eth(blend: Path, tmp_path: Path) -> None:
    result = cli("submit", blend, "--keystore", tmp_path / "key.json", "--max-price", "cheap")
    assert result.exit_code == 1
    assert "--max-price 'cheap' is not an amount of ETH: write a decimal like 0.001" in flat(
        result.output
    )


def test_submit_without_a_keystore_says_how_to_make_one_before_asking_a_password(
    blend: Path, tmp_path: Path
) -> None:
    result = cli("submit", blend, "--keystore", tmp_path / "missing.json")
    assert result.exit_code == 1
    assert f"no keystore at {tmp_path / 'missing.json'}" in flat(result.output)
    assert "cast wallet import" in result.output and "password" not in result.output


def test_submit_with_the_wrong_password_says_so(blend: Path, tmp_path: Path) -> None:
    key = write_keystore(tmp_path / "key.json", os.urandom(32))
    result = cli("submit", blend, "--keystore", key, env={"TILEFARM_ARTIST_PASSWORD": "nope"})
    assert result.exit_code == 1
    assert f"wrong password for the keystore {key}" in flat(result.output)


def test_a_password_piped_on_stdin_unlocks_the_keystore(blend: Path, tmp_path: Path) -> None:
    key = write_keystore(tmp_path / "key.json", os.urandom(32))
    server = f"http://127.0.0.1:{free_port()}"
    argv = ["submit", str(blend), "--keystore", str(key), "--server", server]
    env = {"COLUMNS": "300", "TILEFARM_ARTIST_PASSWORD": None}
    piped = CliRunner().invoke(app, argv, input=PASSWORD + "\n", env=env)
    assert piped.exit_code == 1  # unlocked: it went on to the server, which is not there
    assert "cannot be reached" in piped.output and "wrong password" not in piped.output


def test_a_server_nobody_answers_at_is_named_with_what_to_check(
    blend: Path, tmp_path: Path
) -> None:
    key = write_keystore(tmp_path / "key.json", os.urandom(32))
    server = f"http://127.0.0.1:{free_port()}"
    env = {"TILEFARM_ARTIST_PASSWORD": PASSWORD}
    result = cli("submit", blend, "--keystore", key, "--server", server, env=env)
    assert result.exit_code == 1
    assert f"the server at {server} cannot be reached" in flat(result.output)
    fetched = cli("fetch", "1", "--server", server, "--out", tmp_path / "out")
    assert fetched.exit_code == 1 and "cannot be reached" in fetched.output


# ---- on the real stack -------------------------------------------------------------------------


@dataclass
class Farm:
    server: str
    rpc_url: str
    scene: Path  # the demo's tiny scene, built by Blender
    summary: DemoSummary


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    """`tilefarm demo --keep-serving`: the stack with two workers, once its own job is done."""
    tmp = tmp_path_factory.mktemp("farm")
    ports = {name: free_port() for name in ("server", "chain", "ipfs_api", "ipfs_gateway")}
    argv = [
        TILEFARM, "demo", "--json", "--keep-serving", "--state-dir", str(tmp / "demo"),
        "--out", str(tmp / "out"), "--port", str(ports["server"]),
        "--chain-port", str(ports["chain"]), "--ipfs-api-port", str(ports["ipfs_api"]),
        "--ipfs-gateway-port", str(ports["ipfs_gateway"]), "--workers", "2",
        "--scene", "tiny", "--frames", "1", "--width", "32", "--height", "24",
        # 4 tiles: each worker then takes up to 2 tiles of a job (its queue is the demo's share).
        "--grid", "2x2", "--samples", "1", "--bid-window", "6",
    ]  # fmt: skip
    log = tmp / "demo.err"
    with log.open("w") as err:
        demo = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert demo.stdout is not None
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if line.rstrip() == "}":
                break
        else:
            raise AssertionError(f"the demo ended without a summary:\n{log.read_text()[-3000:]}")
        summary = DemoSummary.model_validate_json("".join(lines))
        yield Farm(
            server=summary.server_url,
            rpc_url=f"http://127.0.0.1:{ports['chain']}",
            scene=tmp / "demo" / "artist" / "tiny.blend",
            summary=summary,
        )
        # `kill PID` (SIGTERM to the demo's own pid, not its group) stops everything it started,
        # as Ctrl-C does (tests/e2e/test_demo_job.py sends SIGINT the same way).
        running = psutil.Process(demo.pid).children(recursive=True)
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
        _gone, alive = psutil.wait_procs(running, timeout=5)
        assert [command_line(p) for p in alive] == []
    finally:
        kill_demo(demo, tmp / "demo")


@pytest.fixture(scope="module")
def artist_keystore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A funded devnet account's key, only ever written encrypted."""
    path = tmp_path_factory.mktemp("artist") / "artist.json"
    return write_keystore(path, bytes(dev_account(ARTIST).key))


def tilefarm(*argv: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`tilefarm ...` as a process, as a pipeline runs it."""
    env = {**os.environ, "TILEFARM_ARTIST_PASSWORD": PASSWORD, "COLUMNS": "300"}
    return subprocess.run(
        [TILEFARM, *map(str, argv)], capture_output=True, text=True, env=env, timeout=timeout
    )


@on_the_stack
def test_submit_posts_a_three_frame_job_that_fetch_downloads_with_its_mp4(
    farm: Farm, artist_keystore: Path, tmp_path: Path
) -> None:
    submitted = tilefarm(
        "submit", farm.scene, "--server", farm.server, "--keystore", artist_keystore,
        "--frames", "1-3", "--resolution", "32x24", "--samples", "1", "--grid", "1x1",
        "--bid-window", "6", "--reveal-window", "20", "--render-window", "600",
        "--verify-window", "300", "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = Submitted.model_validate_json(submitted.stdout)
    assert (job.frames, job.frame_count, job.tiles, job.resolution) == ("1-3", 3, 3, "32x24")
    assert job.page_url == f"{farm.server}/#/jobs/{job.job_id}"
    # The demo's market passed the code check; what was signed was said first, even with --json.
    said = flat(submitted.stderr)
    assert f"signing postJob on chain {job.chain_id} for the market {job.market}" in said
    assert f"({job.deposit_wei} wei) from the artist {job.artist}" in said
    assert f"and gas of at most {eth_text(job.max_gas_cost_wei)} ({job.gas_limit} gas" in said
    # Its hash, computed from the signed bytes, said before it was sent, is the mined one.
    assert said.index(f"postJob signed: transaction {job.tx_hash}") < said.index(
        f"the node took transaction {job.tx_hash}"
    )
    assert job.gas_used <= job.gas_limit and job.max_gas_cost_wei <= job.max_gas_fee_wei
    # Signed by the artist's key, on the chain the server follows, for the manifest it stored.
    w3 = Web3(Web3.HTTPProvider(farm.rpc_url))
    assert w3.eth.get_transaction(HexStr(job.tx_hash))["from"] == dev_account(ARTIST).address
    stored = httpx.get(f"{farm.server}/api/manifests/{job.manifest_cid}").json()["manifest"]
    scene = httpx.get(f"{farm.server}/api/scenes/{job.scene_cid}").json()["info"]
    assert stored["frames"] == [1, 2, 3] and stored["tile_grid"] == {"columns": 1, "rows": 1}
    # The scene's own look went into the manifest.
    assert stored["colour"]["view_transform"] == scene["colour"]["view_transform"]
    assert stored["colour"]["look"] == scene["colour"]["look"]

    watched = tilefarm("watch", job.job_id, "--server", farm.server, "--json", "--interval", "1")
    assert watched.returncode == 0, watched.stderr
    looks = [JobState.model_validate_json(line) for line in watched.stdout.splitlines()]
    assert looks[0].verified < 3 and not looks[0].done  # followed from before it was verified
    assert looks[-1].done and looks[-1].ok and looks[-1].verified == 3
    assert looks[-1].frames_assembled == 3 and looks[-1].film == "ready"

    out = tmp_path / "job"
    fetched = tilefarm("fetch", job.job_id, "--server", farm.server, "--out", out, "--json")
    assert fetched.returncode == 0, fetched.stderr
    got = Fetched.model_validate_json(fetched.stdout)
    assert got.complete and got.problems == []
    assert [f.frame for f in got.frames] == [1, 2, 3]
    for frame in got.frames:
        assert [f.kind for f in frame.files] == ["png", "exr"]
        for file in frame.files:
            assert file.path.parent == out and cid_of_file(file.path) == file.cid
        with Image.open(frame.files[0].path) as image:
            assert image.size == (32, 24)
    assert got.film is not None and got.film.status == "ready"
    mp4, archive = got.film.files
    assert (mp4.kind, archive.kind) == ("mp4", "zip")
    assert cid_of_file(mp4.path) == mp4.cid and cid_of_file(archive.path) == archive.cid
    with av.open(str(mp4.path)) as film:
        stream = film.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in film.decode(stream)) == 3
    with zipfile.ZipFile(archive.path) as frames_zip:
        for frame in got.frames:
            png_file = frame.files[0].path
            assert frames_zip.read(png_file.name) == png_file.read_bytes()  # frame-0001.png, ...

    again = tilefarm("fetch", job.job_id, "--server", farm.server, "--out", out, "--json")
    assert again.returncode == 0, again.stderr
    kept = Fetched.model_validate_json(again.stdout)
    assert not any(f.downloaded for fr in kept.frames for f in fr.files)  # same CIDs: kept


BUILD = """
import sys
from pathlib import Path
import bpy

out, kind = sys.argv[-2:]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.engine = "BLENDER_WORKBENCH" if kind == "workbench" else "CYCLES"
scene.render.resolution_x, scene.render.resolution_y = 32, 24
camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
scene.collection.objects.link(camera)
camera.location, camera.rotation_euler = (0, -6, 0), (1.5708, 0, 0)
scene.camera = camera
bpy.ops.mesh.primitive_plane_add(size=4, rotation=(1.5708, 0, 0))
if kind == "gone":
    texture = Path(out).parent / "tex" / "wood.png"
    texture.parent.mkdir(exist_ok=True)
    made = bpy.data.images.new("wood", 4, 4)
    made.filepath_raw, made.file_format = str(texture), "PNG"
    made.save()
    bpy.data.images.remove(made)
    material = bpy.data.materials.new("wood")
    material.use_nodes = True
    material.node_tree.nodes.new("ShaderNodeTexImage").image = bpy.data.images.load(str(texture))
    bpy.context.active_object.data.materials.append(material)
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def build_scene(path: Path, kind: str) -> Path:
    subprocess.run([sys.executable, "-c", BUILD, str(path), kind], check=True, capture_output=True)
    return path


@on_the_stack
def test_a_workbench_scene_is_refused_naming_its_engine_and_the_option_that_allows_it(
    farm: Farm, artist_keystore: Path, tmp_path: Path
) -> None:
    scene = build_scene(tmp_path / "look-dev.blend", "workbench")
    refused = tilefarm("submit", scene, "--server", farm.server, "--keystore", artist_keystore)
    assert refused.returncode == 1
    said = flat(refused.stderr)
    assert "the server refused look-dev.blend" in said and "Workbench" in said
    assert "pass --cycles-instead" in said and "Traceback" not in said


@on_the_stack
def test_a_scene_whose_texture_is_gone_is_refused_listing_the_file(
    farm: Farm, artist_keystore: Path, tmp_path: Path
) -> None:
    scene = build_scene(tmp_path / "shot.blend", "gone")
    (tmp_path / "tex" / "wood.png").unlink()  # gone from the artist's disk too: nothing to pack
    refused = tilefarm("submit", scene, "--server", farm.server, "--keystore", artist_keystore)
    assert refused.returncode == 1
    said = flat(refused.stderr)
    assert "the server refused shot.blend" in said and "//tex/wood.png" in said
    assert "pass --allow-missing" in said


@on_the_stack
def test_fetch_names_a_job_the_server_does_not_know_and_a_one_frame_job_has_no_film(
    farm: Farm, tmp_path: Path
) -> None:
    fetched = tilefarm("fetch", "999", "--server", farm.server, "--out", tmp_path / "out")
    assert fetched.returncode == 1
    assert f"the server at {farm.server} knows no job 999" in flat(fetched.stderr)
    # The job the demo posted is one frame: its frames, and no film to wait for.
    demo_job = farm.summary.job_id
    done = tilefarm(
        "fetch", demo_job, "--server", farm.server, "--out", tmp_path / "demo", "--json"
    )
    assert done.returncode == 0, done.stderr
    got = Fetched.model_validate_json(done.stdout)
    assert got.film is None and [f.frame for f in got.frames] == [1]
