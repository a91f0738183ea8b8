// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {Books} from "./handlers/Books.sol";
import {Ghosts} from "./handlers/Ghosts.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";

/// @title MarketInvariants
/// @notice The market's money and verdict properties under random complete job lifecycles: an
/// artist and a colluding second artist, honest workers, a cheater that may hide its results after
/// the seal, verifiers that render or seal evidence they never rendered, silent verifiers (before
/// the seal or after the reveal), bid spammers, unstaked bidders, watchers that challenge passes
/// contradicting their evidence (or on a hunch), and panel members that seal and reveal votes, tell
/// the truth, say anything, accuse honest work, copy another's seal, never seal or never reveal;
/// jobs whose unsold, late, rejected and unverified tiles go on sale again in re-offer rounds, which
/// anyone opens, the artist tops up and raises, and re-offering ends (see {MarketHandler}). Each
/// property is its own invariant.
contract MarketInvariants is Test {
    MarketHandler internal handler;
    address internal market;

    function setUp() public {
        handler = new MarketHandler();
        market = handler.marketAddress();
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: handler.actions()}));
    }

    /// @notice The market's ETH is exactly what it owes: every ledger balance, stake and unstaking
    /// amount, every job's escrow (a posted job's holds the money of all its rounds; a round's is
    /// zero), the bonds of sealed (or cancelled) bids in every job and round, and open dispute bonds.
    function invariant_solvency() public view {
        assertEq(market.balance, handler.marketOwes(), "solvency: market balance != balances + stakes + escrow + bonds");
        _assertNone(Ghosts.Violation.EthLeak, "solvency: ETH left the market other than by withdrawal");
    }

    /// @notice No actor holds and took out more than it put in plus what the rules can owe it.
    function invariant_noPartyGetsMoreThanItIsOwed() public view {
        Books.Party[] memory parties = handler.parties();
        for (uint256 i; i < parties.length; ++i) {
            Books.Party memory p = parties[i];
            if (p.position <= p.sentIn + p.owed) continue;
            assertLe(
                p.position,
                p.sentIn + p.owed,
                string.concat("per party: ", vm.getLabel(p.who), " holds and took out more than it put in plus what it is owed")
            );
        }
    }

    /// @notice Every withdrawal pays exactly what was credited (or unstaked and unlocked), and no
    /// actor takes out more stake than it put in.
    function invariant_withdrawalsNeverExceedCredits() public view {
        _assertNone(Ghosts.Violation.WithdrawalMismatch, "withdrawals: paid other than what was credited");
        Books.Party[] memory parties = handler.parties();
        for (uint256 i; i < parties.length; ++i) {
            Books.Party memory p = parties[i];
            if (p.withdrawnStake <= p.stakedIn) continue;
            assertLe(
                p.withdrawnStake,
                p.stakedIn,
                string.concat("withdrawals: ", vm.getLabel(p.who), " withdrew more stake than it staked")
            );
        }
    }

    /// @notice A seat is accepted (or paid) only after its drawn verifier passed it, its artist
    /// accepted it, or a panel upheld its worker's appeal; a pass overturned by an upheld challenge
    /// counts for nothing.
    function invariant_noSeatAcceptedWithoutVerdict() public view {
        _assertNone(Ghosts.Violation.UnauthorizedVerdict, "verdicts: a seat was accepted without a verdict");
        _assertNone(Ghosts.Violation.PayWithoutVerdict, "verdicts: a seat was paid without a verdict");
        assertEq(handler.seatsAcceptedWithoutVerdict(), 0, "verdicts: a seat shows accepted with no verdict on record");
    }

    /// @notice A seat's pay is credited at most once, and it is the seat's tiles at its price.
    function invariant_noSeatPaidTwice() public view {
        _assertNone(Ghosts.Violation.DoublePayment, "payments: a seat was paid twice");
        _assertNone(Ghosts.Violation.WrongPayment, "payments: a seat was paid the wrong amount");
        assertLe(handler.mostPaymentsToOneSeat(), 1, "payments: a seat was paid twice");
    }

    /// @notice Once every deadline passed and every closing action ran, no job or seat is open and
    /// nothing is held in escrow, bonds or disputes.
    function invariant_closingLeavesNothingHeld() public view {
        _assertNone(Ghosts.Violation.LeftOpen, "closing: something stayed open or held after every deadline");
    }

    /// @notice Only accounts staked at least the minimum (and neither the worker, nor the artist,
    /// nor for a panel the seat's verifier or the challenger) are ever drawn.
    function invariant_onlyEligibleAccountsAreDrawn() public view {
        _assertNone(Ghosts.Violation.IneligibleDraw, "draws: an ineligible or excluded account was drawn");
    }

    /// @notice Sealed votes stay sealed: a panel is drawn only within the dispute's first window and
    /// its commit window runs one verification window from the draw; a vote is sealed only by a
    /// member of the drawn panel, once, in the commit window; it is revealed only by its member, as sealed (a copied seal cannot be
    /// opened), once, after every member sealed or the commit window closed and before the reveal
    /// window closed; a dispute is resolved only once every member revealed or the reveal window
    /// closed, with the majority of the revealed votes (a tie upholding the verdict disputed); and
    /// every one of those that the rules allow goes through.
    function invariant_votesStaySealed() public view {
        _assertNone(Ghosts.Violation.VoteRules, "panel: a vote or verdict went other than the sealed-vote rules say");
    }

    /// @notice A panel's verdict moves every party's ledger balance and bonded stake exactly as the
    /// panel's money rules say (the disputer's bond back or to the panel, the panel's fee out of
    /// the loser's slash, verifier fees, fraud and false-accusation slashes and their split, a
    /// challenger's share of an overturned verifier's slash, pay, the job's close, the panel's
    /// shares and the remainder), to the wei.
    function invariant_disputesPayEveryPartyByTheRules() public view {
        _assertNone(Ghosts.Violation.DisputeMisPaid, "panel money: a party's balance or stake moved other than the rules say");
    }

    /// @notice The panel's own pay: a member that revealed a vote for the outcome never loses stake to
    /// the panel; a silent or outvoted member loses exactly min(disputeBond, its bonded stake), for
    /// Silence or Outvoted; every member that revealed is credited feeEach (a winner bondsEach too),
    /// and PanelPaid carries the rules' figures.
    function invariant_panelMembersPaidByTheRules() public view {
        _assertNone(Ghosts.Violation.PanelWinnerSlashed, "panel: a member that voted for the outcome lost stake");
        _assertNone(Ghosts.Violation.PanelLoserMisSlashed, "panel: a silent or outvoted member lost other than min(bond, bonded)");
        _assertNone(Ghosts.Violation.PanelFeeMisShared, "panel: a revealed member was not credited its share of the fee");
    }

    /// @notice A panel's draw gives each member one duty and its verdict takes it back (and ends the
    /// seat verifier's), so every member's duties return to their value before the draw.
    function invariant_panelDutiesEndAtResolution() public view {
        _assertNone(Ghosts.Violation.PanelDuties, "panel: a draw or verdict moved duties other than one per member");
    }

    /// @notice Verification is blind: only the drawn verifier seals, in its window, before the
    /// worker reveals; the worker reveals only after the seal and within its window; the verifier
    /// attests only after the reveal, in its window, with the evidence it sealed; a worker that
    /// hides its results is rejected once its window closed (and a verifier that spoke is never
    /// replaced for it); a verifier silent after the reveal is replaced once its window closed; the
    /// seat's verifier never challenges its own pass; the artist accepts only what it may; and
    /// every one of those that the rules allow goes through.
    function invariant_verificationStaysBlind() public view {
        _assertNone(Ghosts.Violation.BlindRules, "blind: a seal, reveal, attestation or dispute went other than the blind rules say");
    }

    /// @notice Re-offer rounds keep their tiles, money and bars: four properties in one campaign (CI
    /// replays the same fixed-seed calls in every campaign, so a campaign of their own each would
    /// only cost time); each fails with its own message.
    /// - Tiles: no tile of a posted job is ever held twice across its rounds, nor lost: each is in
    ///   exactly one of the job's unsold tiles, the offer of a round still bidding (a posted job still
    ///   bidding offers them all), or one seat that holds it (assigned, being verified or disputed,
    ///   or paid); none of a cancelled job is anywhere.
    /// - Bars: a worker whose seat in a job or any of its rounds timed out, lapsed or was rejected is
    ///   barred from the job: every bid it makes in the job or a round of it is refused (and nobody
    ///   else's for that), and it never wins a seat in a round opened after it was barred.
    /// - Reserve: every posted job's reserve is within its escrow, and its escrow, reserve and fees
    ///   are to the wei what the rules put there (deposit and top-ups in; settled seats' tiles out of
    ///   the reserve; bounties and pay out; late and fraud slashes and returned tiles back in); every
    ///   settlement credits the artist exactly the unrevealed bonds, every end refunds the escrow
    ///   less the fees; the escrow always covers the reserve, the fees owed and what every open seat
    ///   is still owed; a round's record never holds escrow or fees.
    /// - Rules: rounds open (anyone), are topped up (the artist) and end exactly when the rules
    ///   allow, a posting's rounds are refused exactly when impossible; an opened round is the one
    ///   the rules say; a job ends exactly when nothing of it is open or may open; the seat and round
    ///   counts on record are the seats and rounds open.
    function invariant_roundsKeepTilesMoneyAndBars() public view {
        (string memory tiles, string memory counts, string memory money) = handler.roundFaults();
        _assertNone(Ghosts.Violation.TileHeldTwice, "tiles: a tile was held twice, or nowhere, after a call");
        assertEq(tiles, "", "tiles: a tile is held twice, or nowhere");
        _assertNone(Ghosts.Violation.BarredReseated, "bars: a worker barred from a job bid in it again or won a later round's seat");
        _assertNone(Ghosts.Violation.ReserveMisbooked, "reserve: a job's escrow, reserve, fees or refund went other than the rules say");
        assertEq(money, "", "reserve: a job's escrow does not cover its reserve, fees and open seats, or its books are off, or a round holds escrow");
        _assertNone(Ghosts.Violation.RoundRules, "rounds: a round opened, was topped up or ended other than the rules say");
        assertEq(counts, "", "rounds: a job's open seats, open rounds or latest round are off the record");
    }

    /// @notice Every property above in one campaign: `make fuzz` runs this one only, so that its
    /// long campaign is not repeated once per property (CI runs each property's own campaign).
    function invariant_allProperties() public view {
        invariant_solvency();
        invariant_noPartyGetsMoreThanItIsOwed();
        invariant_withdrawalsNeverExceedCredits();
        invariant_noSeatAcceptedWithoutVerdict();
        invariant_noSeatPaidTwice();
        invariant_closingLeavesNothingHeld();
        invariant_onlyEligibleAccountsAreDrawn();
        invariant_votesStaySealed();
        invariant_disputesPayEveryPartyByTheRules();
        invariant_panelMembersPaidByTheRules();
        invariant_panelDutiesEndAtResolution();
        invariant_verificationStaysBlind();
        invariant_roundsKeepTilesMoneyAndBars();
    }

    /// @notice At the end of every run: close everything, let everyone take everything out. The
    /// market must be empty, and the per-party bound must still hold on what everyone took out.
    function afterInvariant() public {
        handler.drainAll();
        _assertNone(Ghosts.Violation.LeftOpen, "closing: something stayed open or held after every deadline");
        // The closing calls are checked like any other: a violation they found is reported here.
        for (uint256 kind; kind <= uint256(type(Ghosts.Violation).max); ++kind) {
            _assertNone(Ghosts.Violation(kind), "drain: a per-call check found a violation while closing");
        }
        assertEq(market.balance, 0, "drain: ETH stuck in the market after everyone withdrew everything");
        invariant_noPartyGetsMoreThanItIsOwed();
        invariant_withdrawalsNeverExceedCredits();
        console.log("jobs %d, seats %d, paid %d", handler.jobsPosted(), handler.seatsAssigned(), handler.seatsPaid());
        console.log("rejected %d, disputes %d", handler.seatsRejected(), handler.disputesResolved());
        console.log("votes sealed %d, revealed %d", handler.votesCommitted(), handler.votesRevealed());
        console.log(
            "disputes with revealed votes %d, panel slashes %d, early reveals refused %d",
            handler.disputesResolvedWithVotes(),
            handler.panelSlashes(),
            handler.earlyRevealsRefused()
        );
        console.log(
            "verdicts: appeals upheld %d, rejected %d; contests upheld %d",
            handler.verdicts(Ghosts.Verdict.AppealUpheld),
            handler.verdicts(Ghosts.Verdict.AppealRejected),
            handler.verdicts(Ghosts.Verdict.ContestUpheld)
        );
        console.log("verdicts: contests dismissed %d", handler.verdicts(Ghosts.Verdict.ContestDismissed));
        console.log(
            "verdicts: challenges upheld %d, rejected %d",
            handler.verdicts(Ghosts.Verdict.ChallengeUpheld),
            handler.verdicts(Ghosts.Verdict.ChallengeRejected)
        );
        console.log(
            "blind: evidence sealed %d, results revealed %d, hidden reveals rejected %d",
            handler.evidenceSealed(),
            handler.resultsRevealed(),
            handler.revealsHidden()
        );
        console.log(
            "blind: verifiers silent after the reveal replaced %d, challenges opened %d",
            handler.silentAfterReveal(),
            handler.challengesOpened()
        );
        console.log(
            "rounds: opened %d, top-ups %d, re-offerings ended %d", handler.roundsOpened(), handler.topUps(), handler.reofferingsEnded()
        );
        console.log(
            "rounds: seats won in rounds %d, seat tiles returned %d, barred bids refused %d",
            handler.roundSeatsAssigned(),
            handler.seatTilesReturned(),
            handler.barredBidsRefused()
        );
        console.log("market calls %d, reverts %d", handler.marketCalls(), handler.marketReverts());
    }

    function _assertNone(Ghosts.Violation kind, string memory property) private view {
        assertEq(handler.violation(kind), "", property);
    }
}
