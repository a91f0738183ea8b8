"""Which small patches of a worker's tiles a verifier re-renders: a deterministic choice from the
on-chain seed that anyone can recompute.

The seed is the `seed` of the contract's `VerifierDrawn` event: `keccak256(blockhash(anchor),
jobId, worker, round)` of a block mined after the worker committed, so the worker could not know
which pixels would be checked. From it, a keccak-based stream (`keccak256(seed ‖ DOMAIN ‖ n)`,
n = 0, 1, ...; unbiased integers by rejection) makes every choice below:

1. the worker's tiles are shuffled (Fisher-Yates), and `count` patches are dealt to them
   round-robin (a tile whose patch positions are used up is skipped), so they fall on
   `min(count, tiles)` distinct tiles: faking whole tiles cannot hide between two checks of one
   tile;
2. a tile dealt `k` patches has its patch grid (`tilefarm.tiles.patches_in_tile`, row-major)
   cut into `k` consecutive bands of positions (band `j` holds positions `j*G//k` up to
   `(j+1)*G//k`, G positions in all), and one position is drawn uniformly in each band, in band
   order, tile by tile in the shuffled order. The patches of a tile are so spread over its height:
   a faked part of a tile escapes all of them less often than independent positions would let it
   (2000 jobs of bench/fraud.py's cheat that renders 10% of the frame, one block, at a quarter
   of the samples, 48 patches: 0.3% escaped with independent positions, 0.1% with bands).

With faking of a fraction `f` of the worker's pixels, each patch lands on faked pixels with
probability about `f`, so `count = patches_for(f, confidence)` patches miss it with probability
about `(1 - f) ** count` or less; 44 patches catch 10% faked pixels 99% of the time. Whether a
patch that lands there notices is `tilefarm.patch_judge`'s part.
"""

import math
from collections.abc import Sequence

from eth_hash.auto import keccak
from pydantic import BaseModel, ConfigDict

from tilefarm.errors import TilefarmError
from tilefarm.job_tiles import JobTile, locate
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import Rect, patches_in_tile

DOMAIN = b"tilefarm/patches/v2"


class PatchSelectionError(TilefarmError, ValueError):
    """The selection cannot be made from these inputs."""


class PatchChoice(BaseModel):
    """One patch to check: a rectangle in frame coordinates inside one of the worker's tiles."""

    model_config = ConfigDict(frozen=True)

    job_tile: int
    frame: int
    tile: int
    rect: Rect


def patches_for(faked_fraction: float, confidence: float) -> int:
    """Patches needed so that faking `faked_fraction` of the pixels is caught with `confidence`."""
    if not 0 < faked_fraction < 1 or not 0 < confidence < 1:
        raise PatchSelectionError("the faked fraction and the confidence must lie in (0, 1)")
    return math.ceil(math.log(1 - confidence) / math.log(1 - faked_fraction))


class _Stream:
    """Unbiased integers from keccak256(seed ‖ DOMAIN ‖ counter)."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise PatchSelectionError(f"the seed must be 32 bytes, got {len(seed)}")
        self._seed = seed
        self._counter = 0

    def _word(self) -> int:
        block = keccak(self._seed + DOMAIN + self._counter.to_bytes(32, "big"))
        self._counter += 1
        return int.from_bytes(block, "big")

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound)."""
        if bound <= 0:
            raise PatchSelectionError(f"cannot draw below {bound}")
        limit = (1 << 256) - (1 << 256) % bound
        while True:
            word = self._word()
            if word < limit:
                return word % bound


def _shuffled(items: Sequence[int], stream: _Stream) -> list[int]:
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = stream.below(i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def select_patches(
    seed: bytes,
    manifest: RenderManifest,
    job_tiles: Sequence[int],
    count: int | None = None,
) -> list[PatchChoice]:
    """The patches to check for a worker holding `job_tiles` (default count: the manifest's)."""
    if not job_tiles:
        raise PatchSelectionError("the worker holds no tiles to check")
    if len(set(job_tiles)) != len(job_tiles):
        raise PatchSelectionError("the worker's tiles repeat")
    wanted = manifest.verification.patch_count if count is None else count
    if wanted <= 0:
        raise PatchSelectionError(f"the patch count must be positive, got {wanted}")
    size = manifest.verification.patch_size
    rects = manifest.tiles()
    located: dict[int, JobTile] = {t: locate(manifest, t, rects) for t in sorted(job_tiles)}
    grids = {t: patches_in_tile(tile.rect, size) for t, tile in located.items()}
    capacity = sum(len(g) for g in grids.values())
    wanted = min(wanted, capacity)

    stream = _Stream(seed)
    order = _shuffled(sorted(job_tiles), stream)
    dealt = _deal(order, {t: len(g) for t, g in grids.items()}, wanted)
    choices: list[PatchChoice] = []
    for t in order:
        grid, k, tile = grids[t], dealt[t], located[t]
        for band in range(k):
            low, high = band * len(grid) // k, (band + 1) * len(grid) // k
            rect = grid[low + stream.below(high - low)]
            choices.append(PatchChoice(job_tile=t, frame=tile.frame, tile=tile.tile, rect=rect))
    return choices


def _deal(order: list[int], capacity: dict[int, int], wanted: int) -> dict[int, int]:
    """How many patches each tile gets: one at a time round-robin in `order`, skipping full tiles
    (`wanted` must not exceed the total capacity)."""
    dealt = dict.fromkeys(order, 0)
    remaining = wanted
    while remaining:
        for t in order:
            if remaining and dealt[t] < capacity[t]:
                dealt[t] += 1
                remaining -= 1
    return dealt
