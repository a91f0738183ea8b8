"""A worker's results list: what it reveals once its verifier has sealed the evidence (every
tile's CID and pixel hash; their Merkle root is what it committed)."""

from pydantic import BaseModel

from tilefarm.adapters.ipfs import cid_digest
from tilefarm.merkle import merkle_root, tile_leaf

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
