// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title DisputeActions
/// @notice Fuzzed steps of an escalation: the worker appeals a fail or the artist contests a pass,
/// a panel is drawn and votes as its members' roles dictate, and anyone resolves.
abstract contract DisputeActions is MarketCalls, Clock, Choices {
    /// @notice The worker appeals its fail, or the artist contests an acceptance; one time in eight
    /// a stranger tries and must be refused.
    function openDispute(uint256 seat, uint256 who) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Failed) | _bit(IMarketTypes.SeatState.Accepted);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        bool appeal = market.seat(r.jobId, r.worker).state == IMarketTypes.SeatState.Failed;
        address disputer = appeal ? r.worker : artistOf[r.jobId];
        _openDispute(who % 8 == 0 ? _anyone(who >> 3) : disputer, r.jobId, r.worker);
    }

    /// @notice Anyone draws the panel once its anchor is mined; one time in sixteen after its hash
    /// expired, which must be refused (the dispute then ends by its deadline, unvoted).
    function drawPanel(uint256 seat, uint256 who, uint256 blocks) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        if (blocks % 16 == 0) _mine(HASH_WINDOW + 8);
        else _mineUntilPast(market.dispute(r.jobId, r.worker).anchorBlock + blocks % 3);
        _drawPanel(_anyone(who), r.jobId, r.worker);
    }

    /// @notice A panel member votes as its role dictates (fraud when it would fail the results);
    /// silent members never do. An undrawn panel is drawn first.
    function vote(uint256 seat, uint256 member, uint256 verdict) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (!d.drawn) {
            _mineUntilPast(d.anchorBlock);
            _drawPanel(_anyone(verdict), r.jobId, r.worker);
        }
        _voteAsRole(r, member % 3, verdict);
    }

    /// @dev Member `k` of the drawn panel votes as its role dictates; false when there is no such
    /// member or it stays silent.
    function _voteAsRole(SeatRef memory r, uint256 k, uint256 verdict) internal returns (bool speaks) {
        address voter = _panel(r.jobId, r.worker)[k];
        if (voter == address(0)) return false;
        bool passes;
        (speaks, passes) = _verdict(voter, r.worker, verdict);
        if (speaks) _vote(voter, r.jobId, r.worker, !passes);
    }

    /// @notice Anyone resolves a dispute; half the time it first waits for the voting deadline.
    function resolveDispute(uint256 seat, uint256 who, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        if (wait % 2 == 0) _warpTo(market.dispute(r.jobId, r.worker).deadline + 1);
        _resolveDispute(_anyone(who), r.jobId, r.worker);
    }

    function _disputedStates() internal pure returns (uint256) {
        return _bit(IMarketTypes.SeatState.Disputed) | _bit(IMarketTypes.SeatState.Contested);
    }
}
