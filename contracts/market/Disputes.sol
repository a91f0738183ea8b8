// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IDisputes} from "../interfaces/IDisputes.sol";
import {IResultVerification} from "../interfaces/IResultVerification.sol";
import {Settlement} from "./Settlement.sol";

/// @title Disputes
/// @notice See {IDisputes}. The dispute bond is held in the dispute record until resolution. These
/// rules run in {PanelCourt}, on the market's storage, by delegate call from {JobMarket}.
abstract contract Disputes is Settlement, IDisputes {
    /// @inheritdoc IDisputes
    function openDispute(uint256 jobId, address worker, string calldata reasonCid) external payable override {
        Job storage j = _job(jobId);
        Seat storage s = _seats[jobId][worker];
        SeatState state = s.state;
        // The worker appeals a fail; the artist contests a pass (the tiles are fraudulent); anyone
        // else (but the verifier) challenges a pass (it contradicts the verifier's own evidence).
        if (state == SeatState.Failed && msg.sender == worker) {
            s.state = SeatState.Disputed;
        } else if (state == SeatState.Accepted && msg.sender == j.artist) {
            s.state = SeatState.Contested;
        } else if (state == SeatState.Accepted && msg.sender != _accountOf(s.verifierId) && s.verifierId != 0) {
            s.state = SeatState.Challenged; // anyone else: the pass contradicts its own evidence
        } else {
            revert NotDisputable(jobId, worker, msg.sender, state);
        }
        if (block.timestamp > s.deadline) revert DisputeWindowClosed(jobId, worker, s.deadline);
        if (msg.value != _disputeBond) revert WrongDisputeBond(msg.value, _disputeBond);
        // A seat can be disputed again (after a challenge): nothing of an earlier panel carries over.
        delete _disputes[jobId][worker];
        delete _voteCommits[jobId][worker];
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
        // Drawn within the dispute's first window or never: a late draw would restart the windows.
        if (block.timestamp > d.deadline) revert VotingClosed(jobId, worker, d.deadline);
        _drawPanel(jobId, worker, j, d);
    }

    /// @inheritdoc IDisputes
    function commitVote(uint256 jobId, address worker, bytes32 commitment) external override {
        Dispute storage d = _openDispute(jobId, worker);
        if (block.timestamp > d.deadline) revert VotingClosed(jobId, worker, d.deadline);
        uint256 bit = _panelBit(d, msg.sender);
        if (bit == 0) revert NotOnPanel(jobId, worker, msg.sender);
        if (d.committedMask & bit != 0) revert AlreadyVoted(jobId, worker, msg.sender);
        d.committedMask |= uint8(bit);
        _voteCommits[jobId][worker][bit >> 1] = commitment;
        emit VoteCommitted(jobId, worker, msg.sender, commitment);
    }

    /// @inheritdoc IDisputes
    function revealVote(uint256 jobId, address worker, bool fraud, bytes32 salt, string calldata evidenceCid)
        external
        override
    {
        Job storage j = _job(jobId);
        Dispute storage d = _openDispute(jobId, worker);
        uint256 bit = _panelBit(d, msg.sender);
        if (d.committedMask & bit == 0) revert VoteNotCommitted(jobId, worker, msg.sender);
        if (d.votedMask & bit != 0) revert AlreadyVoted(jobId, worker, msg.sender);
        uint256 deadline = d.deadline;
        if (block.timestamp <= deadline && d.committedMask != _seatedMask(d)) {
            revert RevealsNotOpen(jobId, worker, deadline);
        }
        uint256 revealEnd = deadline + j.verifyWindow;
        if (block.timestamp > revealEnd) revert RevealsClosed(jobId, worker, revealEnd);
        bytes32 sealedVote = keccak256(abi.encode(jobId, worker, msg.sender, fraud, salt, evidenceCid));
        if (sealedVote != _voteCommits[jobId][worker][bit >> 1]) revert VoteMismatch(jobId, worker, msg.sender);
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
        bool everyoneRevealed = d.drawn && seated != 0 && (d.votedMask & 7) == seated;
        uint256 revealEnd = uint256(d.deadline) + j.verifyWindow;
        if (!everyoneRevealed && block.timestamp <= revealEnd) revert VotingStillOpen(jobId, worker, revealEnd);

        SeatState state = s.state;
        bool appeal = state == SeatState.Disputed;
        bool fraud;
        if (d.votesFraud != d.votesHonest) {
            fraud = d.votesFraud > d.votesHonest;
        } else {
            fraud = appeal; // a tie or silence upholds the original verdict
        }
        emit DisputeResolved(jobId, worker, fraud, d.votesFraud, d.votesHonest);

        // The side that lost pays the panel: the disputer's bond, or up to a bond of the loser's slash.
        uint256 bond = d.bond;
        d.bond = 0;
        uint256 fee = bond;
        if (appeal != fraud) {
            fee = 0;
            _credit(d.disputer, bond);
        }
        (address[4] memory winners, uint256 winnerCount) = _voters(d, fraud);
        address beneficiary = fraud ? j.artist : worker;
        if (state == SeatState.Challenged) {
            (fee, beneficiary) = _resolveChallenge(jobId, worker, j, s, d, fraud, fee);
        } else if (appeal) {
            if (fraud) {
                // The failing verifier was right: it and the fraud voters share with the artist.
                winners[winnerCount] = _accountOf(s.verifierId);
                _reject(jobId, worker, j, s, winners, winnerCount + 1);
            } else {
                address liar = _accountOf(s.verifierId);
                s.verifierId = 0; // the liar forfeits its fee, which returns to the artist
                _accounts[liar].duties -= 1;
                uint256 slashed = _slash(jobId, liar, _falseAccusationSlashBps, SlashReason.FalseAccusation);
                fee = _feeOutOf(slashed);
                _credit(worker, slashed - fee);
                _accept(jobId, worker, j, s);
                _release(jobId, worker, j, s); // a panel's verdict is final
            }
        } else if (fraud) {
            // Nothing was paid yet: the pay and its fee stay in escrow for the artist.
            _overturnPass(jobId, s);
            s.state = SeatState.Rejected;
            uint256 slashed = _slashFraud(jobId, worker, s);
            fee = _feeOutOf(slashed);
            (uint256 rootId, Job storage funds) = _fundsOf(jobId, j);
            _payFraud(rootId, funds, slashed - fee, winners, winnerCount);
            emit IResultVerification.ResultsRejected(jobId, worker, slashed);
            _returnTiles(jobId, j, worker, s, false, true);
            _closeSeat(jobId, j);
        } else {
            _release(jobId, worker, j, s); // a panel's verdict is final
        }
        _payPanel(jobId, worker, d, fraud, fee, beneficiary);
    }

    /// @dev A challenged pass. Upheld (`contradicted`): the verifier loses its fee and
    /// `falseAccusationSlashBps` of its stake, which pays the panel and the challenger; the seat is
    /// verified again in a new round (the worker's tiles were never judged). Rejected: the pass
    /// stands with a fresh contest window, and the challenger's bond pays the panel.
    /// @return fee the panel's fee
    /// @return beneficiary who takes the panel's rounding: the side the outcome favours
    function _resolveChallenge(
        uint256 jobId,
        address worker,
        Job storage j,
        Seat storage s,
        Dispute storage d,
        bool contradicted,
        uint256 bond
    ) internal returns (uint256 fee, address beneficiary) {
        address verifier = _accountOf(s.verifierId);
        if (!contradicted) {
            s.state = SeatState.Accepted;
            s.deadline = uint40(block.timestamp + j.verifyWindow);
            return (bond, verifier);
        }
        _accounts[verifier].duties -= 1;
        uint256 slashed = _slash(jobId, verifier, _falseAccusationSlashBps, SlashReason.FalseAccusation);
        fee = _feeOutOf(slashed);
        _credit(d.disputer, slashed - fee);
        _nextRound(jobId, worker, j, s, verifier);
        return (fee, d.disputer);
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

    /// @dev The panel's fee taken out of a loser's slash: the dispute bond, or all of a smaller slash.
    function _feeOutOf(uint256 slashed) internal view returns (uint256) {
        return slashed < _disputeBond ? slashed : _disputeBond;
    }

    /// @dev Ends every member's duty and pays the panel: each member who revealed earns an equal
    /// share of `fee`; each member who stayed silent or revealed against the outcome loses up to the
    /// dispute bond of its stake, shared by the members who revealed for the outcome (or, if there
    /// are none, credited to the treasury). Rounding, and the fee when nobody revealed, go to
    /// `beneficiary`.
    function _payPanel(uint256 jobId, address worker, Dispute storage d, bool fraud, uint256 fee, address beneficiary)
        internal
    {
        uint32[3] memory ids = [d.member0, d.member1, d.member2];
        uint256 mask = d.votedMask;
        // slither-disable-next-line uninitialized-local
        address[3] memory revealed;
        // slither-disable-next-line uninitialized-local
        address[3] memory winners;
        uint256 revealedCount;
        uint256 winnerCount;
        uint256 forfeited;
        for (uint256 k; k < PANEL_SIZE; ++k) {
            if (ids[k] == 0) continue;
            address member = _accountOf(ids[k]);
            _accounts[member].duties -= 1;
            bool voted = mask & (1 << k) != 0;
            if (voted) revealed[revealedCount++] = member;
            if (voted && (mask & (1 << (k + 4)) != 0) == fraud) {
                winners[winnerCount++] = member;
            } else {
                SlashReason reason = voted ? SlashReason.Outvoted : SlashReason.Silence;
                forfeited += _slashAmount(jobId, member, _disputeBond, reason);
            }
        }
        uint256 feeEach = revealedCount == 0 ? 0 : fee / revealedCount;
        uint256 bondsEach = winnerCount == 0 ? 0 : forfeited / winnerCount;
        for (uint256 i; i < revealedCount; ++i) {
            _credit(revealed[i], feeEach);
        }
        for (uint256 i; i < winnerCount; ++i) {
            _credit(winners[i], bondsEach);
        }
        // slither-disable-next-line divide-before-multiply
        uint256 remainder = fee - feeEach * revealedCount;
        if (winnerCount == 0) {
            // Nobody voted for the outcome: a silent panel must not pay the side its silence
            // favours, so what the members forfeited goes to the treasury.
            _credit(_treasury, forfeited);
        } else {
            remainder += forfeited - bondsEach * winnerCount;
        }
        _credit(beneficiary, remainder);
        emit PanelPaid(jobId, worker, beneficiary, feeEach, bondsEach, remainder);
    }

    /// @inheritdoc IDisputes
    function voteCommitments(uint256 jobId, address worker) external view override returns (bytes32[3] memory) {
        return _voteCommits[jobId][worker];
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 jobId, address worker) external view override returns (Dispute memory) {
        return _disputes[jobId][worker];
    }

    function _openDispute(uint256 jobId, address worker) internal view returns (Dispute storage d) {
        SeatState state = _seats[jobId][worker].state;
        if (state != SeatState.Disputed && state != SeatState.Contested && state != SeatState.Challenged) {
            revert SeatNotInState(jobId, worker, state, SeatState.Disputed);
        }
        d = _disputes[jobId][worker];
    }

    /// @dev An expired anchor hash is not re-anchored (that would re-roll the panel): the dispute
    /// then resolves at its deadline with the verdict under dispute upheld, so the disputer, who
    /// alone loses by that, draws in time.
    function _drawPanel(uint256 jobId, address worker, Job storage j, Dispute storage d) internal {
        uint256 anchorBlock = d.anchorBlock;
        if (block.number <= anchorBlock) revert IResultVerification.RandomnessNotReady(jobId, worker, anchorBlock);
        bytes32 anchorHash = blockhash(anchorBlock);
        if (anchorHash == bytes32(0)) revert RandomnessExpired(jobId, worker, anchorBlock);
        bytes32 seed = keccak256(abi.encode(anchorHash, jobId, worker, "panel"));
        Seat storage s = _seats[jobId][worker];
        address[6] memory exclude;
        exclude[0] = worker;
        exclude[1] = j.artist;
        exclude[2] = _accountOf(s.verifierId);
        exclude[5] = d.disputer; // a challenger must not judge its own challenge
        // Empty panel seats stay zero.
        // slither-disable-next-line uninitialized-local
        address[3] memory members;
        // slither-disable-next-line uninitialized-local
        uint32[3] memory slots;
        for (uint256 k; k < PANEL_SIZE; ++k) {
            // The first seat prefers the class the worker committed on, so that a cross-device
            // appeal likely seats one member of it; the majority is drawn uniformly, which keeps
            // Sybils of a rare class from buying it (see docs/protocol.md, step 5).
            bytes32 memberSeed = keccak256(abi.encode(seed, k));
            uint32 id = k == 0 ? _pickPreferred(memberSeed, exclude, s.backend) : _pick(memberSeed, exclude);
            if (id == 0) break;
            slots[k] = id;
            members[k] = _accountOf(id);
            _accounts[members[k]].duties += 1; // cannot withdraw its stake before the verdict
            if (k < 2) exclude[3 + k] = members[k];
        }
        d.member0 = slots[0];
        d.member1 = slots[1];
        d.member2 = slots[2];
        d.drawn = true;
        // The members learn of their duty now: their commit window starts now (a draw just before
        // the dispute's first deadline must not leave them no time to seal).
        d.deadline = uint40(block.timestamp + j.verifyWindow);
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
