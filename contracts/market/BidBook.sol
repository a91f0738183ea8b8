// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISealedBidding} from "../interfaces/ISealedBidding.sol";
import {MarketStorage} from "./MarketStorage.sol";

/// @title BidBook
/// @notice How revealed bids rank and lose, shared by bidding ({SealedBidding}) and settling
/// ({Reoffering}), which run in two deployed contracts. Internal functions only.
abstract contract BidBook is MarketStorage {
    /// @dev A revealed bid that wins nothing: its collateral is unlocked.
    function _outbid(uint256 jobId, address bidder, Seat storage s) internal {
        _unlock(_accounts[bidder], _collateral(s.tileCount, s.pricePerTile));
        s.state = SeatState.Outbid;
        emit ISealedBidding.BidOutbid(jobId, bidder);
    }

    /// @dev Checks `ranked[i]` is a kept bid ranked strictly after the previous one.
    function _checkRank(uint256 jobId, uint256 seed, address[] calldata ranked, uint256 i, uint256 previousKey)
        internal
        view
        returns (uint256 key)
    {
        address bidder = ranked[i];
        Seat storage s = _seats[jobId][bidder];
        if (s.state != SeatState.Revealed) revert ISealedBidding.NotRankable(jobId, bidder);
        key = _rankKey(seed, bidder, s.pricePerTile);
        if (i != 0 && key <= previousKey) revert ISealedBidding.RankingOutOfOrder(jobId, i);
    }

    /// @dev Price in the high bits, a hash of the job's tie seed and the bidder in the low 160:
    /// equal prices are ordered by a seed no bidder knew when it committed.
    function _rankKey(uint256 seed, address bidder, uint256 pricePerTile) internal pure returns (uint256) {
        return (pricePerTile << 160) | uint160(uint256(keccak256(abi.encode(seed, bidder))));
    }
}
