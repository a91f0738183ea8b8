// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IDisputes} from "../interfaces/IDisputes.sol";
import {ResultVerification} from "./ResultVerification.sol";

/// @title Disputes
/// @notice See {IDisputes}. The dispute bond is held in the dispute record until resolution.
abstract contract Disputes is ResultVerification {
    /// @inheritdoc IDisputes
    function openDispute(uint256 jobId, address worker, string calldata reasonCid) external payable override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        SeatState state = s.state;
        if (state == SeatState.Failed && msg.sender == worker) {
            s.state = SeatState.Disputed;
        } else if (state == SeatState.Accepted && msg.sender == j.artist) {
            s.state = SeatState.Contested;
        } else {
            revert NotDisputable(jobId, worker, msg.sender, state);
        }
        if (block.timestamp > s.deadline) revert DisputeWindowClosed(jobId, worker, s.deadline);
        if (msg.value != _disputeBond) revert WrongDisputeBond(msg.value, _disputeBond);
        Dispute storage d = _disputes[jobId][worker];
        d.disputer = msg.sender;
        d.bond = uint96(msg.value);
        d.anchorBlock = uint32(block.number + _drawDelay);
        d.deadline = uint40(block.timestamp + 2 * uint256(j.verifyWindow));
        emit DisputeOpened(jobId, worker, msg.sender, msg.value, reasonCid);
    }

    /// @inheritdoc IDisputes
    function drawPanel(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Dispute storage d = _openDispute(jobId, worker);
        if (d.drawn) revert PanelAlreadyDrawn(jobId, worker);
        _drawPanel(jobId, worker, j, d);
    }

    /// @inheritdoc IDisputes
    function vote(uint256 jobId, address worker, bool fraud, string calldata evidenceCid) external override {
        Dispute storage d = _openDispute(jobId, worker);
        if (block.timestamp > d.deadline) revert VotingClosed(jobId, worker, d.deadline);
        uint256 bit = _panelBit(d, msg.sender);
        if (bit == 0) revert NotOnPanel(jobId, worker, msg.sender);
        if (d.votedMask & bit != 0) revert AlreadyVoted(jobId, worker, msg.sender);
        d.votedMask |= uint8(bit);
        if (fraud) {
            d.votesFraud += 1;
            d.votedMask |= uint8(bit << 4);
        } else {
            d.votesHonest += 1;
        }
        emit VoteCast(jobId, worker, msg.sender, fraud, evidenceCid);
    }

    /// @inheritdoc IDisputes
    function resolveDispute(uint256 jobId, address worker) external override {
        Job storage j = _job(jobId);
        Dispute storage d = _openDispute(jobId, worker);
        Seat storage s = _seats[jobId][worker];
        uint256 seated = _seatedMask(d);
        bool everyoneVoted = d.drawn && seated != 0 && (d.votedMask & 7) == seated;
        if (!everyoneVoted && block.timestamp <= d.deadline) revert VotingStillOpen(jobId, worker, d.deadline);

        bool appeal = s.state == SeatState.Disputed;
        bool fraud;
        if (d.votesFraud != d.votesHonest) {
            fraud = d.votesFraud > d.votesHonest;
        } else {
            fraud = appeal; // a tie or silence upholds the original verdict
        }
        emit DisputeResolved(jobId, worker, fraud, d.votesFraud, d.votesHonest);

        uint256 bond = d.bond;
        address disputer = d.disputer;
        d.bond = 0;
        (address[4] memory voters, uint256 voterCount) = _voters(d, fraud);
        if (appeal) {
            if (fraud) {
                // The failing verifier was right: it and the fraud voters share with the artist.
                voters[voterCount] = _accountOf(s.verifierId);
                _reject(jobId, worker, j, s, voters, voterCount + 1, bond);
            } else {
                address liar = _accountOf(s.verifierId);
                s.verifierId = 0; // the liar forfeits its fee, which returns to the artist
                _accounts[liar].duties -= 1;
                uint256 slashed = _slash(jobId, liar, _falseAccusationSlashBps, SlashReason.FalseAccusation);
                _credit(worker, slashed + bond);
                _accept(jobId, worker, j, s);
                _release(jobId, worker, j, s); // a panel's verdict is final
            }
        } else {
            if (fraud) {
                // Nothing was paid yet: the pay and its fee stay in escrow for the artist.
                _overturnPass(jobId, s);
                s.state = SeatState.Rejected;
                uint256 slashed = _slashFraud(jobId, worker, s);
                _payFraud(j.artist, slashed, voters, voterCount);
                _credit(disputer, bond);
                emit ResultsRejected(jobId, worker, slashed);
                _closeSeat(jobId, j);
            } else {
                _credit(worker, bond);
                _release(jobId, worker, j, s); // a panel's verdict is final
            }
        }
    }

    /// @dev A pass the panel overturned: its verifier loses its fee (left in escrow for the artist)
    /// and `falseAccusationSlashBps` of its stake, to the artist.
    function _overturnPass(uint256 jobId, Seat storage s) internal {
        address verifier = _accountOf(s.verifierId);
        if (verifier == address(0)) return; // no verifier was drawn (only a pass is contestable)
        s.verifierId = 0;
        _accounts[verifier].duties -= 1;
        uint256 slashed = _slash(jobId, verifier, _falseAccusationSlashBps, SlashReason.FalseAccusation);
        _credit(_jobs[jobId].artist, slashed);
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 jobId, address worker) external view override returns (Dispute memory) {
        return _disputes[jobId][worker];
    }

    function _openDispute(uint256 jobId, address worker) internal view returns (Dispute storage d) {
        SeatState state = _seats[jobId][worker].state;
        if (state != SeatState.Disputed && state != SeatState.Contested) {
            revert SeatNotInState(jobId, worker, state, SeatState.Disputed);
        }
        d = _disputes[jobId][worker];
    }

    /// @dev An expired anchor hash is not re-anchored (that would re-roll the panel): the dispute
    /// then resolves at its deadline with the verdict under dispute upheld, so the disputer, who
    /// alone loses by that, draws in time.
    function _drawPanel(uint256 jobId, address worker, Job storage j, Dispute storage d) internal {
        uint256 anchorBlock = d.anchorBlock;
        if (block.number <= anchorBlock) revert RandomnessNotReady(jobId, worker, anchorBlock);
        bytes32 anchorHash = blockhash(anchorBlock);
        if (anchorHash == bytes32(0)) revert RandomnessExpired(jobId, worker, anchorBlock);
        bytes32 seed = keccak256(abi.encode(anchorHash, jobId, worker, "panel"));
        address[5] memory exclude;
        exclude[0] = worker;
        exclude[1] = j.artist;
        exclude[2] = _accountOf(_seats[jobId][worker].verifierId);
        // Empty panel seats stay zero.
        // slither-disable-next-line uninitialized-local
        address[3] memory members;
        // slither-disable-next-line uninitialized-local
        uint32[3] memory slots;
        for (uint256 k; k < PANEL_SIZE; ++k) {
            uint32 id = _pick(keccak256(abi.encode(seed, k)), exclude);
            if (id == 0) break;
            slots[k] = id;
            members[k] = _accountOf(id);
            if (k < 2) exclude[3 + k] = members[k];
        }
        d.member0 = slots[0];
        d.member1 = slots[1];
        d.member2 = slots[2];
        d.drawn = true;
        emit PanelDrawn(jobId, worker, members, seed);
    }

    /// @dev Bit 1, 2 or 4 for the panel seat of `who`, or 0.
    function _panelBit(Dispute storage d, address who) internal view returns (uint256) {
        if (d.member0 != 0 && _accountOf(d.member0) == who) return 1;
        if (d.member1 != 0 && _accountOf(d.member1) == who) return 2;
        if (d.member2 != 0 && _accountOf(d.member2) == who) return 4;
        return 0;
    }

    function _seatedMask(Dispute storage d) internal view returns (uint256 mask) {
        if (d.member0 != 0) mask |= 1;
        if (d.member1 != 0) mask |= 2;
        if (d.member2 != 0) mask |= 4;
    }

    /// @dev The panel members who voted `fraud` (bits 0-2 voted, bits 4-6 voted fraud).
    function _voters(Dispute storage d, bool fraud) internal view returns (address[4] memory voters, uint256 count) {
        uint32[3] memory slots = [d.member0, d.member1, d.member2];
        uint256 mask = d.votedMask;
        for (uint256 k; k < PANEL_SIZE; ++k) {
            if (mask & (1 << k) == 0) continue;
            bool votedFraud = mask & (1 << (k + 4)) != 0;
            if (votedFraud == fraud) voters[count++] = _accountOf(slots[k]);
        }
    }
}
