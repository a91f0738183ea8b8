// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title Clock
/// @notice Moves time and blocks forward only. Forge's test chain answers `blockhash` for any past
/// block; a real chain forgets hashes older than 256 blocks, and the market's draws depend on that,
/// so mining forgets the anchor hashes that have fallen out of the window.
abstract contract Clock is HandlerBase {
    uint256 internal constant SECONDS_PER_BLOCK = 12;
    uint256 internal constant HASH_WINDOW = 256;

    function _warpTo(uint256 timestamp) internal {
        if (timestamp > block.timestamp) vm.warp(timestamp);
    }

    function _warpBy(uint256 secs) internal {
        vm.warp(block.timestamp + secs);
    }

    function _mine(uint256 blocks) internal {
        vm.roll(block.number + blocks);
        vm.warp(block.timestamp + blocks * SECONDS_PER_BLOCK);
        if (block.number > HASH_WINDOW + 1) _forgetOldHashes(block.number - HASH_WINDOW);
    }

    /// @dev Mines up to just past `anchorBlock`, so that its hash can seed a draw.
    function _mineUntilPast(uint256 anchorBlock) internal {
        if (block.number <= anchorBlock) _mine(anchorBlock + 1 - block.number);
    }

    /// @dev Forgets the hash of every undrawn anchor below `oldest`.
    function _forgetOldHashes(uint256 oldest) private {
        for (uint256 i; i < seats.length; ++i) {
            IMarketTypes.Seat memory s = market.seat(seats[i].jobId, seats[i].worker);
            if (s.state == IMarketTypes.SeatState.Submitted && s.anchorBlock != 0 && s.anchorBlock < oldest) {
                vm.setBlockhash(s.anchorBlock, bytes32(0));
            }
        }
        for (uint256 i; i < disputed.length; ++i) {
            IMarketTypes.Dispute memory d = market.dispute(disputed[i].jobId, disputed[i].worker);
            if (!d.drawn && d.anchorBlock != 0 && d.anchorBlock < oldest) vm.setBlockhash(d.anchorBlock, bytes32(0));
        }
    }
}
