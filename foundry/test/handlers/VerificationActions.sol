// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title VerificationActions
/// @notice Fuzzed steps from an assignment to its verdict and pay: results (a Merkle root), draws,
/// blind verification (the verifier seals its evidence, the worker reveals its results, or hides
/// them, the verifier attests with the evidence it sealed), acceptance, release, and the
/// permissionless actions behind each deadline.
abstract contract VerificationActions is MarketCalls, Clock, Choices {
    /// @notice A winner commits its results; one time in eight it is late and must be refused.
    function commitResults(uint256 seat, uint256 late) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Assigned));
        if (!found) return;
        if (late % 8 == 0) _warpTo(market.job(r.jobId).renderDeadline + 1);
        bytes32 root = keccak256(abi.encode(r.jobId, r.worker, r.worker == cheater ? "garbage" : "frames"));
        _commitResults(r.worker, r.jobId, root);
    }

    /// @notice Anyone takes an idle winner's tiles; half the time it first waits for the deadline.
    function claimLate(uint256 seat, uint256 who, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Assigned));
        if (!found) return;
        if (wait % 2 == 0) _warpTo(market.job(r.jobId).renderDeadline + 1);
        _claimLate(_anyone(who), r.jobId, r.worker);
    }

    /// @notice A winner gives its seat back at once, for any cause (half the time after the
    /// deadline); one time in eight with a cause the market must refuse.
    function abandonSeat(uint256 seat, uint256 cause, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Assigned));
        if (!found) return;
        if (wait % 2 == 0) _warpTo(market.job(r.jobId).renderDeadline + 1);
        _abandonSeat(r.worker, r.jobId, uint8(cause % 8));
    }

    /// @notice Anyone draws a seat's verifier once its anchor is mined; one time in sixteen the
    /// anchor hash has expired first and the seat must lapse.
    function drawVerifier(uint256 seat, uint256 who, uint256 blocks) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Submitted));
        if (!found) return;
        if (blocks % 16 == 0) _mine(HASH_WINDOW + 8);
        else _mineUntilPast(market.seat(r.jobId, r.worker).anchorBlock + blocks % 3);
        _drawVerifier(_anyone(who), r.jobId, r.worker);
    }

    /// @notice The seat's drawn verifier seals its evidence (re-rendered, or not, as its role
    /// dictates; silent ones never seal). One time in eight (and always before the draw) a random
    /// staker tries instead, one in sixteen the verifier comes after its window: refused, unless the
    /// staker is the drawn verifier in time (the blind rules decide, see {BlindRules}).
    function sealEvidence(uint256 seat, uint256 who) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Submitted));
        if (!found) return;
        address verifier = _verifierOf(r.jobId, r.worker);
        if (verifier == address(0) || who % 8 == 0) {
            address intruder = _one(stakers, who >> 3);
            _sealEvidence(intruder, r.jobId, r.worker, _evidenceOf(intruder));
            return;
        }
        if ((who >> 3) % 16 == 0) _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _sealAsRole(r);
    }

    /// @notice The worker reveals its results once its verifier sealed; one time in eight it comes
    /// after the reveal window (refused: it hid them), and one in eight someone else tries its own
    /// (refused unless its own seat is sealed).
    function revealResults(uint256 seat, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Sealed));
        if (!found) return;
        if (wait % 8 == 0) _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _revealResults((wait >> 3) % 8 == 0 ? _anyone(wait >> 6) : r.worker, r.jobId);
    }

    /// @notice A worker whose verifier sealed hides its results: the reveal window closes and
    /// anyone rejects the seat as a fraud (half the time someone tries before it closed: refused).
    function hideResults(uint256 seat, uint256 who, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Sealed));
        if (!found) return;
        if (wait % 2 == 0) _finalizeRejection(_anyone(who >> 8), r.jobId, r.worker);
        _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _finalizeRejection(_anyone(who), r.jobId, r.worker);
    }

    /// @notice The seat's verifier attests as its role dictates, with the evidence it sealed;
    /// silent ones never do. One time in eight it names other evidence (refused: the seal does not
    /// match); before anyone drew, or before the reveal, a random staker or the verifier tries, which
    /// must be refused.
    function attest(uint256 seat, uint256 verdict) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Opened) | _bit(IMarketTypes.SeatState.Sealed)
            | _bit(IMarketTypes.SeatState.Submitted);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        address verifier = _verifierOf(r.jobId, r.worker);
        if (verifier == address(0)) {
            _attest(_one(stakers, verdict), r.jobId, r.worker, verdict % 2 == 0, RENDERED);
        } else if ((verdict >> 8) % 8 == 0) {
            _attest(verifier, r.jobId, r.worker, verdict % 2 == 0, "bafy-evidence-cropped-from-the-tiles");
        } else {
            _attestAsRole(r, verdict);
        }
    }

    /// @dev The seat's drawn verifier seals as its role dictates; false when nobody is drawn or the
    /// verifier stays silent.
    function _sealAsRole(SeatRef memory r) internal returns (bool speaks) {
        address verifier = _verifierOf(r.jobId, r.worker);
        if (verifier == address(0)) return false;
        (speaks,) = _verdict(verifier, r.worker, 0);
        if (speaks) _sealEvidence(verifier, r.jobId, r.worker, _evidenceOf(verifier));
    }

    /// @dev The seat's drawn verifier attests as its role dictates, naming the evidence it sealed;
    /// false when nobody is drawn or the verifier stays silent.
    function _attestAsRole(SeatRef memory r, uint256 verdict) internal returns (bool speaks) {
        address verifier = _verifierOf(r.jobId, r.worker);
        if (verifier == address(0)) return false;
        bool passes;
        (speaks, passes) = _verdict(verifier, r.worker, verdict);
        if (speaks) _attest(verifier, r.jobId, r.worker, passes, sealedEvidence[r.jobId][r.worker]);
    }

    /// @notice The artist (one time in eight a stranger) accepts results or waives the contest window.
    function acceptResults(uint256 seat, uint256 who) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Submitted) | _bit(IMarketTypes.SeatState.Sealed)
            | _bit(IMarketTypes.SeatState.Opened) | _bit(IMarketTypes.SeatState.Failed)
            | _bit(IMarketTypes.SeatState.Accepted);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        _acceptResults(who % 8 == 0 ? _anyone(who >> 3) : artistOf[r.jobId], r.jobId, r.worker);
    }

    /// @notice Anyone releases an accepted seat's pay; half the time it first waits for the window.
    function release(uint256 seat, uint256 who, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Accepted));
        if (!found) return;
        if (wait % 2 == 0) _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _release(_anyone(who), r.jobId, r.worker);
    }

    /// @notice Anyone replaces a verifier silent before its seal or after the reveal; three times in
    /// four it first waits for the window.
    function replaceVerifier(uint256 seat, uint256 who, uint256 wait) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Submitted) | _bit(IMarketTypes.SeatState.Opened);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        if (wait % 4 != 0) _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _replaceVerifier(_anyone(who), r.jobId, r.worker);
    }

    /// @notice Anyone rejects an unappealed fail (or a hidden reveal); half the time it first waits
    /// for the window.
    function finalizeRejection(uint256 seat, uint256 who, uint256 wait) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Failed) | _bit(IMarketTypes.SeatState.Sealed);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        if (wait % 2 == 0) _warpTo(market.seat(r.jobId, r.worker).deadline + 1);
        _finalizeRejection(_anyone(who), r.jobId, r.worker);
    }
}
