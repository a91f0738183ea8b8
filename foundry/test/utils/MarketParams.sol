// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";

/// @title MarketParams
/// @notice The deployment every campaign runs against (the values of tests/contracts/helpers.py
/// where both have them) and the shape of the jobs its handler posts.
library MarketParams {
    uint96 internal constant MIN_STAKE = 1 ether;
    uint96 internal constant DISPUTE_BOND = 0.1 ether;
    uint32 internal constant UNSTAKE_DELAY = 14 days;
    uint8 internal constant DRAW_DELAY = 2;
    uint16 internal constant FEE_BPS = 100;

    uint32 internal constant BID_WINDOW = 1200;
    uint32 internal constant REVEAL_WINDOW = 1200;
    uint32 internal constant RENDER_WINDOW = 7200;
    uint32 internal constant VERIFY_WINDOW = 3600;
    /// @dev Longer than every window of a job (a dispute lasts three verify windows: two to seal
    /// votes, one to reveal them), so one step past it closes any of them.
    uint256 internal constant LONGEST_WINDOW = 4 * 3600;

    function config(address treasury) internal pure returns (IMarketTypes.MarketConfig memory) {
        return IMarketTypes.MarketConfig({
            treasury: treasury,
            protocolFeeBps: FEE_BPS,
            minStake: MIN_STAKE,
            unstakeDelay: UNSTAKE_DELAY,
            drawDelay: DRAW_DELAY,
            disputeBond: DISPUTE_BOND,
            fraudSlashBps: 5_000,
            lateSlashBps: 1_000,
            falseAccusationSlashBps: 2_500,
            silenceSlashBps: 500,
            collateralBps: 10_000,
            bidBondBps: 100,
            drawBountyBps: 500
        });
    }
}
