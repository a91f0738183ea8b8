"""The shared results check (what verifiers, panels, `tilefarm verify` and auditors run) against
real renders on real IPFS: honest work passes, every cheat fails with its reason. And blind
verification's two halves: evidence rendered from the claim before the tiles are revealed, judged
after, without rendering; evidence that is not of the claim, or not rendered, cannot pass."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import numpy as np
import pytest

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.verification import (
    CheckReport,
    Evidence,
    EvidencePatch,
    check_results,
    judge_evidence,
    load_evidence,
    render_evidence,
)
from tilefarm.hardware import RenderedOn, Requirements
from tilefarm.manifest import RenderManifest, build_manifest
from tilefarm.patches import select_patches
from tilefarm.pixels import Pixels, pixel_hash, read_exr, write_exr
from tilefarm.results import Claim, ResultsList, ResultTile
from tilefarm_cli.devnet import StackStatus
from tilefarm_cli.scenes import build_builtin_scene

pytestmark = [pytest.mark.blender, pytest.mark.ipfs]

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


class Setup(TypedDict):
    ipfs: KuboClient
    manifest: RenderManifest
    frames: dict[str, Pixels]  # the whole frame of each variant
    tmp: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, devnet: StackStatus) -> Setup:
    """The tiny scene on IPFS and whole frames rendered honestly and by cheaters."""
    assert devnet.ipfs_api_url
    ipfs = KuboClient(devnet.ipfs_api_url)
    tmp = tmp_path_factory.mktemp("verify")
    scene = build_builtin_scene("tiny", tmp / "tiny.blend")
    fields = {
        "scene_cid": ipfs.add_file(scene), "frames": [1], "resolution": {"width": 64, "height": 48},
        "tile_grid": {"columns": 4, "rows": 2}, "samples": 16, "seed": 3,
        # 48 = every patch of every tile: the cheats below are caught whatever the seed (the
        # spread of a smaller sample is tests/core/test_patches.py's and bench/fraud.py's job).
        "verification": {"patch_size": 8, "patch_count": 48},
    }  # fmt: skip
    manifest = build_manifest(**fields)
    frames: dict[str, Pixels] = {}
    variants = {
        "honest": manifest,
        "wrong_seed": build_manifest(**{**fields, "seed": 4}),
        "fewer_samples": build_manifest(**{**fields, "samples": 4}),
        "half": build_manifest(**{**fields, "resolution": {"width": 32, "height": 24}}),
    }
    with BlenderChild() as child:
        for name, m in variants.items():
            child.open(scene, m)
            frames[name] = read_exr(child.render_frame(1, tmp / name).path)
    return {"ipfs": ipfs, "manifest": manifest, "frames": frames, "tmp": tmp}


def _publish(
    setup: Setup,
    frame: Pixels,
    tamper: Callable[[list[ResultTile]], object] | None = None,
    rendered_on: RenderedOn | None = None,
) -> Claim:
    ipfs: KuboClient = setup["ipfs"]
    manifest: RenderManifest = setup["manifest"]
    tmp: Path = setup["tmp"]
    tiles = []
    for index, r in enumerate(manifest.tiles()):
        pixels = np.ascontiguousarray(frame[r.y : r.y_end, r.x : r.x_end])
        path = write_exr(tmp / f"tile-{os.urandom(4).hex()}.exr", pixels)
        tiles.append(
            ResultTile(
                index=index, cid=ipfs.add_file(path), pixel_hash=pixel_hash(pixels),
                device=None if rendered_on is None else 0,
            )
        )  # fmt: skip
    if tamper is not None:
        tamper(tiles)
    manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    devices = [] if rendered_on is None else [rendered_on]
    results = ResultsList(
        job_id=1, worker=WORKER, manifest_cid=manifest_cid, tiles=tiles, devices=devices
    )
    return Claim(
        job_id=1, worker=WORKER, manifest_cid=manifest_cid,
        results_cid=ipfs.add_bytes(results.model_dump_json().encode()),
        merkle_root="0x" + results.root().hex(), first_tile=0, tile_count=len(tiles),
        seed="0x" + os.urandom(32).hex(),
    )  # fmt: skip


def _check(setup: Setup, claim: Claim, tmp_path: Path) -> CheckReport:
    with BlenderChild() as child:
        report, _evidence = check_results(claim, setup["ipfs"], tmp_path, child)
    return report


def test_honest_results_pass_with_every_patch_identical(setup: Setup, tmp_path: Path) -> None:
    report = _check(setup, _publish(setup, setup["frames"]["honest"]), tmp_path)
    assert report.passed, report.reason
    assert len(report.patches) == 48
    assert {p.choice.job_tile for p in report.patches} == set(range(8))  # every tile looked at
    assert all(p.psnr_db == float("inf") for p in report.patches)
    assert all(p.differing_fraction == 0.0 and p.reason == "" for p in report.patches)


def _cheats(frames: dict[str, Pixels], manifest: RenderManifest) -> dict[str, Pixels]:
    honest = frames["honest"]
    rects = manifest.tiles()
    copied = honest.copy()
    for i, r in enumerate(rects):
        s = rects[(i + 1) % len(rects)]
        copied[r.y : r.y_end, r.x : r.x_end] = honest[s.y : s.y_end, s.x : s.x_end]
    partial = honest.copy()
    partial[18:30, 20:46] = 0.0  # 10% of the frame, blanked where the objects are
    reseeded = honest.copy()  # the same 10% from a render with another seed
    reseeded[18:30, 20:46] = frames["wrong_seed"][18:30, 20:46]
    return {
        "blank": np.zeros_like(honest),
        "noise": np.random.default_rng(1).random(honest.shape, dtype=np.float32),
        "wrong_seed": frames["wrong_seed"],
        "fewer_samples": frames["fewer_samples"],
        "upscaled": np.repeat(np.repeat(frames["half"], 2, axis=0), 2, axis=1),
        "another_tiles_pixels": copied,
        "ten_percent_faked": partial,
        "ten_percent_from_another_seed": reseeded,
    }


@pytest.mark.parametrize(
    "cheat",
    ["blank", "noise", "wrong_seed", "fewer_samples", "upscaled", "another_tiles_pixels",
     "ten_percent_faked", "ten_percent_from_another_seed"],
)  # fmt: skip
def test_each_cheat_fails_the_check(setup: Setup, cheat: str, tmp_path: Path) -> None:
    frame = _cheats(setup["frames"], setup["manifest"])[cheat]
    report = _check(setup, _publish(setup, frame), tmp_path)
    assert not report.passed
    assert "patches differ from the re-render" in report.reason
    failed = [p for p in report.patches if not p.passed]
    assert all(p.reason for p in failed)  # each says which comparison failed


GPU = RenderedOn(backend="CUDA", device="NVIDIA RTX A4000", driver="550.54", blender="5.0.1")


def _gpu_like(honest: Pixels) -> Pixels:
    """The honest frame with every colour 1% brighter: a GPU-sized difference everywhere, above
    the CPU pair's pixel tolerance (1e-3 tone-mapped) and below the cross-device one (0.038)."""
    out = honest.copy()
    out[..., :3] *= 1.01
    return out


def test_a_tile_rendered_on_a_gpu_is_judged_by_the_cross_device_envelope(
    setup: Setup, tmp_path: Path
) -> None:
    frame = _gpu_like(setup["frames"]["honest"])
    report = _check(setup, _publish(setup, frame, rendered_on=GPU), tmp_path)
    assert report.passed, report.reason
    assert {p.backends for p in report.patches} == {"CUDA/CPU"}


def test_the_same_pixels_said_to_be_rendered_on_the_cpu_fail_the_cpu_pair(
    setup: Setup, tmp_path: Path
) -> None:
    report = _check(setup, _publish(setup, _gpu_like(setup["frames"]["honest"])), tmp_path)
    assert not report.passed
    assert {p.backends for p in report.patches} == {"CPU/CPU"}


def test_a_job_that_requires_the_cpu_judges_a_tile_claimed_for_a_gpu_as_a_failure(
    setup: Setup, tmp_path: Path
) -> None:
    manifest = setup["manifest"].model_copy(update={"requirements": Requirements(backend="CPU")})
    frame = _gpu_like(setup["frames"]["honest"])
    report = _check({**setup, "manifest": manifest}, _publish(
        {**setup, "manifest": manifest}, frame, rendered_on=GPU), tmp_path
    )  # fmt: skip
    assert not report.passed
    assert {p.reason for p in report.patches} == {
        "the job requires the CPU and the tile says CUDA rendered it"
    }


@pytest.mark.parametrize("cheat", ["blank", "noise", "upscaled", "another_tiles_pixels"])
def test_a_cheater_claiming_a_gpu_who_fakes_whole_tiles_is_still_caught_by_the_envelope(
    setup: Setup, cheat: str, tmp_path: Path
) -> None:
    frame = _cheats(setup["frames"], setup["manifest"])[cheat]
    report = _check(setup, _publish(setup, frame, rendered_on=GPU), tmp_path)
    assert not report.passed
    assert "patches differ from the re-render" in report.reason


def test_a_tile_cid_swapped_for_another_fails(setup: Setup, tmp_path: Path) -> None:
    def swap(tiles: list[ResultTile]) -> None:
        tiles[2].cid = tiles[3].cid

    claim = _publish(setup, setup["frames"]["honest"], swap)
    report = _check(setup, claim, tmp_path)
    assert not report.passed and "do not hash to its committed pixel hash" in report.reason


def test_a_forged_pixel_hash_fails(setup: Setup, tmp_path: Path) -> None:
    def forge(tiles: list[ResultTile]) -> None:
        tiles[5].pixel_hash = "00" * 32

    report = _check(setup, _publish(setup, setup["frames"]["honest"], forge), tmp_path)
    assert not report.passed and "tile 5" in report.reason


def test_a_results_list_other_than_the_committed_root_fails(setup: Setup, tmp_path: Path) -> None:
    claim = _publish(setup, setup["frames"]["honest"])
    forged = claim.model_copy(update={"merkle_root": "0x" + "11" * 32})
    report = _check(setup, forged, tmp_path)
    assert not report.passed and "not the committed root" in report.reason


def test_a_results_list_missing_a_tile_fails(setup: Setup, tmp_path: Path) -> None:
    claim = _publish(setup, setup["frames"]["honest"], lambda tiles: tiles.pop())
    report = _check(setup, claim.model_copy(update={"tile_count": 8}), tmp_path)
    assert not report.passed and "exactly the assigned tiles 0..7" in report.reason


def test_a_wrong_seed_fails_even_on_quiet_patches_that_psnr_alone_would_pass(
    setup: Setup, tmp_path: Path
) -> None:
    manifest: RenderManifest = setup["manifest"]
    params = manifest.verification
    report = _check(setup, _publish(setup, setup["frames"]["wrong_seed"]), tmp_path)
    quiet = [
        p
        for p in report.patches
        if not p.passed
        and p.psnr_db is not None
        and p.psnr_db >= params.psnr_threshold_db
        and p.max_error is not None
        and p.max_error <= params.max_error
    ]
    assert quiet  # caught only by the share of pixels that differ
    assert all(
        p.differing_fraction is not None and p.differing_fraction > params.max_differing_fraction
        for p in quiet
    )
    assert all("of pixels differ by more than" in p.reason for p in quiet)


# ---- blind verification: evidence rendered before the reveal, judged after it, render-free


def _render_blind(setup: Setup, claim: Claim, tmp_path: Path) -> Evidence:
    """What a drawn verifier renders: the claim as the chain holds it before the reveal."""
    blind = claim.model_copy(update={"results_cid": ""})
    with BlenderChild() as child:
        return render_evidence(blind, setup["ipfs"], tmp_path / "render", child)


def test_evidence_rendered_before_the_reveal_judges_the_revealed_tiles(
    setup: Setup, tmp_path: Path
) -> None:
    ipfs: KuboClient = setup["ipfs"]
    honest = _publish(setup, setup["frames"]["honest"])
    evidence = _render_blind(setup, honest, tmp_path)
    assert honest.results_cid not in evidence.model_dump_json()  # it never saw the list
    unrevealed = judge_evidence(honest.model_copy(update={"results_cid": ""}), evidence, ipfs,
                                tmp_path / "early")  # fmt: skip
    assert not unrevealed.passed and "not revealed" in unrevealed.reason
    # Published and read back, as the verifier does after a restart and anyone does to recheck.
    again = load_evidence(ipfs, evidence.publish(ipfs))
    report = judge_evidence(honest, again, ipfs, tmp_path / "judge")
    assert report.passed and report.evidence_ok, report.reason
    assert len(report.patches) == 48 and all(p.psnr_db == float("inf") for p in report.patches)

    faked = _cheats(setup["frames"], setup["manifest"])["ten_percent_faked"]
    cheat = _publish(setup, faked)
    report = judge_evidence(cheat, _render_blind(setup, cheat, tmp_path), ipfs, tmp_path / "c")
    assert not report.passed and report.evidence_ok
    assert "patches differ from the re-render" in report.reason


def test_evidence_on_other_results_or_another_seed_is_no_evidence(
    setup: Setup, tmp_path: Path
) -> None:
    ipfs: KuboClient = setup["ipfs"]
    claim = _publish(setup, setup["frames"]["honest"])
    evidence = _render_blind(setup, claim, tmp_path)
    reseeded = claim.model_copy(update={"seed": "0x" + os.urandom(32).hex()})
    report = judge_evidence(reseeded, evidence, ipfs, tmp_path / "judge")
    assert not report.passed and not report.evidence_ok
    assert "names other results" in report.reason
    # The claim's names, but not every patch the seed selects (here: every patch there is).
    partial = evidence.model_copy(update={"patches": evidence.patches[:-1]})
    report = judge_evidence(claim, partial, ipfs, tmp_path / "judge")
    assert not report.passed and not report.evidence_ok
    assert "not the 48 the seed selects" in report.reason


def test_evidence_a_lazy_verifier_did_not_render_fails_honest_tiles(
    setup: Setup, tmp_path: Path
) -> None:
    """The seed's patches, flat grey instead of rendered: usable evidence, and it gives a fail,
    so a pass that names it contradicts it."""
    ipfs: KuboClient = setup["ipfs"]
    manifest: RenderManifest = setup["manifest"]
    claim = _publish(setup, setup["frames"]["honest"])
    patches = []
    for i, choice in enumerate(select_patches(claim.seed_bytes(), manifest, claim.assigned())):
        flat = np.full((choice.rect.height, choice.rect.width, 4), 0.37, dtype=np.float32)
        flat[..., 3] = 1.0
        path = write_exr(tmp_path / f"flat-{i}.exr", flat)
        patches.append(EvidencePatch(choice=choice, render_cid=ipfs.add_file(path)))
    lazy = Evidence(
        job_id=claim.job_id, worker=claim.worker, manifest_cid=claim.manifest_cid,
        merkle_root=claim.merkle_root, first_tile=claim.first_tile,
        tile_count=claim.tile_count, seed=claim.seed, patches=patches,
    )  # fmt: skip
    report = judge_evidence(claim, lazy, ipfs, tmp_path / "judge")
    assert report.evidence_ok and not report.passed
    # A patch whose bytes are no image: the evidence is unusable.
    broken = lazy.model_copy(deep=True)
    broken.patches[0].render_cid = ipfs.add_bytes(b"not an EXR")
    report = judge_evidence(claim, broken, ipfs, tmp_path / "broken")
    assert not report.passed and not report.evidence_ok and "unusable" in report.reason


def test_a_check_reads_the_manifest_from_the_source_it_is_given(
    setup: Setup, tmp_path: Path
) -> None:
    # The worker passes its manifest cache: rendering and judging ask it, never IPFS itself.
    asked: list[str] = []

    def cached(cid: str) -> RenderManifest:
        asked.append(cid)
        return setup["manifest"]

    claim = _publish(setup, setup["frames"]["honest"])
    with BlenderChild() as child:
        report, _evidence = check_results(claim, setup["ipfs"], tmp_path, child, manifest_of=cached)
    assert report.passed, report.reason
    assert asked == [claim.manifest_cid, claim.manifest_cid]
