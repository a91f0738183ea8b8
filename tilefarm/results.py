"""What a worker commits to and reveals: its results list (every tile's CID and pixel hash,
whose Merkle root it commits on chain), the commitment as the chain records it, and a claim (the
commitment with the seed of its verifier draw)."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from tilefarm.cids import cid_digest
from tilefarm.hardware import BackendClass, RenderedOn
from tilefarm.merkle import merkle_root, tile_leaf
from tilefarm.types import Hex32, hex32_bytes

MAX_RESULTS_BYTES = 8 << 20
MAX_TILE_BYTES = 512 << 20


class ResultTile(BaseModel):
    index: int
    cid: str
    pixel_hash: str
    # Which of the list's `devices` rendered it; None in lists that do not say (read as the CPU).
    device: int | None = None


class ResultsList(BaseModel):
    """Every tile's CID and pixel hash, published by the worker and revealed on chain, and the
    machines they were rendered on (not part of the Merkle leaves: what the worker says of its
    own machine decides only which thresholds judge the tile, `tilefarm.envelope`)."""

    job_id: int
    worker: str
    manifest_cid: str
    tiles: list[ResultTile]
    devices: Annotated[list[RenderedOn], Field(max_length=64)] = []

    @model_validator(mode="after")
    def _devices_named(self) -> ResultsList:
        for t in self.tiles:
            if t.device is not None and not 0 <= t.device < len(self.devices):
                raise ValueError(f"tile {t.index} names device {t.device}, not in `devices`")
        return self

    @cached_property
    def _device_of(self) -> dict[int, int]:
        """Job tile -> its index in `devices`, built once: the judge and the audit ask per tile."""
        return {t.index: t.device for t in self.tiles if t.device is not None}

    def rendered_on(self, index: int) -> RenderedOn | None:
        """What rendered job tile `index` (None when the list does not say)."""
        device = self._device_of.get(index)
        return None if device is None else self.devices[device]

    def backend_of(self, index: int) -> BackendClass:
        """The backend class that rendered job tile `index` (the CPU when unsaid)."""
        on = self.rendered_on(index)
        return "CPU" if on is None else on.backend

    def leaves(self) -> list[bytes]:
        return [
            tile_leaf(t.index, cid_digest(t.cid), bytes.fromhex(t.pixel_hash)) for t in self.tiles
        ]

    def root(self) -> bytes:
        return merkle_root(self.leaves())


class Commitment(BaseModel):
    """What one worker committed on chain: its tile range of the job and the Merkle root of its
    results list. `results_cid` is empty until the worker revealed the list."""

    job_id: int
    worker: str
    manifest_cid: str
    results_cid: str = ""
    merkle_root: Hex32
    first_tile: int
    tile_count: int

    def assigned(self) -> list[int]:
        return list(range(self.first_tile, self.first_tile + self.tile_count))


class Claim(Commitment):
    """A commitment with the seed of its verifier draw: the verifier renders its evidence from
    this alone, before the results list is revealed."""

    seed: Hex32

    def seed_bytes(self) -> bytes:
        return hex32_bytes(self.seed)
