"""Which small patches of a worker's tiles a verifier re-renders: a deterministic choice from the
on-chain seed that anyone can recompute.

The seed is the `seed` of the contract's `VerifierDrawn` event: `keccak256(blockhash(anchor),
jobId, worker, round)` of a block mined after the worker committed, so the worker could not know
which pixels would be checked. From it, a keccak-based stream (`keccak256(seed ‖ DOMAIN ‖ n)`,
n = 0, 1, ...; unbiased integers by rejection) makes every choice below:

1. the worker's tiles are shuffled (Fisher-Yates), and patches are dealt to them round-robin, so
   `count` patches fall on `min(count, tiles)` distinct tiles: faking whole tiles cannot hide
   between two checks of one tile;
2. inside a tile, a patch position is drawn uniformly from the tile's patch grid
   (`tilefarm.tiles.patches_in_tile`), without repeating a position.

With faking of a fraction `f` of the worker's pixels, each patch lands on faked pixels with
probability about `f` or more, so `count = patches_for(f, confidence)` patches miss it with
probability at most `(1 - f) ** count`; 44 patches catch 10% faked pixels 99% of the time.
"""

import math
from collections.abc import Iterator, Sequence

from eth_hash.auto import keccak
from pydantic import BaseModel, ConfigDict

from tilefarm.errors import TilefarmError
from tilefarm.job_tiles import JobTile, locate
from tilefarm.manifest import RenderManifest
from tilefarm.tiles import Rect, patches_in_tile

DOMAIN = b"tilefarm/patches/v1"


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
    taken: dict[int, set[int]] = {t: set() for t in order}
    choices: list[PatchChoice] = []
    for t in _round_robin(order, grids, taken):
        if len(choices) == wanted:
            break
        free = [i for i in range(len(grids[t])) if i not in taken[t]]
        pick = free[stream.below(len(free))]
        taken[t].add(pick)
        tile = located[t]
        choices.append(
            PatchChoice(job_tile=t, frame=tile.frame, tile=tile.tile, rect=grids[t][pick])
        )
    return choices


def _round_robin(
    order: list[int], grids: dict[int, list[Rect]], taken: dict[int, set[int]]
) -> Iterator[int]:
    while True:
        progressed = False
        for t in order:
            if len(taken[t]) < len(grids[t]):
                progressed = True
                yield t
        if not progressed:
            return
