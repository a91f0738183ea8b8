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
import {LogChecks} from "./LogChecks.sol";

/// @title MarketCalls
/// @notice One small function per market entry point: it says what the call may legitimately do
/// (its verdict path, whether it may draw) and sends it as `who`. A revert is counted, never
/// propagated, so the campaign goes on; a signature change in the market is a one-line fix here.
abstract contract MarketCalls is LogChecks {
    /// @dev Whether a seat already disputed may be disputed again (see {_openDispute}).
    bool internal constant SECOND_DISPUTES = true;
    /// @dev ETH the caller received in the last successful call.
    uint256 internal lastReceived;
    /// @dev The selector of the error the last call that failed reverted with.
    bytes4 internal lastRevert;

    function _stake(address who, uint256 amount) internal returns (bool ok) {
        ok = _exec(who, amount, abi.encodeCall(IWorkerRegistry.stake, ()));
        if (ok) stakedIn[who] += amount;
    }

    function _requestUnstake(address who, uint256 amount) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IWorkerRegistry.requestUnstake, (amount)));
    }

    /// @dev Pays exactly what was unstaking, and only once it unlocked.
    function _withdrawStake(address who) internal returns (bool ok) {
        IMarketTypes.Account memory before = market.account(who);
        ok = _exec(who, 0, abi.encodeCall(IWorkerRegistry.withdrawStake, ()));
        if (!ok) return false;
        withdrawnStake[who] += lastReceived;
        if (lastReceived != before.unstaking || block.timestamp < before.unlockAt) {
            _note(
                Violation.WithdrawalMismatch,
                string.concat(vm.getLabel(who), " withdrew ", vm.toString(lastReceived), " of stake, unstaking ", vm.toString(before.unstaking))
            );
        }
    }

    /// @dev Pays exactly what was credited.
    function _withdraw(address who) internal returns (bool ok) {
        uint256 credited = market.balanceOf(who);
        ok = _exec(who, 0, abi.encodeCall(IJobEscrow.withdraw, ()));
        if (ok && lastReceived != credited) {
            _note(
                Violation.WithdrawalMismatch,
                string.concat(vm.getLabel(who), " withdrew ", vm.toString(lastReceived), ", credited ", vm.toString(credited))
            );
        }
    }

    /// @dev The handler posts nothing else invalid: a posting goes through exactly when its rounds
    /// are possible (see {RoundRules-_roundsValid}).
    function _postJob(address who, IMarketTypes.JobParams memory p, uint256 deposit) internal returns (bool ok) {
        bool allowed = _roundsValid(p);
        ok = _exec(who, deposit, abi.encodeCall(IJobEscrow.postJob, (p, "bafy-manifest")));
        if (ok != allowed) {
            _note(
                Violation.RoundRules,
                string.concat(
                    "a posting with ", vm.toString(uint256(p.maxRounds)), " rounds until ", vm.toString(uint256(p.finalDeadline)),
                    ok ? " went through" : " was refused"
                )
            );
        }
    }

    function _cancelJob(address who, uint256 jobId) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IJobEscrow.cancelJob, (jobId)));
    }

    /// @dev A worker barred from the job (see {RoundRules-_checkBid}) may not bid in it or any of its
    /// rounds; nobody else is refused for that.
    function _commitBid(address who, uint256 jobId, Bid memory bid, uint256 bond) internal returns (bool ok) {
        bytes32 commitment = MarketMath.commitment(jobId, who, bid.price, bid.tiles, bid.salt);
        ok = _exec(who, bond, abi.encodeCall(ISealedBidding.commitBid, (jobId, commitment, bid.tiles)));
        _checkBid(jobId, who, ok, lastRevert);
    }

    function _revealBid(address who, uint256 jobId, Bid memory bid) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.revealBid, (jobId, bid.price, bid.tiles, bid.salt)));
    }

    function _settle(address who, uint256 jobId, address[] memory ranked) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.settle, (jobId, ranked)));
    }

    function _reclaimBond(address who, uint256 jobId) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.reclaimBond, (jobId)));
    }

    function _forfeitBid(address who, uint256 jobId, address bidder) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(ISealedBidding.forfeitBid, (jobId, bidder)));
    }

    /// @dev Only the Merkle root: the results list stays unpublished until the evidence is sealed.
    function _commitResults(address who, uint256 jobId, bytes32 root) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IResultVerification.commitResults, (jobId, root)));
    }

    function _drawVerifier(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, true);
        return _exec(who, 0, abi.encodeCall(IResultVerification.drawVerifier, (jobId, worker)));
    }

    /// @dev A seal goes through exactly when the blind rules allow it (the drawn verifier, in its
    /// window, before any reveal); the handler keeps the evidence it opens to.
    function _sealEvidence(address who, uint256 jobId, address worker, string memory evidence) internal returns (bool ok) {
        bool allowed = _sealAllowed(who, jobId, worker);
        bytes32 seal = MarketMath.evidenceSeal(jobId, worker, who, evidence);
        pendingSeal = seal;
        _expect(who, jobId, worker, Path.None, false);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.sealEvidence, (jobId, worker, seal)));
        _checkBlind(ok, allowed, jobId, worker, who, "seal");
        if (ok) sealedEvidence[jobId][worker] = evidence;
    }

    /// @dev A reveal goes through exactly when the blind rules allow it (the worker, after the seal,
    /// within its window).
    function _revealResults(address who, uint256 jobId) internal returns (bool ok) {
        bool allowed = _revealResultsAllowed(who, jobId);
        _expect(who, jobId, who, Path.None, false);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.revealResults, (jobId, "bafy-results")));
        _checkBlind(ok, allowed, jobId, who, who, "reveal");
    }

    /// @dev A pass is a verdict only from the seat's drawn verifier, after the reveal and with the
    /// evidence it sealed: the attestation goes through exactly when the blind rules allow it. Like
    /// a panel vote, it is checked as a call that may draw, should the market ever draw lazily in it.
    function _attest(address who, uint256 jobId, address worker, bool passed, string memory evidence)
        internal
        returns (bool ok)
    {
        bool allowed = _attestAllowed(who, jobId, worker, evidence);
        _expect(who, jobId, worker, passed ? Path.VerifierPassed : Path.None, true);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.attest, (jobId, worker, passed, evidence)));
        _checkBlind(ok, allowed, jobId, worker, who, "attestation");
    }

    function _acceptResults(address who, uint256 jobId, address worker) internal returns (bool ok) {
        bool allowed = _acceptAllowed(who, jobId, worker);
        _expect(who, jobId, worker, Path.ArtistAccepted, false);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.acceptResults, (jobId, worker)));
        _checkBlind(ok, allowed, jobId, worker, who, "acceptance");
    }

    function _release(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.release, (jobId, worker)));
    }

    /// @dev Goes through exactly after an unappealed fail's window or after a hidden reveal's.
    function _finalizeRejection(address who, uint256 jobId, address worker) internal returns (bool ok) {
        bool allowed = _rejectionAllowed(jobId, worker);
        bool hidden = market.seat(jobId, worker).state == IMarketTypes.SeatState.Sealed;
        _expect(who, jobId, worker, Path.None, false);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.finalizeRejection, (jobId, worker)));
        _checkBlind(ok, allowed, jobId, worker, who, "rejection");
        if (ok && hidden) ++revealsHidden;
    }

    function _claimLate(address who, uint256 jobId, address worker) internal returns (bool) {
        _expect(who, jobId, worker, Path.None, false);
        return _exec(who, 0, abi.encodeCall(IResultVerification.claimLate, (jobId, worker)));
    }

    /// @dev A worker gives its own seat back; the books treat it as a late seat ({LogChecks}).
    function _abandonSeat(address worker, uint256 jobId, uint8 cause) internal returns (bool) {
        _expect(worker, jobId, worker, Path.None, false);
        return _exec(worker, 0, abi.encodeCall(IResultVerification.abandonSeat, (jobId, cause)));
    }

    function _declareHardware(address who, uint8 backend, uint32 vramMiB) internal returns (bool) {
        return _exec(who, 0, abi.encodeCall(IWorkerRegistry.declareHardware, (backend, vramMiB)));
    }

    /// @dev A verifier silent after the reveal is replaced exactly once its window closed; a sealed
    /// seat never is (see {BlindRules-_replacementAllowed}).
    function _replaceVerifier(address who, uint256 jobId, address worker) internal returns (bool ok) {
        (bool decided, bool allowed) = _replacementAllowed(jobId, worker);
        bool opened = market.seat(jobId, worker).state == IMarketTypes.SeatState.Opened;
        _expect(who, jobId, worker, Path.None, true);
        ok = _exec(who, 0, abi.encodeCall(IResultVerification.replaceVerifier, (jobId, worker)));
        if (decided) _checkBlind(ok, allowed, jobId, worker, who, "replacement");
        if (ok && opened) ++silentAfterReveal;
    }

    /// @dev A round opens exactly when the rules allow it, and is the round they say
    /// ({RoundRules-_reofferAllowed}, {RoundRules-_checkRoundOpened}).
    function _reoffer(address who, uint256 jobId) internal returns (bool ok) {
        bool allowed = _reofferAllowed(jobId);
        RoundPlan memory plan = _planRound(jobId);
        _expect(who, jobId, address(0), Path.None, false);
        ok = _exec(who, 0, abi.encodeCall(IReoffering.reoffer, (jobId)));
        if (ok != allowed) {
            _note(
                Violation.RoundRules,
                string.concat("job ", vm.toString(jobId), ": reoffer by ", vm.getLabel(who), ok ? " went through against the rules" : " was refused")
            );
        }
        if (ok) _checkRoundOpened(jobId, plan);
    }

    /// @dev A top-up goes through exactly when the rules allow it, and sets the next maximum price.
    function _topUp(address who, uint256 jobId, uint256 amount, uint80 maxPrice) internal returns (bool ok) {
        bool allowed = _topUpAllowed(who, jobId, maxPrice);
        _expect(who, jobId, address(0), Path.None, false);
        ok = _exec(who, amount, abi.encodeCall(IReoffering.topUp, (jobId, maxPrice)));
        if (ok != allowed || (ok && market.reofferOf(jobId).maxPricePerTile != maxPrice)) {
            _note(
                Violation.RoundRules,
                string.concat("job ", vm.toString(jobId), ": top-up by ", vm.getLabel(who), ok ? " went through against the rules, or set another price" : " was refused")
            );
        }
    }

    /// @dev Re-offering ends exactly when the rules allow it; then no round is left, and the job
    /// ends at once exactly when nothing of it is open (checked with every call that may end a job).
    function _endReoffering(address who, uint256 jobId) internal returns (bool ok) {
        bool allowed = _endAllowed(who, jobId);
        _expect(who, jobId, address(0), Path.None, false);
        ok = _exec(who, 0, abi.encodeCall(IReoffering.endReoffering, (jobId)));
        if (ok != allowed) {
            _note(
                Violation.RoundRules,
                string.concat("job ", vm.toString(jobId), ": endReoffering by ", vm.getLabel(who), ok ? " went through against the rules" : " was refused")
            );
        }
        if (ok) ++reofferingsEnded;
    }

    /// @dev A dispute (an appeal, a contest or a challenge) goes through exactly when the rules
    /// allow it. An undrawn panel's window is two verification windows from the dispute.
    ///
    /// A challenge can leave a seat disputable again (a rejected one returns it to Accepted, an
    /// upheld one to a new round); each dispute must start from a clean record (no panel, votes or
    /// masks of the last one), which the campaign's `closing` checks. `SECOND_DISPUTES` off keeps
    /// the campaign to one dispute per seat.
    function _openDispute(address who, uint256 jobId, address worker) internal returns (bool ok) {
        if (!SECOND_DISPUTES && disputesOpened[jobId][worker] != 0) return false;
        bool allowed = _disputeAllowed(who, jobId, worker);
        bool challenge = allowed && market.seat(jobId, worker).state == IMarketTypes.SeatState.Accepted
            && who != artistOf[jobId];
        _expect(who, jobId, worker, Path.None, false);
        ok = _exec(who, cfg.disputeBond, abi.encodeCall(IDisputes.openDispute, (jobId, worker, "bafy-reason")));
        _checkBlind(ok, allowed, jobId, worker, who, "dispute");
        if (!ok) return false;
        _checkPanelWindow(jobId, worker, 2);
        if (challenge) ++challengesOpened;
    }

    /// @dev A panel is drawn only within the dispute's first window; it takes on one duty per member
    /// and moves no other duty; its members' commit window is one verification window from the draw.
    function _drawPanel(address who, uint256 jobId, address worker) internal returns (bool ok) {
        uint256 firstWindow = market.dispute(jobId, worker).deadline;
        _expect(who, jobId, worker, Path.None, true);
        ok = _exec(who, 0, abi.encodeCall(IDisputes.drawPanel, (jobId, worker)));
        if (!ok) return false;
        if (block.timestamp > firstWindow) {
            _note(Violation.VoteRules, string.concat(_seatName(jobId, worker), ": panel drawn after the dispute's first window"));
        }
        _checkPanelWindow(jobId, worker, 1);
        address[3] memory members = panelOf[jobId][worker];
        for (uint256 i; i < everyone.length; ++i) {
            address a = everyone[i];
            uint256 due = dutiesBefore[a];
            for (uint256 k; k < 3; ++k) {
                if (members[k] == a) ++due;
            }
            if (market.account(a).duties != due) {
                _note(
                    Violation.PanelDuties,
                    string.concat(_seatName(jobId, worker), ": the panel's draw left ", vm.getLabel(a), " with ", vm.toString(uint256(market.account(a).duties)), " duties, not ", vm.toString(due))
                );
            }
        }
    }

    function _checkPanelWindow(uint256 jobId, address worker, uint256 windows) private {
        uint256 due = block.timestamp + windows * market.job(jobId).verifyWindow;
        uint256 deadline = market.dispute(jobId, worker).deadline;
        if (deadline != due) {
            _note(
                Violation.VoteRules,
                string.concat(_seatName(jobId, worker), ": the commit window ends at ", vm.toString(deadline), ", not ", vm.toString(due))
            );
        }
    }

    /// @dev A sealed vote goes through exactly when the rules allow it (a member of the drawn panel,
    /// once, within the commit window); the handler keeps its opening. Like an attestation, it is
    /// checked as a call that may draw, should the market ever draw lazily in it.
    function _commitVote(address who, uint256 jobId, address worker, SealedVote memory vote)
        internal
        returns (bool ok)
    {
        bool allowed = _commitAllowed(who, jobId, worker);
        _expect(who, jobId, worker, Path.None, true);
        ok = _exec(who, 0, abi.encodeCall(IDisputes.commitVote, (jobId, worker, vote.commitment)));
        if (ok != allowed) {
            _note(
                Violation.VoteRules,
                string.concat(_seatName(jobId, worker), ": ", vm.getLabel(who), ok ? "'s seal went through against the rules" : "'s valid seal was refused")
            );
        }
        if (ok) sealedVotes[jobId][worker][who] = vote;
    }

    /// @dev A reveal goes through exactly when the rules allow it: the member's own sealed vote, salt
    /// and evidence, once, after every member sealed or the commit window closed, before the reveal
    /// window closes. A reveal before reveals open is refused (and counted).
    function _revealVote(address who, uint256 jobId, address worker, bool fraud, bytes32 salt, string memory evidence)
        internal
        returns (bool ok)
    {
        (bool allowed, bool early) = _revealAllowed(who, jobId, worker, fraud, salt, evidence);
        _expect(who, jobId, worker, Path.None, true);
        ok = _exec(who, 0, abi.encodeCall(IDisputes.revealVote, (jobId, worker, fraud, salt, evidence)));
        if (ok != allowed) {
            _note(
                Violation.VoteRules,
                string.concat(
                    _seatName(jobId, worker), ": ", vm.getLabel(who),
                    ok ? (early ? " revealed before reveals opened" : " revealed against the rules") : " could not reveal its sealed vote"
                )
            );
        }
        if (!ok && early) ++earlyRevealsRefused;
    }

    /// @dev A panel's verdict accepts the seat only when it upholds the worker's appeal by a majority.
    /// It goes through exactly when every member revealed or the reveal window closed, and moves
    /// everyone's money, stake and duties exactly as the panel's rules say ({PanelRules}).
    function _resolveDispute(address who, uint256 jobId, address worker) internal returns (bool ok) {
        IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
        _predictResolution(jobId, worker);
        _expect(who, jobId, worker, Path.PanelDecided, false);
        ctx.appealUpheld = market.seat(jobId, worker).state == IMarketTypes.SeatState.Disputed
            && d.votesHonest > d.votesFraud;
        ok = _exec(who, 0, abi.encodeCall(IDisputes.resolveDispute, (jobId, worker)));
        _checkResolution(ok);
    }

    function _expect(address who, uint256 jobId, address worker, Path path, bool mayDraw) private {
        ctx = CallContext({
            caller: who,
            jobId: jobId,
            worker: worker,
            path: path,
            appealUpheld: false,
            stakesTaken: mayDraw
        });
        if (!mayDraw) return;
        for (uint256 i; i < everyone.length; ++i) {
            IMarketTypes.Account memory a = market.account(everyone[i]);
            stakeBefore[everyone[i]] = a.stake;
            dutiesBefore[everyone[i]] = a.duties;
        }
    }

    /// @dev Sends `data` as `who` with `value`. On success: ETH may only have left the market to
    /// `who`, the money moved is booked, and the events are checked.
    function _exec(address who, uint256 value, bytes memory data) private returns (bool ok) {
        bytes4 selector = bytes4(data);
        if (ctx.caller != who) _expect(who, 0, address(0), Path.None, false);
        uint256 marketBefore = address(market).balance;
        uint256 whoBefore = who.balance;
        ++callsOf[selector];
        ++marketCalls;
        vm.recordLogs();
        vm.prank(who);
        bytes memory returned;
        (ok, returned) = address(market).call{value: value}(data);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        valueInFlight = value;
        selectorInFlight = selector;
        if (ok) {
            lastReceived = who.balance + value - whoBefore;
            sentIn[who] += value;
            takenOut[who] += lastReceived;
            if (address(market).balance + lastReceived != marketBefore + value) {
                _note(Violation.EthLeak, string.concat("a call by ", vm.getLabel(who), " sent ETH elsewhere"));
            }
            _checkLogs(logs);
        } else {
            lastRevert = returned.length >= 4 ? bytes4(returned) : bytes4(0);
            ++revertsOf[selector];
            ++marketReverts;
        }
        delete ctx;
    }
}
