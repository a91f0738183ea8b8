// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title Choices
/// @notice Turns the fuzzer's numbers into bounded choices: an actor, a job in some status, a seat
/// in some state. Mostly a choice the action can succeed with; now and then (one in eight) any
/// seat at all, so that the market's refusals are exercised too.
abstract contract Choices is HandlerBase {
    /// @dev The most jobs a run posts (their re-offer rounds come on top, at most three each).
    uint256 internal constant MAX_JOBS = 6;

    /// @dev Spreads a fuzzed number over all bits: the fuzzer favours small values and edge cases,
    /// which would otherwise make every "one time in N" test below go the same way.
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    function _between(uint256 seed, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return hi <= lo ? lo : lo + seed % (hi - lo + 1);
    }

    function _one(address[] storage list, uint256 seed) internal view returns (address) {
        return list[seed % list.length];
    }

    function _anyone(uint256 seed) internal view returns (address) {
        return _one(everyone, seed);
    }

    /// @dev A job in `status`, searching from a seeded start; zero when there is none.
    function _jobIn(uint256 seed, IMarketTypes.JobStatus status) internal view returns (uint256) {
        uint256 n = market.jobCount();
        for (uint256 i; i < n; ++i) {
            uint256 jobId = 1 + (seed % n + i) % n;
            if (market.job(jobId).status == status) return jobId;
        }
        return 0;
    }

    /// @dev A seat whose state is in `mask`, or now and then any seat; `found` is false when none.
    function _seatFor(uint256 seed, uint256 mask) internal view returns (bool found, SeatRef memory ref) {
        uint256 n = seats.length;
        if (n == 0) return (false, ref);
        if (_mix(seed) % 8 == 0) return (true, seats[seed % n]);
        for (uint256 i; i < n; ++i) {
            ref = seats[(seed % n + i) % n];
            if (_isSeatIn(market.seat(ref.jobId, ref.worker).state, mask)) return (true, ref);
        }
        return (false, ref);
    }

    /// @dev A bidder of the job whose sealed bid is still unrevealed, searching from a seeded start;
    /// zero when there is none.
    function _unrevealedBid(uint256 jobId, uint256 seed) internal view returns (address) {
        address[] storage list = jobBidders[jobId];
        for (uint256 i; i < list.length; ++i) {
            address bidder = list[(seed % list.length + i) % list.length];
            IMarketTypes.Seat memory s = market.seat(jobId, bidder);
            if (s.hash != bytes32(0) && s.state == IMarketTypes.SeatState.None) return bidder;
        }
        return address(0);
    }

    /// @dev The job's kept bids sorted by rank key, as `settle` wants them.
    function _ranking(uint256 jobId) internal view returns (address[] memory ranked) {
        ranked = market.keptBids(jobId);
        uint256 tieSeed = market.job(jobId).tieSeed;
        uint256[] memory keys = new uint256[](ranked.length);
        for (uint256 i; i < ranked.length; ++i) {
            keys[i] = MarketMath.rankKey(tieSeed, ranked[i], market.seat(jobId, ranked[i]).pricePerTile);
            for (uint256 k = i; k > 0 && keys[k - 1] > keys[k]; --k) {
                (keys[k - 1], keys[k]) = (keys[k], keys[k - 1]);
                (ranked[k - 1], ranked[k]) = (ranked[k], ranked[k - 1]);
            }
        }
    }
}
