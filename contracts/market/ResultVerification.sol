// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IResultVerification} from "../interfaces/IResultVerification.sol";
import {JobEscrow} from "./JobEscrow.sol";

/// @title ResultVerification
/// @notice See {IResultVerification}: one commitment per worker, verifiers drawn by anyone from a
/// later block hash, verdicts, pay held until the contest window closes, and the permissionless
/// actions behind every deadline.
abstract contract ResultVerification is JobEscrow, IResultVerification {
    /// @dev The highest cause code {abandonSeat} takes (6: render time limit).
    uint8 internal constant MAX_ABANDON_CAUSE = 6;

    /// @inheritdoc IResultVerification
    function commitResults(uint256 jobId, bytes32 merkleRoot) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][msg.sender];
        SeatState state = s.state;
        if (state != SeatState.Assigned) {
            if (state >= SeatState.Submitted && state != SeatState.TimedOut && state != SeatState.Reclaimed) {
                revert ResultsAlreadyCommitted(jobId, msg.sender);
            }
            revert NotAssigned(jobId, msg.sender);
        }
        if (block.timestamp > j.renderDeadline) revert RenderDeadlinePassed(jobId, j.renderDeadline);
        if (merkleRoot == bytes32(0)) revert EmptyMerkleRoot();
        uint256 anchorBlock = block.number + _drawDelay;
        s.hash = merkleRoot;
        s.state = SeatState.Submitted;
        s.anchorBlock = uint32(anchorBlock);
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        // Fixed before the anchor hash exists: re-declaring once it is known re-rolls nothing.
        s.backend = _accounts[msg.sender].backend;
        emit ResultsCommitted(jobId, msg.sender, merkleRoot, anchorBlock);
    }

    /// @inheritdoc IResultVerification
    function drawVerifier(uint256 jobId, address worker) external override returns (address verifier) {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Submitted);
        if (s.verifierId != 0) revert VerifierAlreadyDrawn(jobId, worker, _accountOf(s.verifierId));
        return _drawVerifier(jobId, worker, j, s);
    }

    /// @inheritdoc IResultVerification
    function sealEvidence(uint256 jobId, address worker, bytes32 seal) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Submitted);
        _requireVerifierInTime(jobId, worker, s);
        _evidenceSeals[jobId][worker] = seal;
        s.state = SeatState.Sealed;
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        emit EvidenceSealed(jobId, worker, msg.sender, seal);
    }

    /// @inheritdoc IResultVerification
    function revealResults(uint256 jobId, string calldata resultsCid) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][msg.sender];
        _requireState(jobId, msg.sender, s, SeatState.Sealed);
        if (block.timestamp > s.deadline) revert VerificationWindowClosed(jobId, msg.sender, s.deadline);
        s.state = SeatState.Opened;
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        emit ResultsRevealed(jobId, msg.sender, resultsCid);
    }

    /// @inheritdoc IResultVerification
    function attest(uint256 jobId, address worker, bool passed, string calldata evidenceCid) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Opened);
        _requireVerifierInTime(jobId, worker, s);
        if (keccak256(abi.encode(jobId, worker, msg.sender, evidenceCid)) != _evidenceSeals[jobId][worker]) {
            revert EvidenceMismatch(jobId, worker, msg.sender);
        }
        delete _evidenceSeals[jobId][worker]; // the event keeps it; the refund lowers the seat's gas
        emit ResultsAttested(jobId, worker, msg.sender, passed, evidenceCid);
        if (passed) {
            _accept(jobId, worker, j, s);
        } else {
            s.state = SeatState.Failed;
            s.deadline = uint40(block.timestamp + j.verifyWindow);
        }
    }

    /// @inheritdoc IResultVerification
    function acceptResults(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        if (msg.sender != j.artist) revert NotArtist(jobId, msg.sender, j.artist);
        Seat storage s = _seats[jobId][worker];
        SeatState state = s.state;
        if (
            state == SeatState.Failed || state == SeatState.Submitted || state == SeatState.Sealed
                || state == SeatState.Opened
        ) {
            _accept(jobId, worker, j, s);
        } else if (state != SeatState.Accepted) {
            revert SeatNotInState(jobId, worker, state, SeatState.Submitted);
        }
        // The artist's consent is final: nobody else may contest, so it pays at once (waiving
        // the contest window of a verifier's pass). A drawn verifier is paid its fee all the same:
        // accepting first saves nothing.
        _release(jobId, worker, j, s);
    }

    /// @inheritdoc IResultVerification
    function release(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Accepted);
        if (block.timestamp <= s.deadline) revert WindowStillOpen(jobId, worker, s.deadline);
        _release(jobId, worker, j, s);
    }

    /// @inheritdoc IResultVerification
    function finalizeRejection(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        // A worker that keeps its results hidden once the evidence is sealed is treated as a fraud:
        // hiding them must never cost less than being caught.
        if (s.state != SeatState.Sealed) _requireState(jobId, worker, s, SeatState.Failed);
        if (block.timestamp <= s.deadline) revert WindowStillOpen(jobId, worker, s.deadline);
        address[4] memory honest;
        honest[0] = _accountOf(s.verifierId);
        _reject(jobId, worker, j, s, honest, 1);
    }

    /// @inheritdoc IResultVerification
    function claimLate(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Assigned);
        if (block.timestamp <= j.renderDeadline) revert RenderDeadlineNotReached(jobId, j.renderDeadline);
        uint256 slashed = _timeOut(jobId, worker, j, s);
        emit WorkerTimedOut(jobId, worker, slashed);
        _returnTiles(jobId, j, worker, s, false, true);
        _closeSeat(jobId, j);
    }

    /// @inheritdoc IResultVerification
    function abandonSeat(uint256 jobId, uint8 cause) external override {
        if (cause > MAX_ABANDON_CAUSE) revert UnknownCause(cause);
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][msg.sender];
        _requireState(jobId, msg.sender, s, SeatState.Assigned);
        uint256 slashed = _timeOut(jobId, msg.sender, j, s);
        emit SeatAbandoned(jobId, msg.sender, cause, slashed);
        _returnTiles(jobId, j, msg.sender, s, false, true);
        _closeSeat(jobId, j);
    }

    /// @inheritdoc IResultVerification
    function replaceVerifier(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        // Silent before sealing, or silent once the results were revealed.
        if (s.state != SeatState.Opened) _requireState(jobId, worker, s, SeatState.Submitted);
        if (block.timestamp <= s.deadline) revert WindowStillOpen(jobId, worker, s.deadline);
        address silent = _accountOf(s.verifierId);
        if (silent == address(0)) {
            // Nobody drew. Replacing would re-roll a draw the worker may have previewed: a seat
            // is drawn while its hash is readable, or it lapses; only an empty pool moves on.
            if (block.number <= s.anchorBlock) revert RandomnessNotReady(jobId, worker, s.anchorBlock);
            if (blockhash(s.anchorBlock) == bytes32(0)) {
                _lapse(jobId, worker, j, s);
                return;
            }
            bytes32 seed = keccak256(abi.encode(blockhash(s.anchorBlock), jobId, worker, s.round));
            if (_pick(seed, [worker, j.artist, address(0), address(0), address(0), address(0)]) != 0) {
                revert VerifierNotDrawn(jobId, worker);
            }
        } else {
            Account storage v = _accounts[silent];
            v.timeouts += 1;
            v.duties -= 1;
            _credit(worker, _slash(jobId, silent, _silenceSlashBps, SlashReason.Silence));
        }
        _nextRound(jobId, worker, j, s, silent);
    }

    /// @inheritdoc IResultVerification
    function verifyTile(
        uint256 jobId,
        address worker,
        uint256 tileIndex,
        bytes32 tileCidDigest,
        bytes32 pixelHash,
        bytes32[] calldata proof
    ) external view override returns (bool) {
        Seat storage s = _seats[jobId][worker];
        if (s.state < SeatState.Submitted || s.state == SeatState.TimedOut || s.state == SeatState.Reclaimed) {
            revert NotAssigned(jobId, worker);
        }
        if (tileIndex < s.firstTile || tileIndex >= uint256(s.firstTile) + s.tileCount) {
            revert TileOutOfRange(jobId, worker, tileIndex);
        }
        return MerkleProof.verifyCalldata(proof, s.hash, _tileLeaf(tileIndex, tileCidDigest, pixelHash));
    }

    /// @dev A leaf is `keccak256(abi.encode(tileIndex, tileCidDigest, pixelHash))`: 96 bytes, so it
    /// can never be mistaken for an inner node (OpenZeppelin's sorted pair hash of 64 bytes).
    function _tileLeaf(uint256 tileIndex, bytes32 tileCidDigest, bytes32 pixelHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(tileIndex, tileCidDigest, pixelHash));
    }

    /// @dev The caller must be the seat's drawn verifier, within its window.
    function _requireVerifierInTime(uint256 jobId, address worker, Seat storage s) internal view {
        if (msg.sender == worker) revert CannotVerifyOwnWork(jobId, worker);
        address verifier = _accountOf(s.verifierId);
        if (verifier == address(0)) revert VerifierNotDrawn(jobId, worker);
        if (msg.sender != verifier) revert NotDrawnVerifier(jobId, worker, msg.sender, verifier);
        if (block.timestamp > s.deadline) revert VerificationWindowClosed(jobId, worker, s.deadline);
    }

    /// @dev Draws the verifier of the current round and pays the caller the draw bounty. If the
    /// anchor hash expired before anyone drew, the seat lapses (returns zero): no re-roll.
    function _drawVerifier(uint256 jobId, address worker, Job storage j, Seat storage s)
        internal
        returns (address verifier)
    {
        uint256 anchorBlock = s.anchorBlock;
        if (block.number <= anchorBlock) revert RandomnessNotReady(jobId, worker, anchorBlock);
        bytes32 anchorHash = blockhash(anchorBlock);
        if (anchorHash == bytes32(0)) {
            _lapse(jobId, worker, j, s);
            return address(0);
        }
        bytes32 seed = keccak256(abi.encode(anchorHash, jobId, worker, s.round));
        address[6] memory exclude = [worker, j.artist, address(0), address(0), address(0), address(0)];
        uint32 id = _pickPreferred(seed, exclude, s.backend);
        if (id == 0) revert NoEligibleVerifier(jobId, worker);
        s.verifierId = id;
        // The verifier learns of its duty now: its window starts now.
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        verifier = _accountOf(id);
        _accounts[verifier].duties += 1;
        uint256 bounty = _drawBounty(j, s);
        (, Job storage funds) = _fundsOf(jobId, j);
        funds.escrow -= uint96(bounty);
        _credit(msg.sender, bounty);
        emit VerifierDrawn(jobId, worker, verifier, seed, s.round, msg.sender, bounty);
    }

    /// @dev Nobody drew while the anchor hash was readable: the worker, who alone loses by this,
    /// loses the seat like a late worker; there is no second roll.
    function _lapse(uint256 jobId, address worker, Job storage j, Seat storage s) internal {
        uint256 slashed = _timeOut(jobId, worker, j, s);
        emit VerifierDrawMissed(jobId, worker, s.anchorBlock, slashed);
        _returnTiles(jobId, j, worker, s, false, true);
        _closeSeat(jobId, j);
    }

    /// @dev Takes a late (or lapsed) worker's seat: part of its stake goes to the job's reserve
    /// (it pays for the tiles' next round), its collateral is unlocked.
    function _timeOut(uint256 jobId, address worker, Job storage j, Seat storage s) internal returns (uint256 slashed) {
        s.state = SeatState.TimedOut;
        Account storage a = _accounts[worker];
        a.timeouts += 1;
        _unlock(a, _collateral(s.tileCount, s.pricePerTile));
        slashed = _slash(jobId, worker, _lateSlashBps, SlashReason.Late);
        (uint256 rootId, Job storage funds) = _fundsOf(jobId, j);
        _intoReserve(rootId, funds, slashed);
    }
}
