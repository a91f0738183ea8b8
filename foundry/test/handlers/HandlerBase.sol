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
