// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title MarketMath
/// @notice The few formulas a bidder must compute off chain, as the market defines them
/// (contracts/market/SealedBidding.sol, JobEscrow.sol): the market exposes no view for them.
library MarketMath {
    uint256 internal constant BPS = 10_000;

    /// @notice The sealed-bid commitment `commitBid` takes and `revealBid` checks.
    function commitment(uint256 jobId, address bidder, uint96 price, uint16 tiles, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(price, tiles, salt, bidder, jobId));
    }

    /// @notice The order `settle` checks: price in the high bits, a hash of the job's tie seed and
    /// the bidder in the low 160.
    function rankKey(uint256 tieSeed, address bidder, uint256 price) internal pure returns (uint256) {
        return (price << 160) | uint160(uint256(keccak256(abi.encode(tieSeed, bidder))));
    }

    /// @notice The least bid bond a job may ask: `bidBondBps` of its maximum value, never zero.
    function minBidBond(uint256 tiles, uint256 maxPrice, uint256 bidBondBps) internal pure returns (uint256) {
        uint256 bond = tiles * maxPrice * bidBondBps / BPS;
        return bond == 0 ? 1 : bond;
    }
}
