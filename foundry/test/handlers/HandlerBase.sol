// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "contracts/interfaces/IJobMarket.sol";
import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {Actors} from "./Actors.sol";
import {Ghosts} from "./Ghosts.sol";

/// @title HandlerBase
/// @notice The market under test, its configuration, and what the handler knows about the call in
/// flight (who calls, which seat, which verdict path it would be); the log checks read it.
abstract contract HandlerBase is Actors, Ghosts {
    uint256 internal constant BPS = 10_000;
    /// @dev The market's rounds of verification before a seat closes unverified.
    uint256 internal constant MAX_VERIFIER_ROUNDS = 3;

    struct CallContext {
        address caller;
        uint256 jobId;
        address worker;
        Path path; // the verdict path this call may take; a ResultsAccepted under any other fails
        bool appealUpheld; // for resolveDispute: an appeal whose panel voted for the worker by a majority
        bool stakesTaken; // `stakeBefore` holds every actor's stake from just before the call
    }

    IJobMarket internal market;
    IMarketTypes.MarketConfig internal cfg;
    CallContext internal ctx;
    mapping(address who => uint256) internal stakeBefore;
    /// @dev Every actor's duties from just before the call (taken with `stakeBefore`, and before
    /// every resolveDispute).
    mapping(address who => uint256) internal dutiesBefore;

    /// @dev The verifier currently drawn for a seat, or zero.
    function _verifierOf(uint256 jobId, address worker) internal view returns (address) {
        uint256 id = market.seat(jobId, worker).verifierId;
        return id == 0 ? address(0) : market.accountById(id);
    }

    /// @dev The panel of a seat's dispute as addresses (zero for an empty panel seat).
    function _panel(uint256 jobId, address worker) internal view returns (address[3] memory members) {
        IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
        uint32[3] memory ids = [d.member0, d.member1, d.member2];
        for (uint256 k; k < 3; ++k) {
            if (ids[k] != 0) members[k] = market.accountById(ids[k]);
        }
    }

    /// @dev The bit (1, 2 or 4) of `who`'s panel seat in `d`, or 0 when it is not on the panel.
    function _memberBit(IMarketTypes.Dispute memory d, address who) internal view returns (uint256) {
        uint32[3] memory ids = [d.member0, d.member1, d.member2];
        for (uint256 k; k < 3; ++k) {
            if (ids[k] != 0 && market.accountById(ids[k]) == who) return 1 << k;
        }
        return 0;
    }

    /// @dev Bits 0-2: the panel seats that hold a member.
    function _seatedMask(IMarketTypes.Dispute memory d) internal pure returns (uint256 mask) {
        if (d.member0 != 0) mask |= 1;
        if (d.member1 != 0) mask |= 2;
        if (d.member2 != 0) mask |= 4;
    }

    /// @dev Whether the seat is under a dispute (appealed, contested or challenged).
    function _inDispute(uint256 jobId, address worker) internal view returns (bool) {
        IMarketTypes.SeatState state = market.seat(jobId, worker).state;
        return state == IMarketTypes.SeatState.Disputed || state == IMarketTypes.SeatState.Contested
            || state == IMarketTypes.SeatState.Challenged;
    }

    /// @dev The end of a dispute's reveal window: one verification window after its commit window.
    function _revealEnd(uint256 jobId, address worker) internal view returns (uint256) {
        return uint256(market.dispute(jobId, worker).deadline) + market.job(jobId).verifyWindow;
    }

    function _isSeatIn(IMarketTypes.SeatState state, uint256 mask) internal pure returns (bool) {
        return mask & (1 << uint256(state)) != 0;
    }

    function _bit(IMarketTypes.SeatState state) internal pure returns (uint256) {
        return 1 << uint256(state);
    }

    function _seatName(uint256 jobId, address worker) internal view returns (string memory) {
        return string.concat("job ", vm.toString(jobId), " seat ", vm.getLabel(worker));
    }
}
