"""The worker's result tree: every tile provable under one root, nothing else."""

import pytest
from eth_hash.auto import keccak

from tilefarm.merkle import MerkleError, merkle_proof, merkle_root, tile_leaf, verify_proof


def _leaves(n: int) -> list[bytes]:
    return [tile_leaf(i, keccak(b"cid%d" % i), keccak(b"px%d" % i)) for i in range(n)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_every_tile_is_provable_under_the_root(count: int) -> None:
    leaves = _leaves(count)
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        assert verify_proof(merkle_proof(leaves, index), root, leaf)


def test_a_single_tile_is_its_own_root() -> None:
    (leaf,) = _leaves(1)
    assert merkle_root([leaf]) == leaf
    assert merkle_proof([leaf], 0) == []


def test_a_tampered_pixel_hash_does_not_prove() -> None:
    leaves = _leaves(9)
    root = merkle_root(leaves)
    forged = tile_leaf(4, keccak(b"cid4"), keccak(b"other pixels"))
    assert not verify_proof(merkle_proof(leaves, 4), root, forged)


def test_a_leaf_cannot_be_claimed_at_another_tile_index() -> None:
    leaves = _leaves(8)
    root = merkle_root(leaves)
    moved = tile_leaf(5, keccak(b"cid4"), keccak(b"px4"))
    assert not verify_proof(merkle_proof(leaves, 4), root, moved)


def test_the_leaf_is_the_abi_encoding_the_contract_hashes() -> None:
    digest, pixels = bytes(range(32)), bytes(range(32, 64))
    expected = keccak((7).to_bytes(32, "big") + digest + pixels)
    assert tile_leaf(7, digest, pixels) == expected


def test_bad_inputs_are_refused_with_a_reason() -> None:
    with pytest.raises(MerkleError, match="at least one leaf"):
        merkle_root([])
    with pytest.raises(MerkleError, match="pixel hash must be 32 bytes"):
        tile_leaf(0, bytes(32), b"short")
    with pytest.raises(MerkleError, match="outside a tree of 3"):
        merkle_proof(_leaves(3), 3)
