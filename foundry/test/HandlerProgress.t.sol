// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";

/// @title HandlerProgress
/// @notice Guards the campaign against passing vacuously: if the market's rules drift from what the
/// handler assumes (a commitment formula, a window, a state), the invariants would still hold on a
/// market where nothing ever happens. Driven by fixed seeds through a few fresh markets, the handler
/// must post, assign, pay, reject and resolve disputes, and most of its market calls must succeed.
contract HandlerProgress is Test {
    uint256 private constant MARKETS = 6;
    uint256 private constant STEPS = 300;

    function test_handlerDrivesJobsThroughEveryOutcome() public {
        uint256[6] memory total;
        for (uint256 m; m < MARKETS; ++m) {
            MarketHandler handler = new MarketHandler();
            for (uint256 i; i < STEPS; ++i) {
                uint256 seed = uint256(keccak256(abi.encode(m, i)));
                if (i % 25 == 0) handler.postJob(seed, seed >> 8, seed >> 16, seed >> 24);
                else handler.advanceJob(seed, seed >> 128);
            }
            handler.finishAll();
            total[0] += handler.seatsAssigned();
            total[1] += handler.seatsPaid();
            total[2] += handler.seatsRejected();
            total[3] += handler.disputesResolved();
            total[4] += handler.marketCalls();
            total[5] += handler.marketReverts();
        }
        assertGt(total[0], 0, "progress: no tile was ever assigned");
        assertGt(total[1], 0, "progress: no seat was ever paid");
        assertGt(total[2], 0, "progress: no results were ever rejected");
        assertGt(total[3], 0, "progress: no dispute was ever resolved");
        assertLt(total[5] * 2, total[4], "progress: most market calls reverted");
        emit log_named_uint("seats assigned", total[0]);
        emit log_named_uint("seats paid", total[1]);
        emit log_named_uint("seats rejected", total[2]);
        emit log_named_uint("disputes resolved", total[3]);
        emit log_named_uint("market calls", total[4]);
        emit log_named_uint("market reverts", total[5]);
    }
}
