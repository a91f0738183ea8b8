// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobEscrow} from "../interfaces/IJobEscrow.sol";
import {IResultVerification} from "../interfaces/IResultVerification.sol";
import {IReoffering} from "../interfaces/IReoffering.sol";
import {MarketStorage} from "./MarketStorage.sol";

/// @title Settlement
/// @notice How a seat's verdict moves money, shared by the verification rules ({ResultVerification})
/// and the panels ({Disputes}), which live in two deployed contracts: accepting, paying, rejecting
/// as fraud, and closing the job when its last seat is resolved. Internal functions only.
abstract contract Settlement is MarketStorage {
    /// @dev What whoever draws a seat's verifier earns, each round, out of the seat's verifier fee.
    function _drawBounty(Job storage j, Seat storage s) internal view returns (uint256) {
        return uint256(s.tileCount) * j.verifyFeePerTile * _drawBountyBps / BPS;
    }

    /// @dev The verifier fee left once every round's draw bounty is paid.
    function _verifierFee(Job storage j, Seat storage s) internal view returns (uint256) {
        return uint256(s.tileCount) * j.verifyFeePerTile - _drawBounty(j, s) * (uint256(s.round) + 1);
    }

    /// @dev A verdict accepts the tiles: nothing is paid before the contest window closes.
    function _accept(uint256 jobId, address worker, Job storage j, Seat storage s) internal {
        uint256 tiles = s.tileCount;
        uint256 verifierFee = s.verifierId == 0 ? 0 : _verifierFee(j, s);
        s.state = SeatState.Accepted;
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        emit IResultVerification.ResultsAccepted(jobId, worker, tiles * s.pricePerTile, verifierFee);
    }

    /// @dev Pays an accepted seat: the worker its price, its verifier (if any) the fee, the
    /// protocol fee accrues; the collateral is unlocked and the verifier's duty ends.
    function _release(uint256 jobId, address worker, Job storage j, Seat storage s) internal {
        uint256 tiles = s.tileCount;
        uint256 price = s.pricePerTile;
        uint256 payment = tiles * price;
        address verifier = _accountOf(s.verifierId);
        uint256 verifierFee = verifier == address(0) ? 0 : _verifierFee(j, s);
        s.state = SeatState.Paid;
        s.deadline = 0;
        (, Job storage funds) = _fundsOf(jobId, j);
        funds.escrow -= uint96(payment + verifierFee);
        funds.feesDue += uint96(tiles * _feePerTile(price));
        Account storage w = _accounts[worker];
        w.balance += uint96(payment);
        w.tilesAccepted += uint32(tiles);
        _unlock(w, _collateral(tiles, price));
        if (verifier != address(0)) {
            _accounts[verifier].duties -= 1;
            _credit(verifier, verifierFee);
        }
        emit IResultVerification.PaymentReleased(jobId, worker, payment, verifierFee);
        _closeSeat(jobId, j);
    }

    /// @dev Rejects an unpaid assignment as fraud: the failing verifier keeps its fee, the worker
    /// loses its collateral and `fraudSlashBps` of the rest of its stake to the job (for the
    /// artist) and the `honest` verifiers; the tiles go back to the job's unsold tiles.
    function _reject(
        uint256 jobId,
        address worker,
        Job storage j,
        Seat storage s,
        address[4] memory honest,
        uint256 honestCount
    ) internal {
        address verifier = _accountOf(s.verifierId);
        uint256 verifierFee = verifier == address(0) ? 0 : _verifierFee(j, s);
        s.state = SeatState.Rejected;
        (uint256 rootId, Job storage funds) = _fundsOf(jobId, j);
        funds.escrow -= uint96(verifierFee);
        if (verifier != address(0)) {
            _accounts[verifier].duties -= 1;
            _credit(verifier, verifierFee);
        }
        uint256 slashed = _slashFraud(jobId, worker, s);
        _payFraud(rootId, funds, slashed, honest, honestCount);
        emit IResultVerification.ResultsRejected(jobId, worker, slashed);
        _returnTiles(jobId, j, worker, s, verifier != address(0), true);
        _closeSeat(jobId, j);
    }

    /// @dev Proven fraud: the seat's collateral and `fraudSlashBps` of the rest of the stake.
    function _slashFraud(uint256 jobId, address worker, Seat storage s) internal returns (uint256) {
        Account storage a = _accounts[worker];
        uint256 collateral = _collateral(s.tileCount, s.pricePerTile);
        _unlock(a, collateral);
        a.tilesRejected += uint32(s.tileCount);
        uint256 bonded = uint256(a.stake) + a.unstaking;
        uint256 rest = bonded > collateral ? bonded - collateral : 0;
        return _slashAmount(jobId, worker, collateral + rest * _fraudSlashBps / BPS, SlashReason.Fraud);
    }

    /// @dev Splits `amount`: half evenly to `honest`, the rest (with the rounding dust) into the
    /// job's reserve, where it funds the tiles' next round and is the artist's at the end.
    function _payFraud(
        uint256 rootId,
        Job storage funds,
        uint256 amount,
        address[4] memory honest,
        uint256 honestCount
    ) internal {
        // Dividing first is the point: the verifiers share half, and whatever rounding leaves
        // (at most honestCount wei) goes to the job so that nothing is lost.
        uint256 share = honestCount == 0 ? 0 : (amount / 2) / honestCount;
        for (uint256 i; i < honestCount; ++i) {
            _credit(honest[i], share);
        }
        // slither-disable-next-line divide-before-multiply
        _intoReserve(rootId, funds, amount - share * honestCount);
    }

    /// @dev Adds slashed stake to a job's escrow and reserve.
    function _intoReserve(uint256 rootId, Job storage funds, uint256 amount) internal {
        funds.escrow += uint96(amount);
        _reoffers[rootId].reserve += uint96(amount);
    }

    /// @dev The seat's verifier of this round (`previous`, zero if none was drawn) gave no verdict
    /// that stands: a new round with a new anchor, or, after the last round, the seat closes
    /// unverified (the worker is not paid and keeps its collateral; the tiles' escrow goes back).
    function _nextRound(uint256 jobId, address worker, Job storage j, Seat storage s, address previous) internal {
        uint256 round = s.round + 1;
        emit IResultVerification.VerifierReplaced(jobId, worker, previous, round);
        if (round >= MAX_VERIFIER_ROUNDS) {
            s.state = SeatState.Unverified;
            _unlock(_accounts[worker], _collateral(s.tileCount, s.pricePerTile));
            emit IResultVerification.ResultsUnverified(jobId, worker);
            _returnTiles(jobId, j, worker, s, false, false);
            _closeSeat(jobId, j);
            return;
        }
        s.state = SeatState.Submitted;
        s.round = uint8(round);
        s.verifierId = 0;
        s.anchorBlock = uint32(block.number + _drawDelay);
        s.deadline = uint40(block.timestamp + j.verifyWindow);
    }

    /// @dev The posted job that holds the money of `j` (`j` itself, or the job `j` is a round of).
    function _fundsOf(uint256 jobId, Job storage j) internal view returns (uint256 rootId, Job storage funds) {
        rootId = j.root;
        funds = j;
        if (rootId == 0) {
            rootId = jobId;
        } else {
            funds = _jobs[rootId];
        }
    }

    /// @dev A seat that will deliver nothing: its tiles go back to the job's unsold tiles, and what
    /// its escrow still holds for them back to the reserve (its price and fee, and the verifier fee
    /// unless `verifierPaid`; every round's draw bounty counts as paid, so the reserve never holds
    /// more than is free). A worker that failed the job (`bar`) may not bid in it again.
    function _returnTiles(uint256 jobId, Job storage j, address worker, Seat storage s, bool verifierPaid, bool bar)
        internal
    {
        (uint256 rootId,) = _fundsOf(jobId, j);
        uint256 tiles = s.tileCount;
        uint256 price = s.pricePerTile;
        uint256 back = tiles * (price + _feePerTile(price)) + (verifierPaid ? 0 : _verifierFee(j, s));
        _reoffers[rootId].reserve += uint96(back);
        _unsold[rootId].push(_range(s.firstTile, tiles));
        if (bar) _barred[rootId][worker] = true;
        emit IReoffering.TilesReturned(rootId, jobId, worker, s.firstTile, tiles, s.state);
    }

    function _range(uint256 firstTile, uint256 tileCount) internal pure returns (uint32) {
        return uint32(firstTile << 16 | tileCount);
    }

    /// @dev Called whenever an assignment is resolved: a round whose last seat closed is done,
    /// and the job ends when nothing is left open or to re-offer.
    function _closeSeat(uint256 jobId, Job storage j) internal {
        uint256 open = j.openSeats - 1;
        j.openSeats = uint8(open);
        if (open != 0) return;
        (uint256 rootId, Job storage funds) = _fundsOf(jobId, j);
        if (rootId != jobId) {
            j.status = JobStatus.Completed;
            funds.openRounds -= 1;
        }
        _tryComplete(rootId, funds);
    }

    /// @dev Whether another round may still open for the job's unsold tiles.
    function _mayReoffer(uint256 rootId) internal view returns (bool) {
        Reoffer storage o = _reoffers[rootId];
        return o.roundsLeft != 0 && block.timestamp <= o.finalDeadline && _unsold[rootId].length != 0;
    }

    /// @dev Ends the job when no seat or round of it is open and no round may open any more: the
    /// treasury gets the fees, the artist everything else.
    /// @return completed whether it ended
    function _tryComplete(uint256 rootId, Job storage funds) internal returns (bool completed) {
        if (funds.openSeats != 0 || funds.openRounds != 0 || funds.status != JobStatus.Active) return false;
        if (_mayReoffer(rootId)) return false;
        uint256 fees = funds.feesDue;
        uint256 refund = funds.escrow - fees;
        funds.escrow = 0;
        funds.feesDue = 0;
        funds.status = JobStatus.Completed;
        _reoffers[rootId].reserve = 0;
        _credit(_treasury, fees);
        _credit(funds.artist, refund);
        emit IJobEscrow.JobCompleted(rootId, refund, fees);
        return true;
    }
}
