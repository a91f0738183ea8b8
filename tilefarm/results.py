"""What a worker commits to and reveals: its results list (every tile's CID and pixel hash,
whose Merkle root it commits on chain), the commitment as the chain records it, and a claim (the
commitment with the seed of its verifier draw)."""

from pydantic import BaseModel

from tilefarm.cids import cid_digest
from tilefarm.merkle import merkle_root, tile_leaf
from tilefarm.types import Hex32, hex32_bytes

MAX_RESULTS_BYTES = 8 << 20
MAX_TILE_BYTES = 512 << 20


class ResultTile(BaseModel):
    index: int
    cid: str
    pixel_hash: str


class ResultsList(BaseModel):
    """Every tile's CID and pixel hash, published by the worker and revealed on chain."""

    job_id: int
    worker: str
    manifest_cid: str
    tiles: list[ResultTile]

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
