// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IResultVerification} from "../interfaces/IResultVerification.sol";
import {JobEscrow} from "./JobEscrow.sol";
import {MerkleProof} from "../libraries/MerkleProof.sol";

/// @title ResultVerification
/// @notice See {IResultVerification}: one commitment per worker, verifiers drawn from a later
/// block hash, payouts on acceptance, and the permissionless actions behind every deadline.
abstract contract ResultVerification is JobEscrow {
    /// @inheritdoc IResultVerification
    function commitResults(uint256 jobId, bytes32 merkleRoot, string calldata resultsCid) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][msg.sender];
        SeatState state = s.state;
        if (state != SeatState.Assigned) {
            if (state >= SeatState.Submitted && state <= SeatState.Rejected) {
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
        emit ResultsCommitted(jobId, msg.sender, merkleRoot, resultsCid, anchorBlock);
    }

    /// @inheritdoc IResultVerification
    function drawVerifier(uint256 jobId, address worker) external override returns (address verifier) {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Submitted);
        if (s.verifierSlot != 0) revert VerifierAlreadyDrawn(jobId, worker, _poolMember(s.verifierSlot));
        return _drawVerifier(jobId, worker, j, s, true);
    }

    /// @inheritdoc IResultVerification
    function attest(uint256 jobId, address worker, bool passed, string calldata evidenceCid) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Submitted);
        if (msg.sender == worker) revert CannotVerifyOwnWork(jobId, worker);
        if (block.timestamp > s.deadline) revert VerificationWindowClosed(jobId, worker, s.deadline);
        address verifier =
            s.verifierSlot == 0 ? _drawVerifier(jobId, worker, j, s, false) : _poolMember(s.verifierSlot);
        if (msg.sender != verifier) revert NotDrawnVerifier(jobId, worker, msg.sender, verifier);
        emit ResultsAttested(jobId, worker, msg.sender, passed, evidenceCid);
        if (passed) {
            _accept(jobId, worker, j, s, verifier);
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
        if (s.state == SeatState.Failed) {
            // The verifier did its job; the artist overrides its verdict but still pays it.
            _accept(jobId, worker, j, s, _poolMember(s.verifierSlot));
        } else {
            _requireState(jobId, worker, s, SeatState.Submitted);
            _accept(jobId, worker, j, s, address(0));
        }
    }

    /// @inheritdoc IResultVerification
    function finalizeRejection(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Failed);
        if (block.timestamp <= s.deadline) revert WindowStillOpen(jobId, worker, s.deadline);
        address[4] memory honest;
        honest[0] = _poolMember(s.verifierSlot);
        _reject(jobId, worker, j, s, honest, 1, 0);
    }

    /// @inheritdoc IResultVerification
    function claimLate(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Assigned);
        if (block.timestamp <= j.renderDeadline) revert RenderDeadlineNotReached(jobId, j.renderDeadline);
        s.state = SeatState.TimedOut;
        _accounts[worker].timeouts += 1;
        uint256 slashed = _slash(jobId, worker, _lateSlashBps, SlashReason.Late);
        _credit(j.artist, slashed);
        emit WorkerTimedOut(jobId, worker, slashed);
        _closeSeat(jobId, j);
    }

    /// @inheritdoc IResultVerification
    function replaceVerifier(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        _requireState(jobId, worker, s, SeatState.Submitted);
        if (block.timestamp <= s.deadline) revert WindowStillOpen(jobId, worker, s.deadline);
        address silent = _poolMember(s.verifierSlot);
        if (silent != address(0)) _accounts[silent].timeouts += 1;
        uint256 round = s.round + 1;
        emit VerifierReplaced(jobId, worker, silent, round);
        if (round >= MAX_VERIFIER_ROUNDS) {
            // Nobody could verify in time: the worker delivered, so it is paid; the artist keeps
            // its right to contest during the dispute window.
            _accept(jobId, worker, j, s, address(0));
            return;
        }
        s.round = uint8(round);
        s.verifierSlot = 0;
        s.anchorBlock = uint32(block.number + _drawDelay);
        s.deadline = uint40(block.timestamp + j.verifyWindow);
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
        return MerkleProof.verify(proof, s.hash, MerkleProof.tileLeaf(tileIndex, tileCidDigest, pixelHash));
    }

    /// @inheritdoc IResultVerification
    function verifierOf(uint256 jobId, address worker) external view override returns (address) {
        return _poolMember(_seats[jobId][worker].verifierSlot);
    }

    /// @dev Draws the verifier of the current round. With `deferIfExpired`, an expired anchor hash
    /// moves the anchor K blocks ahead and returns zero; otherwise it reverts.
    function _drawVerifier(uint256 jobId, address worker, Job storage j, Seat storage s, bool deferIfExpired)
        internal
        returns (address verifier)
    {
        uint256 anchorBlock = s.anchorBlock;
        if (block.number <= anchorBlock) revert RandomnessNotReady(jobId, worker, anchorBlock);
        bytes32 anchorHash = blockhash(anchorBlock);
        if (anchorHash == bytes32(0)) {
            if (!deferIfExpired) revert RandomnessExpired(jobId, worker, anchorBlock);
            anchorBlock = block.number + _drawDelay;
            s.anchorBlock = uint32(anchorBlock);
            emit VerifierDrawDeferred(jobId, worker, anchorBlock);
            return address(0);
        }
        bytes32 seed = keccak256(abi.encode(anchorHash, jobId, worker, s.round));
        uint32 slot = _pick(seed, [worker, j.artist, address(0), address(0), address(0)]);
        if (slot == 0) revert NoEligibleVerifier(jobId, worker);
        s.verifierSlot = slot;
        verifier = _pool[slot - 1];
        emit VerifierDrawn(jobId, worker, verifier, seed, s.round);
    }

    /// @dev Pays an assignment: the worker its price, `verifier` (if any) its fee, the fee accrues.
    function _accept(uint256 jobId, address worker, Job storage j, Seat storage s, address verifier) internal {
        uint256 tiles = s.tileCount;
        uint256 price = s.pricePerTile;
        uint256 payment = tiles * price;
        uint256 verifierFee = verifier == address(0) ? 0 : tiles * j.verifyFeePerTile;
        s.state = SeatState.Accepted;
        s.deadline = uint40(block.timestamp + j.verifyWindow);
        j.escrow -= uint96(payment + verifierFee);
        j.feesDue += uint96(tiles * _feePerTile(price));
        Account storage w = _accounts[worker];
        w.balance += uint96(payment);
        w.tilesAccepted += uint32(tiles);
        _credit(verifier, verifierFee);
        emit ResultsAccepted(jobId, worker, payment, verifierFee);
        _closeSeat(jobId, j);
    }

    /// @dev Rejects an unpaid assignment as fraud: the failing verifier keeps its fee, the worker
    /// is slashed to the artist and the `honest` verifiers, the tiles' escrow returns to the artist.
    function _reject(
        uint256 jobId,
        address worker,
        Job storage j,
        Seat storage s,
        address[4] memory honest,
        uint256 honestCount,
        uint256 extra
    ) internal {
        uint256 tiles = s.tileCount;
        address verifier = _poolMember(s.verifierSlot);
        uint256 verifierFee = verifier == address(0) ? 0 : tiles * j.verifyFeePerTile;
        s.state = SeatState.Rejected;
        j.escrow -= uint96(verifierFee);
        _credit(verifier, verifierFee);
        _accounts[worker].tilesRejected += uint32(tiles);
        uint256 slashed = _slash(jobId, worker, _fraudSlashBps, SlashReason.Fraud);
        _payFraud(j.artist, slashed + extra, honest, honestCount);
        emit ResultsRejected(jobId, worker, slashed);
        _closeSeat(jobId, j);
    }
}
