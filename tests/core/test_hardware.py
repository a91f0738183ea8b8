"""What a job requires of a worker's hardware, and what a results list says each tile ran on."""

import pytest
from pydantic import ValidationError

from tilefarm.hardware import Hardware, RenderedOn, Requirements
from tilefarm.manifest import ManifestError, build_manifest
from tilefarm.results import ResultsList, ResultTile

CPU = Hardware(backend="CPU")
SMALL_CARD = Hardware(backend="CUDA", vram_mib=4096)
BIG_CARD = Hardware(backend="OPTIX", vram_mib=24576)
SCENE = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def test_a_job_that_asks_for_nothing_can_be_rendered_by_any_worker():
    for hardware in (CPU, SMALL_CARD, BIG_CARD):
        assert Requirements().unmet_by(hardware) == ""


def test_a_job_that_requires_a_gpu_is_refused_by_a_cpu_worker_with_the_reason():
    needs = Requirements(backend="GPU")
    assert needs.unmet_by(CPU) == "the job requires a GPU and this worker renders on the CPU"
    assert needs.unmet_by(SMALL_CARD) == ""


def test_a_job_that_names_a_backend_is_refused_by_workers_of_another():
    needs = Requirements(backend="OPTIX")
    assert needs.unmet_by(SMALL_CARD) == "the job requires OPTIX and this worker renders on CUDA"
    assert needs.unmet_by(BIG_CARD) == ""


def test_a_card_with_too_little_memory_is_refused_and_the_reason_names_both_sizes():
    needs = Requirements(backend="GPU", min_vram_mib=12288)
    assert needs.unmet_by(SMALL_CARD) == (
        "the job needs 12,288 MiB of GPU memory and this worker's CUDA device has 4,096 MiB"
    )
    assert needs.unmet_by(BIG_CARD) == ""


def test_a_memory_minimum_binds_gpus_only_a_cpu_renders_from_host_memory():
    assert Requirements(min_vram_mib=12288).unmet_by(CPU) == ""


def test_a_manifest_carries_its_requirements_and_refuses_bad_ones_by_field():
    m = build_manifest(
        scene_cid=SCENE, frames=[1], resolution={"width": 64, "height": 64},
        tile_grid={"columns": 2, "rows": 2}, samples=4,
        requirements={"backend": "GPU", "min_vram_mib": 8192, "cpu_fallback": False},
    )  # fmt: skip
    assert m.requirements == Requirements(backend="GPU", min_vram_mib=8192, cpu_fallback=False)
    with pytest.raises(ManifestError, match=r"requirements\.backend"):
        build_manifest(
            scene_cid=SCENE, frames=[1], resolution={"width": 64, "height": 64},
            tile_grid={"columns": 2, "rows": 2}, samples=4, requirements={"backend": "TPU"},
        )  # fmt: skip
    with pytest.raises(ManifestError, match=r"requirements\.min_vram_mib"):
        build_manifest(
            scene_cid=SCENE, frames=[1], resolution={"width": 64, "height": 64},
            tile_grid={"columns": 2, "rows": 2}, samples=4, requirements={"min_vram_mib": -1},
        )  # fmt: skip


def _results(**kw):
    tiles = [ResultTile(index=i, cid=SCENE, pixel_hash="00" * 32, device=d)
             for i, d in enumerate(kw.pop("devices_of", [None, None]))]  # fmt: skip
    return ResultsList(job_id=1, worker="0x" + "11" * 20, manifest_cid=SCENE, tiles=tiles, **kw)


def test_a_results_list_says_which_device_rendered_each_tile():
    gpu = RenderedOn(backend="CUDA", device="NVIDIA H100", driver="550.54", blender="5.0.1")
    cpu = RenderedOn(backend="CPU", device="AMD EPYC", blender="5.0.1")
    results = _results(devices=[gpu, cpu], devices_of=[0, 1])
    assert results.rendered_on(0) == gpu and results.backend_of(0) == "CUDA"
    assert results.backend_of(1) == "CPU"


def test_a_results_list_that_does_not_say_reads_as_rendered_on_the_cpu():
    results = _results()
    assert results.rendered_on(0) is None
    assert results.backend_of(0) == "CPU"


def test_a_tile_naming_a_device_the_list_does_not_have_is_refused():
    with pytest.raises(ValidationError, match="tile 1 names device 3"):
        _results(devices=[RenderedOn(backend="CPU")], devices_of=[0, 3])


def test_a_job_that_requires_the_cpu_refuses_tiles_said_to_come_from_a_gpu():
    needs = Requirements(backend="CPU")
    assert needs.refuses_claim("CPU") == ""
    said = needs.refuses_claim("CUDA")
    assert said == "the job requires the CPU and the tile says CUDA rendered it"


def test_a_gpu_only_job_without_cpu_fallback_refuses_tiles_said_to_come_from_a_cpu():
    strict = Requirements(backend="GPU", cpu_fallback=False)
    assert strict.refuses_claim("CPU") == "the job requires GPU and allows no CPU render"
    assert strict.refuses_claim("OPTIX") == ""
    assert Requirements(backend="GPU").refuses_claim("CPU") == ""  # a fallback it allows


def test_a_job_that_names_a_backend_refuses_tiles_said_to_come_from_another_gpu():
    needs = Requirements(backend="OPTIX")
    said = needs.refuses_claim("CUDA")
    assert said == "the job requires OPTIX and the tile says CUDA rendered it"
    assert needs.refuses_claim("OPTIX") == ""


def test_a_device_record_that_says_more_than_this_version_knows_is_still_read():
    on = RenderedOn.model_validate({"backend": "CPU", "device": "EPYC", "cpu_kernel": "AVX2"})
    assert on == RenderedOn(backend="CPU", device="EPYC")


def test_a_job_open_to_any_backend_always_allows_the_cpu_a_gpu_job_only_with_its_fallback():
    assert Requirements(backend="ANY", cpu_fallback=False).allows_cpu
    assert Requirements(backend="CPU").allows_cpu and Requirements(backend="CPU").cpu_only
    assert Requirements(backend="GPU").allows_cpu
    assert not Requirements(backend="GPU", cpu_fallback=False).allows_cpu
    assert not Requirements(backend="CUDA", cpu_fallback=False).allows_cpu
