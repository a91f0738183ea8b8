// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobEscrow} from "../interfaces/IJobEscrow.sol";
import {IResultVerification} from "../interfaces/IResultVerification.sol";
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
        j.escrow -= uint96(payment + verifierFee);
        j.feesDue += uint96(tiles * _feePerTile(price));
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
    /// loses its collateral and `fraudSlashBps` of the rest of its stake to the artist and the
    /// `honest` verifiers; the tiles' escrow returns to the artist.
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
        j.escrow -= uint96(verifierFee);
        if (verifier != address(0)) {
            _accounts[verifier].duties -= 1;
            _credit(verifier, verifierFee);
        }
        uint256 slashed = _slashFraud(jobId, worker, s);
        _payFraud(j.artist, slashed, honest, honestCount);
        emit IResultVerification.ResultsRejected(jobId, worker, slashed);
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

    /// @dev Splits `amount`: half to `artist` (with the rounding dust), half evenly to `honest`.
    function _payFraud(address artist, uint256 amount, address[4] memory honest, uint256 honestCount) internal {
        if (honestCount == 0) {
            _credit(artist, amount);
            return;
        }
        // Dividing first is the point: the verifiers share half, and whatever rounding leaves
        // (at most honestCount wei) goes to the artist so that nothing is lost.
        uint256 share = (amount / 2) / honestCount;
        for (uint256 i; i < honestCount; ++i) {
            _credit(honest[i], share);
        }
        // slither-disable-next-line divide-before-multiply
        _credit(artist, amount - share * honestCount);
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
            _closeSeat(jobId, j);
            return;
        }
        s.state = SeatState.Submitted;
        s.round = uint8(round);
        s.verifierId = 0;
        s.anchorBlock = uint32(block.number + _drawDelay);
        s.deadline = uint40(block.timestamp + j.verifyWindow);
    }

    /// @dev Called whenever an assignment is resolved; ends the job when it was the last one.
    function _closeSeat(uint256 jobId, Job storage j) internal {
        uint256 open = j.openSeats - 1;
        j.openSeats = uint8(open);
        if (open != 0) return;
        uint256 fees = j.feesDue;
        uint256 refund = j.escrow - fees;
        j.escrow = 0;
        j.feesDue = 0;
        j.status = JobStatus.Completed;
        _credit(_treasury, fees);
        _credit(j.artist, refund);
        emit IJobEscrow.JobCompleted(jobId, refund, fees);
    }
}
