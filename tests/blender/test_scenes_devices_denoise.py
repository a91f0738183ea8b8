"""Built-in scenes, device enumeration and whole-frame denoising through the child."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render_worker.work import benchmark_scene
from tilefarm.adapters.blender import BlenderChild, RenderEngineError
from tilefarm.colour import ColourManagement
from tilefarm.pixels import compare_pixels, read_exr, write_exr
from tilefarm.stitch import linear_to_srgb8, stitch_files
from tilefarm_cli.scenes import BUILDER, build_builtin_scene

from .conftest import tiny_manifest

pytestmark = pytest.mark.blender


def test_tiny_scene_has_a_camera_two_frames_and_cycles(spare_child: BlenderChild, tiny_blend: Path):
    info = spare_child.inspect(tiny_blend)
    assert (info.camera, info.frame_start, info.frame_end, info.engine) == (
        "Camera",
        1,
        2,
        "CYCLES",
    )
    assert (info.width, info.height) == (64, 48)


def test_demo_and_benchmark_scenes_build_in_a_reused_child(
    spare_child: BlenderChild, tmp_path: Path
):
    demo = build_builtin_scene("demo", tmp_path / "demo.blend", child=spare_child)
    bench = tmp_path / "bench.blend"
    spare_child.build_scene(benchmark_scene.BUILDER, benchmark_scene.NAME, bench)
    demo_info = spare_child.inspect(demo)
    assert demo_info.frame_end - demo_info.frame_start + 1 == 12 and demo_info.camera
    assert spare_child.inspect(bench).width == 256


def test_unknown_builtin_scene_is_a_clear_error(spare_child: BlenderChild, tmp_path: Path):
    with pytest.raises(ValueError, match="unknown built-in scene"):
        build_builtin_scene("nope", tmp_path / "x.blend")
    with pytest.raises(RenderEngineError, match="unknown built-in scene"):
        spare_child.build_scene(BUILDER, "nope", tmp_path / "x.blend")


def test_devices_lists_at_least_the_cpu(spare_child: BlenderChild):
    devices = spare_child.list_devices()
    assert any(d.type == "CPU" and d.name for d in devices)


def test_denoise_runs_on_the_whole_stitched_frame(tiny_blend: Path, tmp_path: Path):
    with BlenderChild() as child:
        child.open(tiny_blend, tiny_manifest(samples=4))
        tiles = child.render_tiles(1, None, tmp_path / "tiles")
        noisy = stitch_files([(t.rect, t.path) for t in tiles], 64, 48)
        frame = write_exr(tmp_path / "frame.exr", noisy)
        denoised_path = child.denoise(frame, tmp_path / "denoised.exr")
    denoised = read_exr(denoised_path)
    assert denoised.shape == noisy.shape
    assert not np.array_equal(denoised, noisy)
    # Denoising smooths noise, it does not replace the picture.
    assert 20 < compare_pixels(noisy, denoised).psnr_db < 80


def test_png_preview_follows_the_manifests_colour_management(tiny_blend: Path, tmp_path: Path):
    manifest = tiny_manifest()
    with BlenderChild() as child:
        child.open(tiny_blend, manifest)
        frame = child.render_frame(1, tmp_path)
        standard = child.preview(frame.path, tmp_path / "standard.png", ColourManagement())
        agx = child.preview(
            frame.path, tmp_path / "agx.png", ColourManagement(view_transform="AgX")
        )
    ours = linear_to_srgb8(read_exr(frame.path)).astype(int)
    with Image.open(standard) as img:
        blender_standard = np.asarray(img).astype(int)
    with Image.open(agx) as img:
        blender_agx = np.asarray(img).astype(int)
    # Blender's Standard view is the sRGB encode we do without Blender (to within rounding)...
    assert np.abs(blender_standard - ours).max() <= 1
    # ...while AgX is a different picture, which only Blender can make.
    assert np.abs(blender_agx - ours).mean() > 2
