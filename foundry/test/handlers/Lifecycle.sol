// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {BiddingActions} from "./BiddingActions.sol";
import {VerificationActions} from "./VerificationActions.sol";
import {DisputeActions} from "./DisputeActions.sol";

/// @title Lifecycle
/// @notice The fuzzed step that carries one job forward as its parties would: bids come in, are
/// revealed and settled; winners deliver; verifiers, artists and panels act as their roles dictate,
/// and whoever waits on a silent party lets its deadline pass. The single-call steps elsewhere add
/// the out-of-order and hostile moves; this one makes complete lifecycles likely in a short run.
abstract contract Lifecycle is BiddingActions, VerificationActions, DisputeActions {
    /// @dev Natural steps per call: enough that a job can go from posting to pay within a run.
    uint256 private constant STEPS_PER_CALL = 3;

    /// @notice Takes a job still bidding or active a few natural steps further.
    function advanceJob(uint256 job, uint256 seed) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        uint256 active = _jobIn(job >> 1, IMarketTypes.JobStatus.Active);
        if (jobId == 0 || (active != 0 && job % 2 == 0)) jobId = active;
        if (jobId == 0) return;
        for (uint256 i; i < STEPS_PER_CALL; ++i) {
            seed = _mix(seed);
            IMarketTypes.Job memory j = market.job(jobId);
            if (j.status == IMarketTypes.JobStatus.Bidding) _advanceBidding(jobId, j, seed);
            else if (j.status == IMarketTypes.JobStatus.Active) _advanceSeats(jobId, seed);
            else return;
        }
    }

    /// @dev Bids come in until the window closes (each bidder once); then every bidder reveals but
    /// one in eight, who forgets; then anyone settles.
    function _advanceBidding(uint256 jobId, IMarketTypes.Job memory j, uint256 seed) private {
        if (block.timestamp <= j.bidEnd) {
            address bidder = _one(bidders, seed >> 8);
            if (seed % 4 != 0 && bids[jobId][bidder].salt == bytes32(0)) {
                return _sealBid(jobId, bidder, seed >> 16, seed >> 32);
            }
            _warpTo(j.bidEnd + 1);
        }
        if (block.timestamp <= j.revealEnd && _revealAll(jobId, seed)) return;
        if (seed % 2 == 0) _warpTo(j.revealEnd + 1);
        _settle(_anyone(seed >> 80), jobId, _ranking(jobId));
    }

    /// @dev Every sealed bid but the forgetful ones (and those that cannot be opened: above the
    /// maximum or for no tiles) is revealed; false when none was.
    function _revealAll(uint256 jobId, uint256 seed) private returns (bool any) {
        address[] storage list = jobBidders[jobId];
        uint256 max = market.job(jobId).maxPricePerTile;
        for (uint256 i; i < list.length; ++i) {
            IMarketTypes.Seat memory s = market.seat(jobId, list[i]);
            if (s.hash == bytes32(0) || s.state != IMarketTypes.SeatState.None) continue;
            Bid memory bid = bids[jobId][list[i]];
            if (bid.price > max || bid.tiles == 0 || _mix(seed ^ uint160(list[i])) % 8 == 0) continue;
            if (_revealBid(list[i], jobId, bid)) any = true;
        }
    }

    /// @dev Moves the first open seat of the job (from a seeded start) one step.
    function _advanceSeats(uint256 jobId, uint256 seed) private {
        for (uint256 i; i < seats.length; ++i) {
            SeatRef memory r = seats[(seed % seats.length + i) % seats.length];
            if (r.jobId == jobId && _advanceSeat(r, market.seat(r.jobId, r.worker), seed >> 8)) return;
        }
    }

    /// @dev One step for the seat, as its parties would take it; false when the seat is closed.
    function _advanceSeat(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private returns (bool) {
        IMarketTypes.SeatState state = s.state;
        if (state == IMarketTypes.SeatState.Assigned) {
            // One winner in eight idles past the render deadline and loses its tiles.
            uint256 deadline = market.job(r.jobId).renderDeadline;
            if (block.timestamp <= deadline && seed % 8 != 0) {
                _commitResults(r.worker, r.jobId, keccak256(abi.encode(r.jobId, r.worker, r.worker == cheater)));
            } else {
                _warpTo(deadline + 1);
                _claimLate(_anyone(seed >> 8), r.jobId, r.worker);
            }
        } else if (state == IMarketTypes.SeatState.Submitted) {
            _advanceVerification(r, s, seed);
        } else if (state == IMarketTypes.SeatState.Accepted) {
            _advanceAccepted(r, s, seed);
        } else if (state == IMarketTypes.SeatState.Failed) {
            // Workers appeal two fails in three; the rest are rejected once the window closes.
            if (block.timestamp <= s.deadline && seed % 3 != 0) {
                _openDispute(r.worker, r.jobId, r.worker);
            } else {
                _warpTo(s.deadline + 1);
                _finalizeRejection(_anyone(seed >> 8), r.jobId, r.worker);
            }
        } else if (state == IMarketTypes.SeatState.Disputed || state == IMarketTypes.SeatState.Contested) {
            _advanceDispute(r, seed);
        } else {
            return false;
        }
        return true;
    }

    /// @dev Someone draws (when nobody can be drawn, the round is passed once its window is over);
    /// the verifier attests in its window; a silent one is replaced after it.
    function _advanceVerification(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        if (s.verifierId == 0) {
            _mineUntilPast(s.anchorBlock);
            if (!_drawVerifier(_anyone(seed >> 8), r.jobId, r.worker)) _replaceSilent(r, seed >> 24);
        } else if (block.timestamp > s.deadline || !_attestAsRole(r, seed >> 16)) {
            _replaceSilent(r, seed >> 24);
        }
    }

    function _replaceSilent(SeatRef memory r, uint256 seed) private {
        _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _replaceVerifier(_anyone(seed), r.jobId, r.worker);
    }

    /// @dev The artist contests the cheater's accepted garbage while it may; otherwise it waives the
    /// window (one in three) or lets it close and anyone releases.
    function _advanceAccepted(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        address artist_ = artistOf[r.jobId];
        if (r.worker == cheater && artist_ == artist && block.timestamp <= s.deadline) {
            _openDispute(artist_, r.jobId, r.worker);
        } else if (seed % 3 == 0) {
            _acceptResults(artist_, r.jobId, r.worker);
        } else {
            _warpTo(s.deadline + 1);
            _release(_anyone(seed >> 8), r.jobId, r.worker);
        }
    }

    /// @dev The panel is drawn, members vote one by one, then anyone resolves (once all voted or
    /// the deadline passed, which is also how a panel that could not be drawn ends).
    function _advanceDispute(SeatRef memory r, uint256 seed) private {
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (!d.drawn) {
            _mineUntilPast(d.anchorBlock);
            if (_drawPanel(_anyone(seed >> 8), r.jobId, r.worker)) return;
        }
        for (uint256 k; k < 3 && block.timestamp <= d.deadline; ++k) {
            if (d.votedMask & (1 << k) == 0 && _voteAsRole(r, k, seed >> 16)) return;
        }
        _warpTo(d.deadline + 1);
        _resolveDispute(_anyone(seed >> 24), r.jobId, r.worker);
    }
}
