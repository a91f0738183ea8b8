// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {BiddingActions} from "./BiddingActions.sol";
import {VerificationActions} from "./VerificationActions.sol";
import {DisputeActions} from "./DisputeActions.sol";
import {RoundActions} from "./RoundActions.sol";

/// @title Lifecycle
/// @notice The fuzzed step that carries one job forward as its parties would: bids come in, are
/// revealed and settled; winners deliver; verifiers seal their evidence blind, workers reveal (or
/// hide) their results, verifiers attest, artists, watchers and panels act as their roles dictate,
/// and whoever waits on a silent party lets its deadline pass; tiles that come back unsold, late or
/// rejected go on sale again in new rounds (the artist topping up the reserve when it falls short)
/// until re-offering ends. The single-call steps elsewhere add the out-of-order and hostile moves;
/// this one makes complete lifecycles likely in a short run.
abstract contract Lifecycle is BiddingActions, VerificationActions, DisputeActions, RoundActions {
    /// @dev Natural steps per call: enough that a job can go from posting to pay within a run.
    uint256 private constant STEPS_PER_CALL = 3;

    /// @notice Takes a job or round still bidding or active a few natural steps further (a posted
    /// job's steps include its rounds').
    function advanceJob(uint256 job, uint256 seed) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        uint256 active = _jobIn(job >> 1, IMarketTypes.JobStatus.Active);
        if (jobId == 0 || (active != 0 && job % 2 == 0)) jobId = active;
        if (jobId == 0) return;
        for (uint256 i; i < STEPS_PER_CALL; ++i) {
            seed = _mix(seed);
            IMarketTypes.Job memory j = market.job(jobId);
            if (j.status == IMarketTypes.JobStatus.Bidding) _advanceBidding(jobId, j, seed);
            else if (j.status != IMarketTypes.JobStatus.Active) return;
            else if (!_advanceRounds(jobId, j, seed)) _advanceSeats(jobId, seed);
        }
    }

    /// @dev An active posted job's rounds: half the time its latest round, still bidding, moves on;
    /// tiles that may go on sale again do (at once when nothing else of the job is open, else half
    /// the time), unless the artist, one time in eight, settles for the frames as they are and ends
    /// re-offering; when nothing is open and nothing may open, re-offering ends. False when none of
    /// these applies (the seats move instead).
    function _advanceRounds(uint256 jobId, IMarketTypes.Job memory j, uint256 seed) private returns (bool) {
        if (!_isPosted(jobId)) return false;
        if (j.latest != 0 && seed % 2 == 0) {
            IMarketTypes.Job memory r = market.job(j.latest);
            if (r.status == IMarketTypes.JobStatus.Bidding) {
                _advanceBidding(j.latest, r, seed >> 1);
                return true;
            }
        }
        bool open = j.openSeats != 0 || j.openRounds != 0;
        if (_mayReofferNow(jobId) && (!open || (seed >> 1) % 2 == 0)) {
            if ((seed >> 2) % 8 == 0) _endReoffering(artistOf[jobId], jobId);
            else _reofferAsParties(jobId, seed >> 5);
            return true;
        }
        if (open) return false;
        _endAsParties(jobId, seed >> 2);
        return true;
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

    /// @dev The artist first forfeits each bid left unrevealed (its collateral is the artist's);
    /// then moves the first open seat of the job or, for a posted job, of its rounds (from a seeded
    /// start) one step.
    function _advanceSeats(uint256 jobId, uint256 seed) private {
        address unrevealed = _unrevealedBid(jobId, seed);
        if (unrevealed != address(0)) {
            _forfeitBid(artistOf[jobId], jobId, unrevealed);
            return;
        }
        for (uint256 i; i < seats.length; ++i) {
            SeatRef memory r = seats[(seed % seats.length + i) % seats.length];
            bool ours = r.jobId == jobId || rootOf[r.jobId] == jobId;
            if (ours && _advanceSeat(r, market.seat(r.jobId, r.worker), seed >> 8)) return;
        }
    }

    /// @dev One step for the seat, as its parties would take it; false when the seat is closed.
    function _advanceSeat(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private returns (bool) {
        IMarketTypes.SeatState state = s.state;
        if (state == IMarketTypes.SeatState.Assigned) {
            // One winner in eight idles past the render deadline and loses its tiles; one in
            // sixteen gives them back at once (its GPU failed) and loses them just the same.
            uint256 deadline = market.job(r.jobId).renderDeadline;
            if (block.timestamp <= deadline && seed % 16 == 1) {
                _abandonSeat(r.worker, r.jobId, uint8((seed >> 8) % 7));
            } else if (block.timestamp <= deadline && seed % 8 != 0) {
                _commitResults(r.worker, r.jobId, keccak256(abi.encode(r.jobId, r.worker, r.worker == cheater)));
            } else {
                _warpTo(deadline + 1);
                _claimLate(_anyone(seed >> 8), r.jobId, r.worker);
            }
        } else if (state == IMarketTypes.SeatState.Submitted) {
            _advanceVerification(r, s, seed);
        } else if (state == IMarketTypes.SeatState.Sealed) {
            _advanceSealed(r, s, seed);
        } else if (state == IMarketTypes.SeatState.Opened) {
            _advanceOpened(r, s, seed);
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
        } else if (
            state == IMarketTypes.SeatState.Disputed || state == IMarketTypes.SeatState.Contested
                || state == IMarketTypes.SeatState.Challenged
        ) {
            _advanceDispute(r, seed);
        } else {
            return false;
        }
        return true;
    }

    /// @dev Someone draws (when nobody can be drawn, the round is passed once its window is over);
    /// the verifier seals its evidence in its window, blind; a silent one is replaced after it.
    function _advanceVerification(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        if (s.verifierId == 0) {
            _mineUntilPast(s.anchorBlock);
            if (!_drawVerifier(_anyone(seed >> 8), r.jobId, r.worker)) _replaceSilent(r, seed >> 24);
        } else if (block.timestamp > s.deadline || !_sealAsRole(r)) {
            _replaceSilent(r, seed >> 24);
        }
    }

    /// @dev The verifier attests with its sealed evidence; a silent one is replaced after its
    /// window. A watcher that follows the attestations recomputes each pass from the evidence and
    /// the tiles and, three times in four, challenges one they contradict at once.
    function _advanceOpened(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        if (block.timestamp > s.deadline || !_attestAsRole(r, seed >> 16)) {
            _replaceSilent(r, seed >> 24);
            return;
        }
        bool passed = market.seat(r.jobId, r.worker).state == IMarketTypes.SeatState.Accepted;
        if (passed && _contradicts(r.jobId, r.worker) && seed % 4 != 0) _challenge(r, seed >> 32);
    }

    /// @dev The worker reveals its results; the cheater hides them one time in four (it fears the
    /// sealed check), an honest worker one in sixteen (it crashed): the window closes and anyone
    /// rejects the seat as a fraud.
    function _advanceSealed(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        bool hides = r.worker == cheater ? seed % 4 == 0 : seed % 16 == 0;
        if (!hides && block.timestamp <= s.deadline) {
            _revealResults(r.worker, r.jobId);
        } else {
            _warpTo(s.deadline + 1);
            _finalizeRejection(_anyone(seed >> 8), r.jobId, r.worker);
        }
    }

    function _replaceSilent(SeatRef memory r, uint256 seed) private {
        _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _replaceVerifier(_anyone(seed), r.jobId, r.worker);
    }

    /// @dev The artist contests the cheater's accepted garbage while it may; a watcher challenges a
    /// pass that contradicts its sealed evidence (half the time), and now and then one challenges an
    /// honest pass on a hunch; otherwise the artist waives the window (one in three) or lets it close
    /// and anyone releases.
    function _advanceAccepted(SeatRef memory r, IMarketTypes.Seat memory s, uint256 seed) private {
        address artist_ = artistOf[r.jobId];
        bool open = block.timestamp <= s.deadline;
        if (r.worker == cheater && artist_ == artist && open && seed % 4 != 0) {
            _openDispute(artist_, r.jobId, r.worker);
        } else if (open && (_contradicts(r.jobId, r.worker) ? seed % 2 == 0 : seed % 16 == 0) && _challenge(r, seed >> 8)) {
            return;
        } else if (seed % 3 == 0) {
            _acceptResults(artist_, r.jobId, r.worker);
        } else {
            _warpTo(s.deadline + 1);
            _release(_anyone(seed >> 8), r.jobId, r.worker);
        }
    }

    /// @dev The panel is drawn; then every member whose role seals a vote seals it (after the commit
    /// window it tries all the same, and must be refused); then, once reveals open (every member
    /// sealed, or the commit window is waited out for the silent ones), every member whose role
    /// reveals does; then anyone resolves (at once if every member revealed, else after the reveal
    /// window, which is also how an undrawn panel ends).
    function _advanceDispute(SeatRef memory r, uint256 seed) private {
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (!d.drawn) {
            _mineUntilPast(d.anchorBlock);
            if (_drawPanel(_anyone(seed >> 8), r.jobId, r.worker)) return;
        } else if (_lateOrCommitAll(r, d, seed)) {
            // Half the time a member that sealed opens its vote at once: refused while another
            // member may still seal.
            if ((seed >> 40) % 2 == 0) _revealFirst(r, seed >> 48);
            return;
        } else if (_revealAll(r, seed >> 32)) {
            return;
        }
        d = market.dispute(r.jobId, r.worker);
        if (!d.drawn || (d.votedMask & 7) != _seatedMask(d) || _seatedMask(d) == 0) {
            // Half the time someone tries to resolve before the reveal window closed: refused.
            if ((seed >> 56) % 2 == 0) _resolveDispute(_anyone(seed >> 64), r.jobId, r.worker);
            if (!_inDispute(r.jobId, r.worker)) return;
            _warpTo(_revealEnd(r.jobId, r.worker) + 1);
        }
        _resolveDispute(_anyone(seed >> 24), r.jobId, r.worker);
    }

    /// @dev While members have not sealed, one time in eight the commit window runs out first (they
    /// try all the same, and must be refused); otherwise they seal.
    function _lateOrCommitAll(SeatRef memory r, IMarketTypes.Dispute memory d, uint256 seed) private returns (bool) {
        if (d.committedMask != _seatedMask(d) && (seed >> 72) % 8 == 0) _warpTo(uint256(d.deadline) + 1);
        return _commitAll(r, seed >> 16);
    }

    /// @dev Every member that has not sealed a vote seals one as its role dictates (half the time
    /// only the first of them, the others in later steps); false when none did.
    function _commitAll(SeatRef memory r, uint256 seed) private returns (bool any) {
        for (uint256 k; k < 3; ++k) {
            if (_commitAsRole(r, k, _mix(seed ^ k), false)) {
                any = true;
                if (seed % 2 == 0) return true;
            }
        }
    }

    /// @dev The first member that sealed a vote reveals it.
    function _revealFirst(SeatRef memory r, uint256 seed) private {
        for (uint256 k; k < 3; ++k) {
            if (_revealAsRole(r, k, seed, false) || market.dispute(r.jobId, r.worker).committedMask & (1 << k) != 0) return;
        }
    }

    /// @dev Opens reveals (waiting out the commit window if a member never sealed: half the time
    /// a member first tries without waiting, and is refused), then every member whose role reveals
    /// does; false when none revealed.
    function _revealAll(SeatRef memory r, uint256 seed) private returns (bool any) {
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (d.committedMask == 0) return false;
        if (d.committedMask != _seatedMask(d)) {
            if (block.timestamp <= d.deadline && (seed >> 40) % 2 == 0) _revealFirst(r, seed >> 48);
            _warpTo(uint256(d.deadline) + 1);
            d = market.dispute(r.jobId, r.worker);
        }
        if (block.timestamp > _revealEnd(r.jobId, r.worker)) return false;
        for (uint256 k; k < 3; ++k) {
            if (d.votedMask & (1 << k) == 0 && _revealAsRole(r, k, _mix(seed ^ k), false)) any = true;
        }
    }
}
