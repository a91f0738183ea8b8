// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketParams} from "../utils/MarketParams.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title Closing
/// @notice Lets every deadline pass and calls every permissionless closing action (unrevealed bids
/// are forfeited, and each bidder of a cancelled job reclaims its bond; rounds still bidding are
/// settled; every seat is closed; a posted job left with unsold tiles either gets one last round,
/// which nobody bids in, or waits for its final deadline and has its re-offering ended), until
/// nothing is left open; then checks that nothing is.
/// `drainAll` then has everyone take out everything, which must empty the market.
abstract contract Closing is MarketCalls, Clock, Choices {
    /// @dev Closing a seat takes at most three draws and three replacements, a dispute and a release.
    uint256 private constant MAX_CLOSING_STEPS = 12;
    /// @dev Closings so far: one closing of a job in three opens a last round where it may.
    uint256 private closings;

    /// @notice The fuzzed step: one time in four (everyone leaving ends every lifecycle in flight,
    /// so it must not come too often) it closes everything; the campaign goes on with new jobs.
    function finishSometimes(uint256 chance) external {
        if (_mix(chance) % 4 == 0) finishAll();
    }

    /// @notice Every party but the permissionless closers leaves: all deadlines pass and everything
    /// is closed.
    function finishAll() public {
        _warpBy(MarketParams.LONGEST_WINDOW);
        _mine(3);
        uint256 jobs = market.jobCount();
        for (uint256 jobId = 1; jobId <= jobs; ++jobId) {
            IMarketTypes.Job memory j = market.job(jobId);
            if (j.status == IMarketTypes.JobStatus.Bidding) {
                _warpTo(j.revealEnd + 1);
                _settle(keeper, jobId, _ranking(jobId));
            }
            if (j.status == IMarketTypes.JobStatus.Cancelled) _reclaimAll(jobId);
            else _forfeitAll(jobId);
        }
        for (uint256 i; i < seats.length; ++i) {
            _close(seats[i]);
        }
        ++closings;
        for (uint256 i; i < postedJobs.length; ++i) {
            _endRounds(postedJobs[i]);
        }
        _checkAllClosed();
    }

    /// @dev A posted job still active once every seat is closed has unsold tiles left. One closing
    /// in three the keeper opens one last round while the rules allow it: nobody bids, and a round
    /// that sells nothing at an unchanged price ends re-offering. Otherwise (or if that left it
    /// active) the final deadline passes and the keeper ends re-offering, which ends the job.
    function _endRounds(uint256 root) private {
        if (market.job(root).status != IMarketTypes.JobStatus.Active) return;
        if ((root + closings) % 3 == 0 && _reofferAllowed(root) && _reoffer(keeper, root)) {
            uint256 roundId = market.jobCount();
            _warpTo(market.job(roundId).revealEnd + 1);
            _settle(keeper, roundId, _ranking(roundId));
            if (market.job(root).status != IMarketTypes.JobStatus.Active) return;
        }
        IMarketTypes.Reoffer memory o = market.reofferOf(root);
        if (o.roundsLeft != 0) _warpTo(uint256(o.finalDeadline) + 1);
        _endReoffering(keeper, root);
    }

    /// @notice Closes everything, then every actor withdraws its balance and its whole stake.
    function drainAll() external {
        finishAll();
        for (uint256 i; i < everyone.length; ++i) {
            address who = everyone[i];
            if (market.balanceOf(who) != 0) _withdraw(who);
            IMarketTypes.Account memory a = market.account(who);
            if (a.locked != 0 || a.duties != 0) {
                _note(Violation.LeftOpen, string.concat(vm.getLabel(who), " still has locked collateral or open duties"));
            }
            if (a.stake > a.locked) _requestUnstake(who, a.stake - a.locked);
        }
        _warpBy(MarketParams.UNSTAKE_DELAY + 1);
        for (uint256 i; i < everyone.length; ++i) {
            if (market.account(everyone[i]).unstaking != 0 && !_withdrawStake(everyone[i])) {
                _note(Violation.LeftOpen, string.concat(vm.getLabel(everyone[i]), " cannot withdraw its stake"));
            }
        }
    }

    function _reclaimAll(uint256 jobId) private {
        address[] storage list = jobBidders[jobId];
        for (uint256 i; i < list.length; ++i) {
            IMarketTypes.Seat memory s = market.seat(jobId, list[i]);
            if (s.hash != bytes32(0) && s.state == IMarketTypes.SeatState.None) _reclaimBond(list[i], jobId);
        }
    }

    /// @dev Every sealed bid left unrevealed is forfeited (which unlocks what its commit locked).
    function _forfeitAll(uint256 jobId) private {
        for (address bidder = _unrevealedBid(jobId, 0); bidder != address(0); bidder = _unrevealedBid(jobId, 0)) {
            if (!_forfeitBid(keeper, jobId, bidder)) {
                _note(Violation.LeftOpen, string.concat("job ", vm.toString(jobId), ": the unrevealed bid of ", vm.getLabel(bidder), " cannot be forfeited"));
                return;
            }
        }
    }

    /// @dev Drives one seat to a final state with the action its state and the clock call for.
    function _close(SeatRef memory r) private {
        for (uint256 step; step < MAX_CLOSING_STEPS; ++step) {
            IMarketTypes.Seat memory s = market.seat(r.jobId, r.worker);
            IMarketTypes.SeatState state = s.state;
            if (state == IMarketTypes.SeatState.Assigned) {
                _warpTo(market.job(r.jobId).renderDeadline + 1);
                _claimLate(keeper, r.jobId, r.worker);
            } else if (state == IMarketTypes.SeatState.Submitted) {
                _closeSubmitted(r, s);
            } else if (state == IMarketTypes.SeatState.Sealed) {
                // The worker left without revealing: a fraud, once its window closed.
                _warpTo(s.deadline + 1);
                _finalizeRejection(keeper, r.jobId, r.worker);
            } else if (state == IMarketTypes.SeatState.Opened) {
                // The verifier left without attesting: replaced once its window closed.
                _warpTo(s.deadline + 1);
                _replaceVerifier(keeper, r.jobId, r.worker);
            } else if (state == IMarketTypes.SeatState.Accepted) {
                _warpTo(s.deadline + 1);
                _release(keeper, r.jobId, r.worker);
            } else if (state == IMarketTypes.SeatState.Failed) {
                _warpTo(s.deadline + 1);
                _finalizeRejection(keeper, r.jobId, r.worker);
            } else if (
                state == IMarketTypes.SeatState.Disputed || state == IMarketTypes.SeatState.Contested
                    || state == IMarketTypes.SeatState.Challenged
            ) {
                // Members still to seal or reveal have left too: the reveal window runs out.
                _warpTo(_revealEnd(r.jobId, r.worker) + 1);
                _resolveDispute(keeper, r.jobId, r.worker);
            } else {
                return;
            }
        }
        _note(Violation.LeftOpen, string.concat(_seatName(r.jobId, r.worker), " still open after every closing action"));
    }

    /// @dev An undrawn seat is drawn (or lapses); a drawn verifier is silent here and is replaced.
    function _closeSubmitted(SeatRef memory r, IMarketTypes.Seat memory s) private {
        if (s.verifierId == 0) {
            _mineUntilPast(s.anchorBlock);
            if (_drawVerifier(keeper, r.jobId, r.worker)) return;
        }
        _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _replaceVerifier(keeper, r.jobId, r.worker);
    }

    function _checkAllClosed() private {
        uint256 jobs = market.jobCount();
        for (uint256 jobId = 1; jobId <= jobs; ++jobId) {
            IMarketTypes.Job memory j = market.job(jobId);
            bool terminal = j.status == IMarketTypes.JobStatus.Completed || j.status == IMarketTypes.JobStatus.Cancelled
                || j.status == IMarketTypes.JobStatus.Expired;
            // A cancelled job keeps the bonds of sealed bids apart until their bidders reclaim them.
            bool bondsLeft = j.status == IMarketTypes.JobStatus.Cancelled && j.commits != j.reveals;
            if (!terminal || j.escrow != 0 || bondsLeft || market.reofferOf(jobId).reserve != 0) {
                _note(
                    Violation.LeftOpen,
                    string.concat("job ", vm.toString(jobId), " in status ", vm.toString(uint256(j.status)), " holds ", vm.toString(uint256(j.escrow)))
                );
            }
        }
        for (uint256 i; i < disputed.length; ++i) {
            if (market.dispute(disputed[i].jobId, disputed[i].worker).bond != 0) {
                _note(Violation.LeftOpen, string.concat(_seatName(disputed[i].jobId, disputed[i].worker), " still holds its dispute bond"));
            }
        }
    }
}
