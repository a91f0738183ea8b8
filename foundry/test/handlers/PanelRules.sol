// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title PanelRules
/// @notice The panel's rules as its specification states them, worked out by the handler itself:
/// when a sealed vote may be committed or revealed and a dispute resolved, and, before every
/// resolveDispute, exactly what the verdict owes each party (ledger credits, stake slashed, duties
/// ended, the PanelPaid figures). After the call every actor's books are compared with that, so
/// the panel's money is checked to the wei and per party, not only in total. The formulas come
/// from {MarketMath}, never from the market's own code.
abstract contract PanelRules is HandlerBase {
    /// @dev What the rules say the resolveDispute in flight does.
    struct Resolution {
        bool pending; // a resolveDispute is in flight: its events are checked against this
        bool allowed; // every seated member revealed, or the reveal window closed
        uint256 jobId;
        address worker;
        bool appeal; // the worker appealed a fail (else the artist contested a pass, or anyone else challenged it)
        bool challenge; // anyone but the artist and the verifier challenged a pass as contradicting its evidence
        bool fraud; // the verdict: the majority of revealed votes, a tie upholding the verdict disputed
        address disputer;
        address verifier; // the seat's drawn verifier before the call
        address beneficiary;
        uint256 feeEach;
        uint256 bondsEach;
        uint256 remainder;
        address[3] members;
        bool[3] revealed;
        bool[3] winner; // revealed a vote equal to the verdict
        uint256[3] loss; // what a silent or outvoted member forfeits: min(disputeBond, bonded)
        bool[3] slashSeen;
        uint256 panelPaidEvents;
    }

    /// @dev One seat's verdict being worked out: the records it reads and the money it moves.
    struct Case {
        address worker;
        address artist;
        address verifier;
        uint256 tiles;
        uint256 price;
        uint256 round;
        uint256 verifyFeePerTile;
        uint256 escrow; // of the posted job, which holds the money of all its rounds
        uint256 feesDue; // likewise
        uint256 openSeats; // of the seat's own job or round
        bool inRound; // the seat is a round's, not the posted job's
        uint256 rootSeats; // the posted job's own open seats
        uint256 rootRounds; // the posted job's open rounds
        bool rootActive;
        bool roundsOpen; // a round may still open for unsold tiles: rounds left, final deadline not passed
        bool unsold; // the posted job has unsold tiles
        bool returnsTiles; // the verdict returns the seat's tiles to the unsold ones (fraud, or unverified)
        bool appeal;
        bool challenge;
        bool fraud; // on a challenge: the pass contradicts its evidence
        bool closes; // the verdict resolves the seat (a challenge upheld in the last round closes it unverified)
        address beneficiary; // who takes what nobody on the panel takes
        uint256 fee; // the panel's fee
        address[4] winners; // members that revealed for the verdict (and, on a fraud appeal, the verifier)
        uint256 winnerCount; // members only
    }

    /// @dev Per actor (by its slot in `everyone`): bonded stake as the call goes, wei credited,
    /// stake taken, duties ended.
    struct Sim {
        uint256[] bonded;
        uint256[] credit;
        uint256[] loss;
        uint256[] duties;
    }

    Resolution internal resolution;
    mapping(address who => uint256) internal creditDue;
    mapping(address who => uint256) internal stakeLost;
    mapping(address who => uint256) internal dutiesEnded;
    mapping(address who => uint256) internal balanceBefore;
    mapping(address who => uint256) internal bondedBefore;

    /// @dev A member may seal a vote while the seat is disputed, before the commit deadline, once.
    function _commitAllowed(address who, uint256 jobId, address worker) internal view returns (bool) {
        if (!_inDispute(jobId, worker)) return false;
        IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
        uint256 bit = _memberBit(d, who);
        return bit != 0 && block.timestamp <= d.deadline && d.committedMask & bit == 0;
    }

    /// @dev A member that sealed a vote may open it once, with the vote, salt and evidence it sealed,
    /// once every seated member sealed or the commit window closed, until the reveal window closes.
    /// `early`: reveals are not open yet.
    function _revealAllowed(
        address who,
        uint256 jobId,
        address worker,
        bool fraud,
        bytes32 salt,
        string memory evidenceCid
    ) internal view returns (bool allowed, bool early) {
        if (!_inDispute(jobId, worker)) return (false, false);
        IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
        uint256 bit = _memberBit(d, who);
        early = block.timestamp <= d.deadline && d.committedMask != _seatedMask(d);
        bytes32 sealed_ = sealedVotes[jobId][worker][who].commitment;
        allowed = bit != 0 && d.committedMask & bit != 0 && d.votedMask & bit == 0 && !early
            && block.timestamp <= _revealEnd(jobId, worker)
            && MarketMath.voteCommitment(jobId, worker, who, fraud, salt, evidenceCid) == sealed_;
    }

    /// @dev Works out, before the call, what resolving `worker`'s dispute in `jobId` does to
    /// everyone's books.
    function _predictResolution(uint256 jobId, address worker) internal {
        delete resolution;
        Sim memory sim = _snapshot();
        Resolution storage res = resolution;
        res.pending = true;
        res.jobId = jobId;
        res.worker = worker;
        if (_inDispute(jobId, worker)) {
            IMarketTypes.Dispute memory d = market.dispute(jobId, worker);
            res.disputer = d.disputer;
            uint256 verifierId = market.seat(jobId, worker).verifierId;
            res.verifier = verifierId == 0 ? address(0) : market.accountById(verifierId);
            bool allRevealed = d.drawn && _seatedMask(d) != 0 && (d.votedMask & 7) == _seatedMask(d);
            res.allowed = allRevealed || block.timestamp > _revealEnd(jobId, worker);
            if (res.allowed) _simulate(sim, jobId, worker, d);
        }
        for (uint256 i; i < everyone.length; ++i) {
            address who = everyone[i];
            creditDue[who] = sim.credit[i];
            stakeLost[who] = sim.loss[i];
            dutiesEnded[who] = sim.duties[i];
        }
    }

    /// @dev After the call: it went through exactly when the rules allow it, and every actor's ledger
    /// balance, bonded stake and duties moved exactly as the rules say.
    function _checkResolution(bool ok) internal {
        Resolution storage res = resolution;
        res.pending = false;
        string memory seat = _seatName(res.jobId, res.worker);
        if (ok != res.allowed) {
            _note(
                Violation.VoteRules,
                string.concat(
                    seat,
                    ok
                        ? " resolved though a member could still reveal (or the seat was not disputed)"
                        : " not resolved though every member revealed or the reveal window closed"
                )
            );
        }
        if (!ok || !res.allowed) return;
        Verdict verdict;
        if (res.challenge) verdict = res.fraud ? Verdict.ChallengeUpheld : Verdict.ChallengeRejected;
        else if (res.appeal) verdict = res.fraud ? Verdict.AppealRejected : Verdict.AppealUpheld;
        else verdict = res.fraud ? Verdict.ContestUpheld : Verdict.ContestDismissed;
        ++verdicts[verdict];
        for (uint256 i; i < everyone.length; ++i) {
            _checkBooks(everyone[i], seat);
        }
        for (uint256 k; k < 3; ++k) {
            if (res.members[k] != address(0)) _checkMember(k, seat);
        }
        if (res.panelPaidEvents != 1) {
            _note(
                Violation.PanelFeeMisShared,
                string.concat(seat, ": PanelPaid emitted ", vm.toString(res.panelPaidEvents), " times")
            );
        }
    }

    function _checkBooks(address who, string memory seat) private {
        IMarketTypes.Account memory a = market.account(who);
        uint256 bonded = uint256(a.stake) + a.unstaking;
        string memory party = string.concat(seat, ": ", vm.getLabel(who));
        if (a.balance != balanceBefore[who] + creditDue[who]) {
            _note(
                Violation.DisputeMisPaid,
                string.concat(
                    party,
                    " balance ",
                    vm.toString(uint256(a.balance)),
                    ", the rules say ",
                    vm.toString(balanceBefore[who] + creditDue[who])
                )
            );
        }
        if (bonded + stakeLost[who] != bondedBefore[who]) {
            _note(
                Violation.DisputeMisPaid,
                string.concat(
                    party,
                    " bonds ",
                    vm.toString(bonded),
                    ", the rules say ",
                    vm.toString(_less(bondedBefore[who], stakeLost[who]))
                )
            );
        }
        if (a.duties + dutiesEnded[who] != dutiesBefore[who]) {
            _note(
                Violation.PanelDuties,
                string.concat(
                    party,
                    " has ",
                    vm.toString(uint256(a.duties)),
                    " duties after the verdict, ",
                    vm.toString(dutiesBefore[who]),
                    " before it, and ",
                    vm.toString(dutiesEnded[who]),
                    " ended"
                )
            );
        }
    }

    /// @dev A winner keeps its stake; a silent or outvoted member lost min(disputeBond, bonded); a
    /// member that revealed was credited its share of the fee (a winner its share of the forfeits too).
    function _checkMember(uint256 k, string memory seat) private {
        Resolution storage res = resolution;
        address member = res.members[k];
        IMarketTypes.Account memory a = market.account(member);
        uint256 bonded = uint256(a.stake) + a.unstaking;
        uint256 before = bondedBefore[member];
        string memory who = string.concat(seat, ": member ", vm.getLabel(member));
        if (res.winner[k]) {
            if (bonded < before) {
                _note(Violation.PanelWinnerSlashed, string.concat(who, " voted for the verdict and lost stake"));
            }
        } else {
            uint256 due = before < cfg.disputeBond ? before : cfg.disputeBond;
            if (!res.slashSeen[k] || bonded + due != before) {
                _note(
                    Violation.PanelLoserMisSlashed,
                    string.concat(
                        who,
                        res.revealed[k] ? " (outvoted)" : " (silent)",
                        " bonds ",
                        vm.toString(bonded),
                        " of ",
                        vm.toString(before),
                        ", should lose ",
                        vm.toString(due)
                    )
                );
            }
        }
        if (res.revealed[k]) {
            uint256 panelPay = res.feeEach + (res.winner[k] ? res.bondsEach : 0);
            if (a.balance != balanceBefore[member] + creditDue[member] || creditDue[member] < panelPay) {
                _note(
                    Violation.PanelFeeMisShared,
                    string.concat(
                        who,
                        " revealed and was credited ",
                        vm.toString(_less(a.balance, balanceBefore[member])),
                        ", owed ",
                        vm.toString(creditDue[member]),
                        " (feeEach ",
                        vm.toString(res.feeEach),
                        ")"
                    )
                );
            }
        }
    }

    /// @dev A slash in the resolveDispute in flight: a winner is never slashed; a silent member for
    /// Silence, an outvoted one for Outvoted, once, min(disputeBond, bonded); nobody else for either.
    function _onPanelSlash(address who, uint8 reason, uint256 amount) internal {
        Resolution storage res = resolution;
        bool panelReason =
            reason == uint8(IMarketTypes.SlashReason.Silence) || reason == uint8(IMarketTypes.SlashReason.Outvoted);
        string memory what = string.concat(
            _seatName(res.jobId, res.worker),
            ": ",
            vm.getLabel(who),
            " slashed ",
            vm.toString(amount),
            " for reason ",
            vm.toString(uint256(reason))
        );
        for (uint256 k; k < 3; ++k) {
            if (res.members[k] != who || who == address(0)) continue;
            if (res.winner[k]) {
                _note(Violation.PanelWinnerSlashed, string.concat(what, ", though it voted for the verdict"));
                return;
            }
            IMarketTypes.SlashReason due =
                res.revealed[k] ? IMarketTypes.SlashReason.Outvoted : IMarketTypes.SlashReason.Silence;
            uint256 before = bondedBefore[who];
            if (
                reason != uint8(due) || amount != (before < cfg.disputeBond ? before : cfg.disputeBond)
                    || res.slashSeen[k]
            ) {
                _note(Violation.PanelLoserMisSlashed, string.concat(what, ", bonded ", vm.toString(before)));
            }
            res.slashSeen[k] = true;
            ++panelSlashes;
            return;
        }
        if (panelReason) _note(Violation.PanelLoserMisSlashed, string.concat(what, ", not a member that lost"));
    }

    /// @dev The PanelPaid of the resolveDispute in flight carries the rules' figures.
    function _onPanelPaid(uint256 jobId, address worker, bytes memory data) internal {
        Resolution storage res = resolution;
        (address beneficiary, uint256 feeEach, uint256 bondsEach, uint256 remainder) =
            abi.decode(data, (address, uint256, uint256, uint256));
        ++res.panelPaidEvents;
        if (
            !res.pending || jobId != res.jobId || worker != res.worker || beneficiary != res.beneficiary
                || feeEach != res.feeEach || bondsEach != res.bondsEach || remainder != res.remainder
        ) {
            _note(
                Violation.PanelFeeMisShared,
                string.concat(
                    _seatName(jobId, worker),
                    ": PanelPaid ",
                    _panelFigures(beneficiary, feeEach, bondsEach, remainder),
                    "; the rules say ",
                    _panelFigures(res.beneficiary, res.feeEach, res.bondsEach, res.remainder)
                )
            );
        }
    }

    function _panelFigures(address beneficiary, uint256 feeEach, uint256 bondsEach, uint256 remainder)
        private
        view
        returns (string memory)
    {
        return string.concat(
            "feeEach ",
            vm.toString(feeEach),
            " bondsEach ",
            vm.toString(bondsEach),
            " remainder ",
            vm.toString(remainder),
            " to ",
            vm.getLabel(beneficiary)
        );
    }

    /// @dev The verdict is the majority of the revealed votes; a tie or none upholds the verdict disputed.
    function _onVerdict(uint256 jobId, address worker, bool fraud) internal {
        Resolution storage res = resolution;
        // A resolution the rules refuse is reported as such once the call returns.
        if (res.pending && !res.allowed) return;
        if (!res.pending || jobId != res.jobId || worker != res.worker || fraud != res.fraud) {
            _note(
                Violation.VoteRules,
                string.concat(_seatName(jobId, worker), ": the verdict is not the one the revealed votes give")
            );
        }
    }

    function _snapshot() private returns (Sim memory sim) {
        uint256 n = everyone.length;
        sim = Sim(new uint256[](n), new uint256[](n), new uint256[](n), new uint256[](n));
        for (uint256 i; i < n; ++i) {
            IMarketTypes.Account memory a = market.account(everyone[i]);
            sim.bonded[i] = uint256(a.stake) + a.unstaking;
            balanceBefore[everyone[i]] = a.balance;
            bondedBefore[everyone[i]] = sim.bonded[i];
            dutiesBefore[everyone[i]] = a.duties;
        }
    }

    function _simulate(Sim memory sim, uint256 jobId, address worker, IMarketTypes.Dispute memory d) private {
        Case memory c = _case(jobId, worker, d);
        c.closes = true;
        c.beneficiary = c.fraud ? c.artist : c.worker;
        if (c.challenge) {
            _simulateChallenge(sim, c, d);
        } else {
            _simulateVerdict(sim, c, d);
        }
        if (c.closes && c.openSeats == 1 && _jobEnds(c)) {
            _give(sim, treasury, c.feesDue);
            _give(sim, c.artist, _less(c.escrow, c.feesDue));
        }
        _payPanel(sim, c);
    }

    /// @dev The seat was the last open one of its job or round: the posted job ends (and refunds its
    /// escrow less the fees to the artist) when no seat of it nor of any round is left open, no round
    /// is bidding, and no round may open for its unsold tiles (with the seat's, if they go back).
    function _jobEnds(Case memory c) private pure returns (bool) {
        uint256 seatsLeft = c.inRound ? c.rootSeats : 0;
        uint256 roundsLeft = c.inRound ? _less(c.rootRounds, 1) : c.rootRounds; // the sweep checks the count
        bool mayReoffer = c.roundsOpen && (c.unsold || c.returnsTiles);
        return seatsLeft == 0 && roundsLeft == 0 && c.rootActive && !mayReoffer;
    }

    /// @dev A challenged pass. Contradicted: the challenger takes its bond back; the verifier's duty
    /// ends, it is slashed falseAccusationSlashBps of its bonded stake, which pays the panel's fee
    /// (up to a bond) and the rest to the challenger, who also takes the panel's remainder; its fee
    /// stays in escrow, and the seat starts a new round (closing unverified after the last one: its
    /// tiles go back to the job's unsold ones, and the job may end). Not contradicted: the challenger's bond is the panel's fee, the
    /// remainder goes to the verifier, and nothing else moves.
    function _simulateChallenge(Sim memory sim, Case memory c, IMarketTypes.Dispute memory d) private {
        if (!c.fraud) {
            c.fee = d.bond;
            c.closes = false;
            c.beneficiary = c.verifier;
            return;
        }
        _give(sim, d.disputer, d.bond);
        _endDuty(sim, c.verifier);
        uint256 taken = _take(sim, c.verifier, _bondedOf(sim, c.verifier) * cfg.falseAccusationSlashBps / BPS);
        c.fee = taken < cfg.disputeBond ? taken : cfg.disputeBond;
        _give(sim, d.disputer, taken - c.fee);
        c.closes = c.round + 1 >= MAX_VERIFIER_ROUNDS;
        c.returnsTiles = c.closes; // unverified: its tiles go back to the job's unsold ones
        c.beneficiary = d.disputer;
    }

    /// @dev An appeal of a fail or a contest of a pass: the seat is resolved either way.
    function _simulateVerdict(Sim memory sim, Case memory c, IMarketTypes.Dispute memory d) private {
        // The disputer who won takes its bond back, and the panel is paid out of the loser's
        // slash; the disputer who lost pays the panel its bond.
        if (c.appeal != c.fraud) {
            _give(sim, d.disputer, d.bond);
        } else {
            c.fee = d.bond;
        }
        _endDuty(sim, c.verifier);
        c.returnsTiles = c.fraud; // a rejection returns the seat's tiles to the job's unsold ones
        if (c.appeal && c.fraud) {
            // The failing verifier was right: paid its fee, it shares the fraud slash with the
            // members that voted fraud; half to them evenly, the rest into the job's escrow.
            uint256 vFee = c.verifier == address(0)
                ? 0
                : MarketMath.verifierFee(c.tiles, c.verifyFeePerTile, cfg.drawBountyBps, c.round);
            _give(sim, c.verifier, vFee);
            c.escrow = _less(c.escrow, vFee);
            c.winners[c.winnerCount] = c.verifier;
            _split(sim, c, _takeFraud(sim, c), c.winnerCount + 1);
        } else if (c.appeal) {
            // A false fail: the verifier is slashed and loses its fee; the slash pays the panel (up to
            // a bond) and the rest goes to the worker, who is paid at once.
            uint256 taken = _take(sim, c.verifier, _bondedOf(sim, c.verifier) * cfg.falseAccusationSlashBps / BPS);
            c.fee = taken < cfg.disputeBond ? taken : cfg.disputeBond;
            _give(sim, c.worker, taken - c.fee);
            _pay(sim, c, false);
        } else if (c.fraud) {
            // A false pass: the verifier is slashed to the artist and loses its fee (left in escrow);
            // the worker is slashed as a fraud, the panel paid out of it, the rest split between
            // the members that voted fraud and the job's escrow.
            if (c.verifier != address(0)) {
                _give(
                    sim,
                    c.artist,
                    _take(sim, c.verifier, _bondedOf(sim, c.verifier) * cfg.falseAccusationSlashBps / BPS)
                );
            }
            uint256 slashed = _takeFraud(sim, c);
            c.fee = slashed < cfg.disputeBond ? slashed : cfg.disputeBond;
            _split(sim, c, slashed - c.fee, c.winnerCount);
        } else {
            _pay(sim, c, true);
        }
    }

    function _case(uint256 jobId, address worker, IMarketTypes.Dispute memory d) private returns (Case memory c) {
        IMarketTypes.Seat memory s = market.seat(jobId, worker);
        IMarketTypes.Job memory j = market.job(jobId);
        c.worker = worker;
        c.artist = j.artist;
        c.verifier = s.verifierId == 0 ? address(0) : market.accountById(s.verifierId);
        c.tiles = s.tileCount;
        c.price = s.pricePerTile;
        c.round = s.round;
        c.verifyFeePerTile = j.verifyFeePerTile;
        c.openSeats = j.openSeats;
        _caseJob(c, j.root == 0 ? jobId : j.root, j.root != 0);
        c.appeal = s.state == IMarketTypes.SeatState.Disputed;
        c.challenge = s.state == IMarketTypes.SeatState.Challenged;
        c.fraud = d.votesFraud != d.votesHonest ? d.votesFraud > d.votesHonest : c.appeal;
        Resolution storage res = resolution;
        res.appeal = c.appeal;
        res.challenge = c.challenge;
        res.fraud = c.fraud;
        res.members = _panel(jobId, worker);
        for (uint256 k; k < 3; ++k) {
            if (res.members[k] == address(0)) continue;
            res.revealed[k] = d.votedMask & (1 << k) != 0;
            bool votedFraud = d.votedMask & (1 << (k + 4)) != 0;
            if (res.revealed[k] && votedFraud == c.fraud) {
                res.winner[k] = true;
                c.winners[c.winnerCount++] = res.members[k];
            }
        }
    }

    /// @dev The posted job that holds the seat's money, as it stands before the verdict.
    function _caseJob(Case memory c, uint256 rootId, bool inRound) private view {
        IMarketTypes.Job memory f = market.job(rootId);
        IMarketTypes.Reoffer memory o = market.reofferOf(rootId);
        c.inRound = inRound;
        c.escrow = f.escrow;
        c.feesDue = f.feesDue;
        c.rootSeats = f.openSeats;
        c.rootRounds = f.openRounds;
        c.rootActive = f.status == IMarketTypes.JobStatus.Active;
        c.roundsOpen = o.roundsLeft != 0 && block.timestamp <= o.finalDeadline;
        c.unsold = market.unsoldTiles(rootId).length != 0;
    }

    /// @dev Each member's duty ends; the silent and outvoted lose up to a bond of their stake; every
    /// member that revealed gets an equal share of the fee, every winner an equal share of the
    /// forfeited stakes; what nobody takes goes to the party the verdict favours, except the
    /// forfeits of a panel where nobody voted for the verdict, which go to the treasury.
    function _payPanel(Sim memory sim, Case memory c) private {
        Resolution storage res = resolution;
        uint256 forfeited;
        uint256 revealedCount;
        for (uint256 k; k < 3; ++k) {
            address member = res.members[k];
            if (member == address(0)) continue;
            _endDuty(sim, member);
            if (res.revealed[k]) ++revealedCount;
            if (!res.winner[k]) {
                res.loss[k] = _take(sim, member, cfg.disputeBond);
                forfeited += res.loss[k];
            }
        }
        uint256 toTreasury;
        (res.feeEach, res.bondsEach, res.remainder, toTreasury) =
            MarketMath.panelShares(c.fee, forfeited, revealedCount, c.winnerCount);
        _give(sim, treasury, toTreasury);
        for (uint256 k; k < 3; ++k) {
            if (res.revealed[k]) _give(sim, res.members[k], res.feeEach);
            if (res.winner[k]) _give(sim, res.members[k], res.bondsEach);
        }
        res.beneficiary = c.beneficiary;
        _give(sim, res.beneficiary, res.remainder);
    }

    /// @dev The worker is paid its tiles at its price out of the escrow (its verifier its fee, if
    /// `verifierPaid`), and the protocol fee accrues.
    function _pay(Sim memory sim, Case memory c, bool verifierPaid) private {
        uint256 payment = c.tiles * c.price;
        uint256 vFee = verifierPaid && c.verifier != address(0)
            ? MarketMath.verifierFee(c.tiles, c.verifyFeePerTile, cfg.drawBountyBps, c.round)
            : 0;
        _give(sim, c.worker, payment);
        _give(sim, c.verifier, vFee);
        c.escrow = _less(c.escrow, payment + vFee);
        c.feesDue += MarketMath.protocolFee(c.tiles, c.price, cfg.protocolFeeBps);
    }

    function _takeFraud(Sim memory sim, Case memory c) private returns (uint256) {
        uint256 collateral = MarketMath.collateral(c.tiles, c.price, cfg.collateralBps);
        return _take(sim, c.worker, MarketMath.fraudSlash(_bondedOf(sim, c.worker), collateral, cfg.fraudSlashBps));
    }

    /// @dev Half of `amount` evenly to the first `n` of `c.winners`, the rest into the job's escrow
    /// (and reserve), which the artist gets back when the job ends.
    function _split(Sim memory sim, Case memory c, uint256 amount, uint256 n) private {
        (uint256 share, uint256 toJob) = MarketMath.fraudSplit(amount, n);
        for (uint256 i; i < n; ++i) {
            _give(sim, c.winners[i], share);
        }
        c.escrow += toJob;
    }

    function _give(Sim memory sim, address to, uint256 amount) private {
        if (amount == 0) return;
        uint256 slot = slotOf[to];
        if (slot == 0) {
            _note(
                Violation.DisputeMisPaid, string.concat("the rules credit ", vm.toString(to), ", outside the campaign")
            );
            return;
        }
        sim.credit[slot - 1] += amount;
    }

    /// @dev Takes up to `amount` of `who`'s bonded stake; returns what it took.
    function _take(Sim memory sim, address who, uint256 amount) private view returns (uint256 taken) {
        uint256 slot = slotOf[who];
        if (slot == 0) return 0;
        taken = amount < sim.bonded[slot - 1] ? amount : sim.bonded[slot - 1];
        sim.bonded[slot - 1] -= taken;
        sim.loss[slot - 1] += taken;
    }

    function _bondedOf(Sim memory sim, address who) private view returns (uint256) {
        uint256 slot = slotOf[who];
        return slot == 0 ? 0 : sim.bonded[slot - 1];
    }

    function _endDuty(Sim memory sim, address who) private view {
        uint256 slot = slotOf[who];
        if (slot != 0) sim.duties[slot - 1] += 1;
    }

    function _less(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : 0;
    }
}
