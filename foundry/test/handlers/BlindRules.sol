// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title BlindRules
/// @notice Blind verification as its specification states it (docs/protocol.md, steps 6 to 10),
/// worked out by the handler itself: who may seal, reveal, attest, dispute, replace and reject, and
/// when. Each such call must go through exactly when these rules allow it; the market's own code is
/// never consulted, only its records.
abstract contract BlindRules is HandlerBase {
    string internal constant RENDERED = "bafy-evidence-rendered";
    string internal constant UNRENDERED = "bafy-evidence-never-rendered";

    /// @dev The seal of the sealEvidence in flight, as the handler computed it.
    bytes32 internal pendingSeal;

    /// @dev The seat's drawn verifier (never its worker) seals its evidence within its window, once
    /// per round, before the worker has revealed anything.
    function _sealAllowed(address who, uint256 jobId, address worker) internal view returns (bool) {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        return s.state == IMarketTypes.SeatState.Submitted && s.verifierId != 0 && who != worker
            && market.accountById(s.verifierId) == who && block.timestamp <= s.deadline;
    }

    /// @dev The worker reveals its own results once, after its verifier sealed and within one
    /// verification window of the seal.
    function _revealResultsAllowed(address who, uint256 jobId) internal view returns (bool) {
        IMarketTypes.Seat memory s = market.seat(jobId, who);
        return s.state == IMarketTypes.SeatState.Sealed && block.timestamp <= s.deadline;
    }

    /// @dev The drawn verifier attests once the results are revealed, within its window, naming the
    /// evidence it sealed (the handler kept its opening).
    function _attestAllowed(address who, uint256 jobId, address worker, string memory evidence)
        internal
        view
        returns (bool)
    {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        return s.state == IMarketTypes.SeatState.Opened && s.verifierId != 0 && who != worker
            && market.accountById(s.verifierId) == who && block.timestamp <= s.deadline
            && keccak256(bytes(evidence)) == keccak256(bytes(sealedEvidence[jobId][worker]));
    }

    /// @dev Within the seat's window: the worker appeals its fail, the artist contests a pass, and
    /// anyone else but the seat's verifier challenges a pass (always with the dispute bond).
    function _disputeAllowed(address who, uint256 jobId, address worker) internal view returns (bool) {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        if (block.timestamp > s.deadline) return false;
        if (s.state == IMarketTypes.SeatState.Failed) return who == worker;
        if (s.state != IMarketTypes.SeatState.Accepted) return false;
        return who == artistOf[jobId] || (s.verifierId != 0 && market.accountById(s.verifierId) != who);
    }

    /// @dev A rejection is final after an unappealed fail's window, or after the reveal window of a
    /// worker that hid its results once the evidence was sealed; never earlier, never otherwise.
    function _rejectionAllowed(uint256 jobId, address worker) internal view returns (bool) {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        bool rejectable = s.state == IMarketTypes.SeatState.Failed || s.state == IMarketTypes.SeatState.Sealed;
        return rejectable && block.timestamp > s.deadline;
    }

    /// @dev Whether the rules decide a replacement here, and if so whether they allow it: a verifier
    /// silent after the reveal is replaced once its window closed; a sealed seat is never replaced
    /// (the verifier spoke; the worker owes the reveal). Seats waiting for a seal or a draw are
    /// left to the market (`decided` false): whether an undrawn seat may move on depends on draws.
    function _replacementAllowed(uint256 jobId, address worker) internal view returns (bool decided, bool allowed) {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        if (s.state == IMarketTypes.SeatState.Opened) return (true, block.timestamp > s.deadline);
        if (s.state == IMarketTypes.SeatState.Submitted) return (false, false);
        return (true, false);
    }

    /// @dev The artist accepts a seat that is committed (sealed, revealed), failed or accepted.
    function _acceptAllowed(address who, uint256 jobId, address worker) internal view returns (bool) {
        if (who != artistOf[jobId]) return false;
        IMarketTypes.SeatState state = market.seat(jobId, worker).state;
        return state == IMarketTypes.SeatState.Submitted || state == IMarketTypes.SeatState.Sealed
            || state == IMarketTypes.SeatState.Opened || state == IMarketTypes.SeatState.Failed
            || state == IMarketTypes.SeatState.Accepted;
    }

    /// @dev Whether a pass of the seat contradicts the evidence its verifier sealed: evidence never
    /// rendered agrees with no tiles, and rendered evidence disagrees with the cheater's garbage.
    /// What a challenger (and a truthful panel member) recomputes without rendering.
    function _contradicts(uint256 jobId, address worker) internal view returns (bool) {
        return keccak256(bytes(sealedEvidence[jobId][worker])) != keccak256(bytes(RENDERED)) || worker == cheater;
    }

    /// @dev The evidence `who` seals: re-rendered patches, or (a lazy verifier) something else.
    function _evidenceOf(address who) internal view returns (string memory) {
        return _renders(who) ? RENDERED : UNRENDERED;
    }

    /// @dev A call went through (`ok`) other than the blind rules say (`allowed`).
    function _checkBlind(bool ok, bool allowed, uint256 jobId, address worker, address who, string memory what)
        internal
    {
        if (ok == allowed) return;
        _note(
            Violation.BlindRules,
            string.concat(
                _seatName(jobId, worker), ": ", vm.getLabel(who), ok ? "'s " : " was refused a valid ", what,
                ok ? " went through against the rules" : ""
            )
        );
    }
}
