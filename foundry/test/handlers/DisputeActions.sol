// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title DisputeActions
/// @notice Fuzzed steps of an escalation: the worker appeals a fail, the artist contests a pass, or
/// anyone else challenges a pass as contradicting its verifier's sealed evidence; a panel is drawn
/// (never the challenger), its members seal their votes as their roles dictate and reveal them once
/// reveals open, and anyone resolves.
abstract contract DisputeActions is MarketCalls, Clock, Choices {
    /// @dev The evidence every member seals with its vote.
    string internal constant EVIDENCE = "bafy-evidence";

    /// @notice The worker appeals its fail, or the artist contests an acceptance; one time in eight
    /// someone else tries: refused on a fail, a challenge on a pass (refused for its verifier).
    function openDispute(uint256 seat, uint256 who) external {
        uint256 mask = _bit(IMarketTypes.SeatState.Failed) | _bit(IMarketTypes.SeatState.Accepted);
        (bool found, SeatRef memory r) = _seatFor(seat, mask);
        if (!found) return;
        bool appeal = market.seat(r.jobId, r.worker).state == IMarketTypes.SeatState.Failed;
        address disputer = appeal ? r.worker : artistOf[r.jobId];
        _openDispute(who % 8 == 0 ? _anyone(who >> 3) : disputer, r.jobId, r.worker);
    }

    /// @notice Someone other than the artist challenges an accepted pass: when the pass contradicts the
    /// evidence its verifier sealed, a watcher that recomputed it (the keeper, or a staked account,
    /// which the panel draw must then skip); otherwise anyone, on a hunch (it loses its bond). One
    /// time in eight the seat's own verifier tries, which must be refused.
    function challengePass(uint256 seat, uint256 who) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _bit(IMarketTypes.SeatState.Accepted));
        if (!found) return;
        _challenge(r, who);
    }

    /// @dev See {challengePass}.
    function _challenge(SeatRef memory r, uint256 who) internal returns (bool) {
        address verifier = _verifierOf(r.jobId, r.worker);
        address challenger;
        if (who % 8 == 0 && verifier != address(0)) challenger = verifier;
        else if (_contradicts(r.jobId, r.worker)) challenger = (who >> 3) % 2 == 0 ? keeper : _one(stakers, who >> 4);
        else challenger = _anyone(who >> 3);
        if (challenger == artistOf[r.jobId]) challenger = keeper; // the artist's dispute is a contest
        return _openDispute(challenger, r.jobId, r.worker);
    }

    /// @notice Anyone draws the panel once its anchor is mined; one time in sixteen after its hash
    /// expired, which must be refused (the dispute then ends by its deadline, unvoted).
    function drawPanel(uint256 seat, uint256 who, uint256 blocks) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        if (blocks % 16 == 0) _mine(HASH_WINDOW + 8);
        else _mineUntilPast(market.dispute(r.jobId, r.worker).anchorBlock + blocks % 3);
        _drawPanel(_anyone(who), r.jobId, r.worker);
    }

    /// @notice A panel member (the first from a fuzzed seat that has not sealed) seals its vote as
    /// its role dictates; an undrawn panel is drawn first. Now and then the rules must refuse it:
    /// one time in eight a stranger tries, one time in sixteen the member comes after the commit
    /// window, and when every member sealed one tries again one time in four.
    function commitVote(uint256 seat, uint256 member, uint256 verdict) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (!d.drawn) {
            _mineUntilPast(d.anchorBlock);
            _drawPanel(_anyone(verdict), r.jobId, r.worker);
        }
        if ((verdict >> 8) % 16 == 0) _warpTo(market.dispute(r.jobId, r.worker).deadline + 1);
        if (member % 8 == 0) {
            address stranger = _anyone(member >> 3);
            if (_memberBit(market.dispute(r.jobId, r.worker), stranger) != 0) return;
            _commitVote(stranger, r.jobId, r.worker, _seal(r, stranger, verdict % 2 == 0, verdict));
        } else {
            _commitAsRole(r, _unsealed(r, member % 3), verdict, (verdict >> 16) % 4 == 0);
        }
    }

    /// @dev The first panel seat from `k` on whose member has sealed nothing; `k` if every one did.
    function _unsealed(SeatRef memory r, uint256 k) internal view returns (uint256) {
        address[3] memory members = _panel(r.jobId, r.worker);
        for (uint256 i; i < 3; ++i) {
            address voter = members[(k + i) % 3];
            if (voter != address(0) && sealedVotes[r.jobId][r.worker][voter].commitment == bytes32(0)) {
                return (k + i) % 3;
            }
        }
        return k;
    }

    /// @notice A panel member reveals its sealed vote. Half the time it first waits out the commit
    /// window; otherwise it may come before reveals open, which must be refused. One time in
    /// sixteen it comes after the reveal window, one in eight it reveals the other vote (or other
    /// evidence) than it sealed, and one in four a member that sealed nothing tries: all must be
    /// refused.
    function revealVote(uint256 seat, uint256 member, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        IMarketTypes.Dispute memory d = market.dispute(r.jobId, r.worker);
        if (!d.drawn) return;
        uint256 when = wait % 16;
        if (when == 15) _warpTo(_revealEnd(r.jobId, r.worker) + 1);
        else if (when < 8) _warpTo(uint256(d.deadline) + 1);
        uint256 k = member % 3;
        address voter = _panel(r.jobId, r.worker)[k];
        if (voter != address(0) && sealedVotes[r.jobId][r.worker][voter].commitment == bytes32(0)) {
            if ((wait >> 8) % 4 == 0) _revealVote(voter, r.jobId, r.worker, wait % 2 == 0, bytes32(wait), EVIDENCE);
            return;
        }
        _revealAsRole(r, k, wait >> 16, (wait >> 4) % 8 == 0);
    }

    /// @notice Anyone resolves a dispute; half the time it first waits for the end of the reveal
    /// window, one time in four only for the end of the commit window.
    function resolveDispute(uint256 seat, uint256 who, uint256 wait) external {
        (bool found, SeatRef memory r) = _seatFor(seat, _disputedStates());
        if (!found) return;
        if (wait % 2 == 0) _warpTo(_revealEnd(r.jobId, r.worker) + 1);
        else if (wait % 4 == 1) _warpTo(uint256(market.dispute(r.jobId, r.worker).deadline) + 1);
        _resolveDispute(_anyone(who), r.jobId, r.worker);
    }

    /// @dev Member `k` of the drawn panel seals its vote as its role dictates; false when there is no
    /// such member, it never seals, it already sealed (unless `again`: then it tries, and must be
    /// refused) or the market refused. A copycat seals a copy of a seal another member made.
    function _commitAsRole(SeatRef memory r, uint256 k, uint256 seed, bool again) internal returns (bool) {
        address[3] memory members = _panel(r.jobId, r.worker);
        address voter = members[k];
        if (voter == address(0)) return false;
        SealedVote memory prior = sealedVotes[r.jobId][r.worker][voter];
        if (prior.commitment != bytes32(0)) return again && _commitVote(voter, r.jobId, r.worker, prior);
        (bool commits,, bool fraud) = _conduct(r, voter, seed);
        if (!commits) return false;
        SealedVote memory vote = _seal(r, voter, fraud, seed);
        if (roleOf[voter] == Role.Copycat) {
            for (uint256 m; m < 3; ++m) {
                bytes32 other = sealedVotes[r.jobId][r.worker][members[m]].commitment;
                if (m != k && members[m] != address(0) && other != bytes32(0)) {
                    vote = SealedVote({commitment: other, salt: bytes32(0), fraud: false, copied: true});
                    break;
                }
            }
        }
        return _commitVote(voter, r.jobId, r.worker, vote);
    }

    /// @dev Member `k` reveals its sealed vote (if `flip`, the other vote, or half the time other
    /// evidence), unless it never reveals; false when nothing was revealed. A copycat cannot open the
    /// seal it copied: it guesses.
    function _revealAsRole(SeatRef memory r, uint256 k, uint256 seed, bool flip) internal returns (bool) {
        address voter = _panel(r.jobId, r.worker)[k];
        if (voter == address(0)) return false;
        SealedVote memory vote = sealedVotes[r.jobId][r.worker][voter];
        if (vote.commitment == bytes32(0)) return false;
        (, bool reveals,) = _conduct(r, voter, seed);
        if (!reveals) return false;
        if (vote.copied) {
            vote.fraud = seed % 2 == 0;
            vote.salt = keccak256(abi.encode(seed));
        }
        if (!flip) return _revealVote(voter, r.jobId, r.worker, vote.fraud, vote.salt, EVIDENCE);
        if (seed % 4 < 2) return _revealVote(voter, r.jobId, r.worker, !vote.fraud, vote.salt, EVIDENCE);
        return _revealVote(voter, r.jobId, r.worker, vote.fraud, vote.salt, "bafy-other-evidence");
    }

    /// @dev A vote sealed by `voter` with a salt of its own.
    function _seal(SeatRef memory r, address voter, bool fraud, uint256 seed)
        internal
        pure
        returns (SealedVote memory)
    {
        bytes32 salt = keccak256(abi.encode("tilefarm.vote", r.jobId, r.worker, voter, seed));
        return SealedVote({
            commitment: MarketMath.voteCommitment(r.jobId, r.worker, voter, fraud, salt, EVIDENCE),
            salt: salt,
            fraud: fraud,
            copied: false
        });
    }

    /// @dev How `voter` sits on the seat's panel: on a challenge it judges whether the pass
    /// contradicts the sealed evidence, on an appeal or a contest whether the tiles are fraudulent.
    function _conduct(SeatRef memory r, address voter, uint256 seed)
        internal
        view
        returns (bool commits, bool reveals, bool fraud)
    {
        if (market.seat(r.jobId, r.worker).state == IMarketTypes.SeatState.Challenged) {
            return _challengeConduct(voter, r.worker, _contradicts(r.jobId, r.worker), seed);
        }
        return _panelConduct(voter, r.worker, seed);
    }

    function _disputedStates() internal pure returns (uint256) {
        return _bit(IMarketTypes.SeatState.Disputed) | _bit(IMarketTypes.SeatState.Contested)
            | _bit(IMarketTypes.SeatState.Challenged);
    }
}
