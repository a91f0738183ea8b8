// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title MerkleProof
/// @notice Proofs over a worker's result tree. A leaf is `keccak256(abi.encode(tileIndex,
/// tileCidDigest, pixelHash))` (96 bytes hashed) and an inner node hashes its two children in
/// ascending order (`keccak256(abi.encode(min, max))`, 64 bytes hashed), so a proof is just the
/// list of siblings and leaves can never be confused with inner nodes.
library MerkleProof {
    /// @notice The leaf committed for one tile.
    function tileLeaf(uint256 tileIndex, bytes32 tileCidDigest, bytes32 pixelHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(tileIndex, tileCidDigest, pixelHash));
    }

    /// @notice Whether `leaf` is in the tree whose root is `root`, given the sibling path `proof`.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) internal pure returns (bool) {
        bytes32 node = leaf;
        for (uint256 i; i < proof.length; ++i) {
            bytes32 sibling = proof[i];
            node = node < sibling
                ? keccak256(abi.encode(node, sibling))
                : keccak256(abi.encode(sibling, node));
        }
        return node == root;
    }
}
