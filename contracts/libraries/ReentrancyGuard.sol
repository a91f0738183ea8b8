// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ReentrancyGuard
/// @notice A reentrancy lock in transient storage (EIP-1153, cancun): it costs a few hundred gas
/// instead of two storage writes and is cleared at the end of every transaction by the EVM itself.
abstract contract ReentrancyGuard {
    /// @notice A guarded function was entered again before it returned.
    error ReentrancyGuardReentrantCall();

    // keccak256("tilefarm.ReentrancyGuard.locked")
    bytes32 private constant _LOCK_SLOT = 0x9a588dc95338a8332aff97308d425aa18e9e696affddcbb36831bf80fb04b13a;

    modifier nonReentrant() {
        uint256 locked;
        assembly ("memory-safe") {
            locked := tload(_LOCK_SLOT)
        }
        if (locked != 0) revert ReentrancyGuardReentrantCall();
        assembly ("memory-safe") {
            tstore(_LOCK_SLOT, 1)
        }
        _;
        assembly ("memory-safe") {
            tstore(_LOCK_SLOT, 0)
        }
    }
}
