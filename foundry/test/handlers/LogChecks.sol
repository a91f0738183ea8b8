// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {IJobEscrow} from "contracts/interfaces/IJobEscrow.sol";
import {ISealedBidding} from "contracts/interfaces/ISealedBidding.sol";
import {IResultVerification} from "contracts/interfaces/IResultVerification.sol";
import {IDisputes} from "contracts/interfaces/IDisputes.sol";
import {IWorkerRegistry} from "contracts/interfaces/IWorkerRegistry.sol";
import {IReoffering} from "contracts/interfaces/IReoffering.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {BlindRules} from "./BlindRules.sol";
import {PanelRules} from "./PanelRules.sol";
import {RoundRules} from "./RoundRules.sol";

/// @title LogChecks
/// @notice Reads the events of every successful market call: checks each verdict, draw and payment
/// at the moment it happens, and books what the rules owe to whom. The events only say *that*
/// something happened; the amounts owed come from the rules and the market's records. During a
/// resolveDispute the panel's events are also checked against what {PanelRules} worked out, and
/// every event that moves a posted job's money or tiles is booked by {RoundRules}, which then sweeps
/// the jobs the call touched.
abstract contract LogChecks is BlindRules, PanelRules, RoundRules {
    function _checkLogs(Vm.Log[] memory logs) internal {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market)) _checkLog(logs[i]);
        }
        _afterCall();
    }

    function _checkLog(Vm.Log memory log) private {
        bytes32 topic = log.topics[0];
        if (topic == IJobEscrow.JobPosted.selector) {
            artistOf[_id(log)] = _addr(log.topics[2]);
            ++jobsPosted;
            (, IMarketTypes.JobParams memory p, uint256 deposit,,) =
                abi.decode(log.data, (string, IMarketTypes.JobParams, uint256, uint256, uint256));
            _onPosted(_id(log), p, deposit);
        } else if (topic == ISealedBidding.TilesAssigned.selector) {
            seats.push(SeatRef(_id(log), _addr(log.topics[2])));
            ++seatsAssigned;
            (, uint256 tiles, uint256 price) = abi.decode(log.data, (uint256, uint256, uint256));
            _onAssigned(_id(log), _addr(log.topics[2]), tiles, price);
        } else if (topic == ISealedBidding.BidsSettled.selector) {
            (, uint256 winners, uint256 artistRefund,) = abi.decode(log.data, (uint256, uint256, uint256, uint256));
            _onSettled(_id(log), winners, artistRefund);
        } else if (topic == IResultVerification.VerifierDrawn.selector) {
            (,,, uint256 bounty) = abi.decode(log.data, (bytes32, uint256, address, uint256));
            _onVerifierDrawn(_id(log), _addr(log.topics[2]), _addr(log.topics[3]));
            _onDrawBounty(_id(log), _addr(log.topics[2]), bounty);
        } else if (topic == IResultVerification.VerifierReplaced.selector) {
            // The silent (or overturned) verifier is no longer the seat's: it is owed no fee, and may
            // sit on a panel; its seal is void, and so is a pass it gave (an upheld challenge): the
            // seat needs a new verdict before any pay.
            delete drawnVerifier[_id(log)][_addr(log.topics[2])];
            delete sealedEvidence[_id(log)][_addr(log.topics[2])];
            delete verdictPath[_id(log)][_addr(log.topics[2])];
        } else if (topic == IResultVerification.EvidenceSealed.selector) {
            _onSealed(_id(log), _addr(log.topics[2]), _addr(log.topics[3]), abi.decode(log.data, (bytes32)));
        } else if (topic == IResultVerification.ResultsRevealed.selector) {
            ++resultsRevealed;
        } else if (topic == IResultVerification.ResultsAccepted.selector) {
            _onAccepted(_id(log), _addr(log.topics[2]));
        } else if (topic == IResultVerification.PaymentReleased.selector) {
            (uint256 payment, uint256 verifierFee) = abi.decode(log.data, (uint256, uint256));
            _onReleased(_id(log), _addr(log.topics[2]), payment, verifierFee);
        } else if (topic == IResultVerification.ResultsRejected.selector) {
            _onFraud(_id(log), _addr(log.topics[2]), abi.decode(log.data, (uint256)));
        } else if (
            topic == IResultVerification.WorkerTimedOut.selector || topic == IResultVerification.VerifierDrawMissed.selector
        ) {
            // WorkerTimedOut carries (slashed), VerifierDrawMissed (anchorBlock, slashed).
            uint256 slashed = abi.decode(log.data, (uint256));
            if (topic == IResultVerification.VerifierDrawMissed.selector) (, slashed) = abi.decode(log.data, (uint256, uint256));
            _onLate(_id(log), _addr(log.topics[2]), slashed);
        } else if (topic == IResultVerification.SeatAbandoned.selector) {
            // A seat given back costs what a late one does.
            (, uint256 slashed) = abi.decode(log.data, (uint8, uint256));
            _onLate(_id(log), _addr(log.topics[2]), slashed);
        } else if (topic == IResultVerification.ResultsUnverified.selector) {
            _onUnverified(_id(log), _addr(log.topics[2]));
        } else if (topic == IReoffering.RoundOpened.selector) {
            _onRoundOpened(_id(log), uint256(log.topics[2]), log.data);
        } else if (topic == IReoffering.TilesReturned.selector) {
            (uint256 first, uint256 tiles, uint8 cause) = abi.decode(log.data, (uint256, uint256, uint8));
            _onReturned(_id(log), uint256(log.topics[2]), _addr(log.topics[3]), first, tiles, cause);
        } else if (topic == IReoffering.JobToppedUp.selector) {
            (uint256 amount, uint256 maxPrice) = abi.decode(log.data, (uint256, uint256));
            _onToppedUp(_id(log), amount, maxPrice);
        } else if (topic == IReoffering.ReofferingEnded.selector) {
            _onReofferingEnded(_id(log), abi.decode(log.data, (uint256)));
        } else if (topic == IJobEscrow.JobCompleted.selector) {
            (uint256 refund, uint256 fee) = abi.decode(log.data, (uint256, uint256));
            _onCompleted(_id(log), refund, fee);
        } else if (topic == IJobEscrow.JobCancelled.selector) {
            _onCancelled(_id(log), abi.decode(log.data, (uint256)));
        } else if (topic == IWorkerRegistry.Slashed.selector) {
            (uint8 reason, uint256 amount) = abi.decode(log.data, (uint8, uint256));
            _onSlashed(uint256(log.topics[2]), _addr(log.topics[1]), reason, amount);
        } else if (topic == IDisputes.DisputeOpened.selector) {
            // Listed once per seat: the bond is read from the seat's one dispute record.
            (uint256 jobId, address worker) = (_id(log), _addr(log.topics[2]));
            if (disputesOpened[jobId][worker]++ == 0) disputed.push(SeatRef(jobId, worker));
        } else if (topic == IDisputes.PanelDrawn.selector) {
            (address[3] memory members,) = abi.decode(log.data, (address[3], bytes32));
            _onPanelDrawn(_id(log), _addr(log.topics[2]), members);
        } else if (topic == IDisputes.VoteCommitted.selector) {
            ++votesCommitted;
        } else if (topic == IDisputes.VoteCast.selector) {
            ++votesRevealed;
        } else if (topic == IDisputes.DisputeResolved.selector) {
            (bool fraud, uint256 votesFraud, uint256 votesHonest) = abi.decode(log.data, (bool, uint256, uint256));
            _onVerdict(_id(log), _addr(log.topics[2]), fraud);
            _onResolved(_id(log), _addr(log.topics[2]));
            if (votesFraud + votesHonest != 0) ++disputesResolvedWithVotes;
        } else if (topic == IDisputes.PanelPaid.selector) {
            _onPanelPaid(_id(log), _addr(log.topics[2]), log.data);
        }
    }

    /// @dev The bonds of bids never revealed are forfeited to the artist, and that is all a
    /// settlement credits it: the rest of the escrow stays with the job until it ends.
    function _onSettled(uint256 jobId, uint256 winners, uint256 artistRefund) private {
        IMarketTypes.Job memory j = market.job(jobId);
        owed[artistOf[jobId]] += uint256(j.commits - j.reveals) * j.bidBond;
        _onSettledRound(jobId, winners, artistRefund);
    }

    /// @dev A rejection as fraud: after a final fail or a hidden reveal (`finalizeRejection`: the
    /// verifier is paid its fee and shares the slash), an appeal the panel rejected (the verifier and
    /// the members that voted fraud share it, the verifier is paid) or a contest the panel upheld
    /// (the panel's fee comes out of the slash first; the members that voted fraud share the rest,
    /// the overturned verifier gets nothing). The job takes what they do not.
    function _onFraud(uint256 jobId, address worker, uint256 slashed) private {
        ++seatsRejected;
        Resolution storage res = resolution;
        bool panel = res.pending && res.jobId == jobId && res.worker == worker;
        uint256 winners;
        for (uint256 k; k < 3; ++k) {
            if (res.winner[k]) ++winners;
        }
        if (panel && !res.appeal) {
            uint256 fee = slashed < cfg.disputeBond ? slashed : cfg.disputeBond;
            _onRejected(jobId, worker, slashed - fee, winners, false);
        } else {
            bool paid = drawnVerifier[jobId][worker] != address(0);
            _onRejected(jobId, worker, slashed, panel ? winners + 1 : 1, paid);
        }
    }

    /// @dev Checked at draw time against the stakes from just before the call. The caller earns
    /// the draw bounty.
    function _onVerifierDrawn(uint256 jobId, address worker, address verifier) private {
        drawnVerifier[jobId][worker] = verifier;
        _checkDrawable(jobId, worker, verifier, address(0), "verifier");
        uint256 fee = uint256(market.seat(jobId, worker).tileCount) * market.job(jobId).verifyFeePerTile;
        owed[ctx.caller] += fee * cfg.drawBountyBps / BPS;
    }

    /// @dev Only the seat's drawn verifier seals, and its seal is the one the handler computed for
    /// the evidence it sent.
    function _onSealed(uint256 jobId, address worker, address verifier, bytes32 seal) private {
        ++evidenceSealed;
        if (ctx.caller != verifier || drawnVerifier[jobId][worker] != verifier) {
            _note(
                Violation.BlindRules,
                string.concat(_seatName(jobId, worker), ": evidence sealed by ", vm.getLabel(verifier), ", not its drawn verifier")
            );
        }
        if (seal != pendingSeal) {
            _note(Violation.BlindRules, string.concat(_seatName(jobId, worker), ": the seal on record is not the one sent"));
        }
    }

    function _onPanelDrawn(uint256 jobId, address worker, address[3] memory members) private {
        panelOf[jobId][worker] = members;
        // A challenger never judges its own challenge (an appeal's or a contest's disputer is a party).
        address disputer = market.dispute(jobId, worker).disputer;
        for (uint256 k; k < 3; ++k) {
            if (members[k] == address(0)) continue;
            _checkDrawable(jobId, worker, members[k], drawnVerifier[jobId][worker], "panel member");
            if (members[k] == disputer) {
                _note(Violation.IneligibleDraw, string.concat(_seatName(jobId, worker), ": the disputer sits on its own panel"));
            }
            for (uint256 m; m < k; ++m) {
                if (members[m] == members[k]) {
                    _note(Violation.IneligibleDraw, string.concat(_seatName(jobId, worker), ": panel member twice"));
                }
            }
        }
    }

    function _checkDrawable(uint256 jobId, address worker, address drawn, address verifier, string memory as_)
        private
    {
        string memory what = string.concat(_seatName(jobId, worker), ": ", as_, " ", vm.getLabel(drawn));
        if (!ctx.stakesTaken) {
            _note(Violation.IneligibleDraw, string.concat(what, " drawn in a call the handler did not expect to draw"));
        } else if (stakeBefore[drawn] < cfg.minStake) {
            _note(Violation.IneligibleDraw, string.concat(what, " drawn with stake ", vm.toString(stakeBefore[drawn])));
        }
        if (drawn == worker || drawn == artistOf[jobId] || (verifier != address(0) && drawn == verifier)) {
            _note(Violation.IneligibleDraw, string.concat(what, " is excluded from this draw"));
        }
    }

    /// @dev An accepting verdict is legitimate only on the path the call was expected to take.
    function _onAccepted(uint256 jobId, address worker) private {
        Path path = ctx.path;
        bool ok;
        if (path == Path.VerifierPassed) {
            ok = ctx.jobId == jobId && ctx.worker == worker && drawnVerifier[jobId][worker] == ctx.caller;
        } else if (path == Path.ArtistAccepted) {
            ok = ctx.caller == artistOf[jobId];
        } else if (path == Path.PanelDecided) {
            ok = ctx.appealUpheld && ctx.jobId == jobId && ctx.worker == worker;
        }
        if (ok) {
            verdictPath[jobId][worker] = path;
        } else {
            _note(
                Violation.UnauthorizedVerdict,
                string.concat(_seatName(jobId, worker), " accepted in a call by ", vm.getLabel(ctx.caller))
            );
        }
    }

    /// @dev Pay goes to a seat with an accepting verdict, once, and is its tiles at its price; its
    /// drawn verifier gets its fee (what every round's bounty left of it), unless a panel upheld the
    /// worker's appeal against it; the treasury's protocol fee on it accrues in the posted job.
    function _onReleased(uint256 jobId, address worker, uint256 payment, uint256 verifierFee) private {
        string memory seat = _seatName(jobId, worker);
        if (++payments[jobId][worker] > 1) _note(Violation.DoublePayment, string.concat(seat, " paid twice"));
        if (verdictPath[jobId][worker] == Path.None) {
            // A panel that upholds an appeal may pay at once, without a separate acceptance.
            if (ctx.path == Path.PanelDecided && ctx.appealUpheld && ctx.jobId == jobId && ctx.worker == worker) {
                verdictPath[jobId][worker] = Path.PanelDecided;
            } else {
                _note(Violation.PayWithoutVerdict, string.concat(seat, " paid without an accepting verdict"));
            }
        }
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        uint256 due = uint256(s.tileCount) * s.pricePerTile;
        if (payment != due) {
            _note(Violation.WrongPayment, string.concat(seat, " paid ", vm.toString(payment), ", due ", vm.toString(due)));
        }
        Resolution storage res = resolution;
        bool upheldAppeal = res.pending && res.jobId == jobId && res.worker == worker && res.appeal && !res.fraud;
        uint256 feePerTile = market.job(jobId).verifyFeePerTile;
        uint256 feeDue = upheldAppeal || drawnVerifier[jobId][worker] == address(0)
            ? 0
            : MarketMath.verifierFee(s.tileCount, feePerTile, cfg.drawBountyBps, s.round);
        if (verifierFee != feeDue) {
            _note(Violation.WrongPayment, string.concat(seat, " paid its verifier ", vm.toString(verifierFee), ", due ", vm.toString(feeDue)));
        }
        owed[worker] += due;
        owed[drawnVerifier[jobId][worker]] += uint256(s.tileCount) * feePerTile;
        owed[treasury] += uint256(s.tileCount) * (uint256(s.pricePerTile) * cfg.protocolFeeBps / BPS);
        ++seatsPaid;
        _onPaid(jobId, s.tileCount, s.pricePerTile, payment + verifierFee);
    }

    /// @dev Who may receive a slash, by its reason: lateness (into the job's reserve, the artist's at
    /// the end unless it pays for the tiles' next round) and a sealed bid never revealed go to the
    /// artist, a verifier's silence to the waiting worker, a false verdict to the wronged worker
    /// or artist (the panel's fee out of it is within the bond booked at the verdict), fraud to the
    /// honest verifiers and members and the job's reserve (the artist's), a panel member's silence or losing vote to the
    /// members and the party the verdict favours, or the treasury (each counted in full: the split
    /// is not visible here; {PanelRules} checks the panel's split exactly).
    function _onSlashed(uint256 jobId, address who, uint8 reason, uint256 amount) private {
        address artist_ = artistOf[jobId];
        if (resolution.pending) _onPanelSlash(who, reason, amount);
        if (resolution.pending && (reason == uint8(IMarketTypes.SlashReason.Silence) || reason == uint8(IMarketTypes.SlashReason.Outvoted))) {
            owed[artist_] += amount;
            owed[resolution.worker] += amount;
            owed[treasury] += amount;
            address[3] memory members = panelOf[jobId][resolution.worker];
            for (uint256 k; k < 3; ++k) {
                owed[members[k]] += amount;
            }
        } else if (reason == uint8(IMarketTypes.SlashReason.Late) || reason == uint8(IMarketTypes.SlashReason.Unrevealed)) {
            owed[artist_] += amount;
        } else if (reason == uint8(IMarketTypes.SlashReason.Silence)) {
            owed[ctx.worker] += amount;
        } else if (reason == uint8(IMarketTypes.SlashReason.FalseAccusation)) {
            owed[ctx.worker] += amount;
            owed[artist_] += amount;
            if (resolution.pending) owed[resolution.disputer] += amount; // an upheld challenge
        } else if (reason == uint8(IMarketTypes.SlashReason.Fraud)) {
            owed[artist_] += amount;
            _owePanel(jobId, who, amount);
        }
    }

    /// @dev The dispute bond goes back to its poster, or pays the panel (the remainder to the party
    /// the verdict favours); when the disputer won, the panel's fee (at most a bond) comes out of the
    /// loser's slash instead. Either way each member and either party gets at most a bond of it.
    function _onResolved(uint256 jobId, address worker) private {
        uint256 bond = cfg.disputeBond;
        owed[worker] += bond;
        owed[artistOf[jobId]] += bond;
        // A challenge's panel remainder goes to the challenger (upheld) or the verifier (rejected).
        owed[resolution.disputer] += bond;
        owed[resolution.verifier] += bond;
        address[3] memory members = panelOf[jobId][worker];
        for (uint256 k; k < 3; ++k) {
            owed[members[k]] += bond;
        }
        ++disputesResolved;
    }

    function _owePanel(uint256 jobId, address worker, uint256 amount) private {
        owed[drawnVerifier[jobId][worker]] += amount;
        address[3] memory members = panelOf[jobId][worker];
        for (uint256 k; k < 3; ++k) {
            owed[members[k]] += amount;
        }
    }

    function _id(Vm.Log memory log) private pure returns (uint256) {
        return uint256(log.topics[1]);
    }

    function _addr(bytes32 topic) private pure returns (address) {
        return address(uint160(uint256(topic)));
    }
}
