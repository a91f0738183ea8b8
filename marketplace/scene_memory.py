"""The GPU memory a scene suggests its job require (`ScenePublic.min_vram_mib`): what the intake's
Blender child estimated the scene needs (`SceneMemory`: textures and geometry, an estimate, not a
promise), with room to spare, plus what Cycles needs of its own to render it."""

import math

from tilefarm.adapters.blender.protocol import SceneInfo
from tilefarm.hardware import MAX_VRAM_MIB

MIB = 1 << 20
# The estimate counts the scene's data only; Cycles' device copies carry more (attribute padding,
# the BVH's build peak, light and shader tables, image tiles in flight): half as much again.
SAFETY_FACTOR = 1.5
# Cycles' own working memory on a GPU, whatever the scene: the compiled kernels, the device
# context and the integrator's per-path state.
CYCLES_WORKING_MIB = 512
# A frame's render buffers (combined, denoising albedo and normal, sample count: float4 each).
FILM_BYTES_PER_PIXEL = 64
# Suggestions are whole quarters of a GiB.
ROUND_MIB = 256


def suggested_min_vram_mib(info: SceneInfo) -> int:
    """The least GPU memory, in MiB, to require of a job of this scene: the estimate times
    `SAFETY_FACTOR`, plus Cycles' working memory and the frame's buffers, rounded up to
    `ROUND_MIB`, saturating at `MAX_VRAM_MIB` (the most a requirement may name). 0 means
    nothing is known (a scene read before estimates were made)."""
    if info.memory is None:
        return 0
    scale = info.resolution_percentage / 100
    pixels = max(1, round(info.width * scale)) * max(1, round(info.height * scale))
    # Each figure is at most 2^53 (`SceneMemory` saturates them), so this stays a finite float.
    scene = info.memory.textures_bytes + info.memory.geometry_bytes
    need = scene * SAFETY_FACTOR + CYCLES_WORKING_MIB * MIB + pixels * FILM_BYTES_PER_PIXEL
    return min(math.ceil(need / (ROUND_MIB * MIB)) * ROUND_MIB, MAX_VRAM_MIB)
