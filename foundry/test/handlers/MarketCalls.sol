// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {IJobEscrow} from "contracts/interfaces/IJobEscrow.sol";
import {ISealedBidding} from "contracts/interfaces/ISealedBidding.sol";
import {IResultVerification} from "contracts/interfaces/IResultVerification.sol";
import {IDisputes} from "contracts/interfaces/IDisputes.sol";
import {IWorkerRegistry} from "contracts/interfaces/IWorkerRegistry.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {LogChecks} from "./LogChecks.sol";

/// @title MarketCalls
/// @notice One small function per market entry point: it says what the call may legitimately do
/// (its verdict path, whether it may draw) and sends it as `who`. A revert is counted, never
/// propagated, so the campaign goes on; a signature change in the market is a one-line fix here.
abstract contract MarketCalls is LogChecks {
    /// @dev ETH the caller received in the last successful call.
    uint256 internal lastReceived;

    function _stake(address who, uint256 amount) internal returns (bool ok) {
        ok = _exec(who, amount, abi.encodeCall(IWorkerRegistry.stake, ()));
        if (ok) stakedIn[who] += amount;
    }

    function _requestUnstake(address who, uint256 amount) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IWorkerRegistry.requestUnstake, (amount)));
    }

    /// @dev Pays exactly what was unstaking, and only once it unlocked.
    function _withdrawStake(address who) internal returns (bool ok) {
        IMarketTypes.Account memory before = market.account(who);
        ok = _exec(who, 0, abi.encodeCall(IWorkerRegistry.withdrawStake, ()));
        if (!ok) return false;
        withdrawnStake[who] += lastReceived;
        if (lastReceived != before.unstaking || block.timestamp < before.unlockAt) {
            _note(
                Violation.WithdrawalMismatch,
                string.concat(vm.getLabel(who), " withdrew ", vm.toString(lastReceived), " of stake, unstaking ", vm.toString(before.unstaking))
            );
        }
    }

    /// @dev Pays exactly what was credited.
    function _withdraw(address who) internal returns (bool ok) {
        uint256 credited = market.balanceOf(who);
        ok = _exec(who, 0, abi.encodeCall(IJobEscrow.withdraw, ()));
        if (ok && lastReceived != credited) {
            _note(
                Violation.WithdrawalMismatch,
                string.concat(vm.getLabel(who), " withdrew ", vm.toString(lastReceived), ", credited ", vm.toString(credited))
            );
        }
    }

    function _postJob(address who, IMarketTypes.JobParams memory p, uint256 deposit) internal returns (bool) {
        return _exec(who, deposit, abi.encodeCall(IJobEscrow.postJob, (p, "bafy-manifest")));
    }

    function _cancelJob(address who, uint256 jobId) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IJobEscrow.cancelJob, (jobId)));
    }

    function _commitBid(address who, uint256 jobId, Bid memory bid, uint256 bond) internal returns (bool) {
        bytes32 commitment = MarketMath.commitment(jobId, who, bid.price, bid.tiles, bid.salt);
        return _exec(who, bond, abi.encodeCall(ISealedBidding.commitBid, (jobId, commitment)));
    }

    function _revealBid(address who, uint256 jobId, Bid memory bid) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.revealBid, (jobId, bid.price, bid.tiles, bid.salt)));
    }

    function _settle(address who, uint256 jobId, address[] memory ranked) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.settle, (jobId, ranked)));
    }

    function _reclaimBond(address who, uint256 jobId) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.reclaimBond, (jobId)));
    }

    function _commitResults(address who, uint256 jobId, bytes32 root) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IResultVerification.commitResults, (jobId, root, "bafy-results")));
    }

    function _drawVerifier(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, true);
        return _exec(who, 0, abi.encodeCall(IResultVerification.drawVerifier, (jobId, worker)));
    }

    /// @dev A pass is a verdict only from the seat's drawn verifier. Like a vote, it is checked as a
    /// call that may draw, should the market ever draw lazily in it.
    function _attest(address who, uint256 jobId, address worker, bool passed) internal returns (bool) {
        _expect(who, jobId, worker, passed ? Path.VerifierPassed : Path.None, true);
        return _exec(who, 0, abi.encodeCall(IResultVerification.attest, (jobId, worker, passed, "bafy-evidence")));
    }

    function _acceptResults(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.ArtistAccepted, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.acceptResults, (jobId, worker)));
    }

    function _release(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.release, (jobId, worker)));
    }

    function _finalizeRejection(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.finalizeRejection, (jobId, worker)));
    }

    function _claimLate(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.claimLate, (jobId, worker)));
    }

    function _replaceVerifier(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, true);
        return _exec(who, 0, abi.encodeCall(IResultVerification.replaceVerifier, (jobId, worker)));
    }

    function _openDispute(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, cfg.disputeBond, abi.encodeCall(IDisputes.openDispute, (jobId, worker, "bafy-reason")));
    }

    function _drawPanel(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, true);
        return _exec(who, 0, abi.encodeCall(IDisputes.drawPanel, (jobId, worker)));
    }

    function _vote(address who, uint256 jobId, address worker, bool fraud) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, true);
        return _exec(who, 0, abi.encodeCall(IDisputes.vote, (jobId, worker, fraud, "bafy-evidence")));
    }

    /// @dev A panel's verdict accepts the seat only when it upholds the worker's appeal by a majority.
    function _resolveDispute(address who, uint256 jobId, address worker) internal returns (bool) {
        IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
        _expect(who, jobId, worker, Path.PanelDecided, false);
        ctx.appealUpheld = market.seat(jobId, worker).state == IMarketTypes.SeatState.Disputed
            && d.votesHonest > d.votesFraud;
        return _exec(who, 0, abi.encodeCall(IDisputes.resolveDispute, (jobId, worker)));
    }

    function _expect(address who, uint256 jobId, address worker, Path path, bool mayDraw) private {
        ctx = CallContext({
            caller: who,
            jobId: jobId,
            worker: worker,
            path: path,
            appealUpheld: false,
            stakesTaken: mayDraw
        });
        if (!mayDraw) return;
        for (uint256 i; i < everyone.length; ++i) {
            stakeBefore[everyone[i]] = market.account(everyone[i]).stake;
        }
    }

    /// @dev Sends `data` as `who` with `value`. On success: ETH may only have left the market to
    /// `who`, the money moved is booked, and the events are checked.
    function _exec(address who, uint256 value, bytes memory data) private returns (bool ok) {
        bytes4 selector = bytes4(data);
        if (ctx.caller != who) _expect(who, 0, address(0), Path.None, false);
        uint256 marketBefore = address(market).balance;
        uint256 whoBefore = who.balance;
        ++callsOf[selector];
        ++marketCalls;
        vm.recordLogs();
        vm.prank(who);
        (ok,) = address(market).call{value: value}(data);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        if (ok) {
            lastReceived = who.balance + value - whoBefore;
            sentIn[who] += value;
            takenOut[who] += lastReceived;
            if (address(market).balance + lastReceived != marketBefore + value) {
                _note(Violation.EthLeak, string.concat("a call by ", vm.getLabel(who), " sent ETH elsewhere"));
            }
            _checkLogs(logs);
        } else {
            ++revertsOf[selector];
            ++marketReverts;
        }
        delete ctx;
    }
}
