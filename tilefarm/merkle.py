"""The Merkle tree a worker commits to on chain: one root over all of its tiles of a job.

It mirrors OpenZeppelin's `MerkleProof` (sorted pairs), which
`contracts/market/ResultVerification.sol` checks proofs with, exactly:
- a leaf is `keccak256(abi.encode(uint256 tileIndex, bytes32 tileCidDigest, bytes32 pixelHash))`;
- an inner node is `keccak256(abi.encode(min(a, b), max(a, b)))` (children sorted, 64 bytes), so a
  proof is only the list of siblings, and a 96-byte leaf preimage can never pass for a node;
- leaves are taken in the order given (the worker's tiles, ascending), an odd node at the end of a
  level moves up unchanged.
"""

from collections.abc import Sequence

from eth_hash.auto import keccak

from tilefarm.errors import TilefarmError


class MerkleError(TilefarmError, ValueError):
    """A tree or proof that cannot be built from the input."""


def _word(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise MerkleError(f"{what} must be 32 bytes, got {len(value)}")
    return value


def tile_leaf(tile_index: int, tile_cid_digest: bytes, pixel_hash: bytes) -> bytes:
    """The leaf committed for one tile."""
    if not 0 <= tile_index < 2**256:
        raise MerkleError(f"tile index {tile_index} is not a uint256")
    return keccak(
        tile_index.to_bytes(32, "big")
        + _word(tile_cid_digest, "tile CID digest")
        + _word(pixel_hash, "pixel hash")
    )


def _parent(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise MerkleError("a Merkle tree needs at least one leaf")
    level = [_word(leaf, "leaf") for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        level = [
            _parent(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
        levels.append(level)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over `leaves`, in order."""
    return _levels(leaves)[-1][0]


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling path proving `leaves[index]` under `merkle_root(leaves)`."""
    levels = _levels(leaves)
    if not 0 <= index < len(leaves):
        raise MerkleError(f"leaf {index} is outside a tree of {len(leaves)} leaves")
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """Whether `leaf` is under `root` by `proof` (what the contract checks)."""
    node = leaf
    for sibling in proof:
        node = _parent(node, sibling)
    return node == root
