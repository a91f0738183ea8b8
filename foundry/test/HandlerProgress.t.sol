// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {Ghosts} from "./handlers/Ghosts.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";

/// @title HandlerProgress
/// @notice Guards the campaign against passing vacuously: if the market's rules drift from what the
/// handler assumes (a commitment formula, a window, a state), the invariants would still hold on a
/// market where nothing ever happens. Driven by fixed seeds through a few fresh markets, the handler
/// must post, assign, pay, reject and resolve disputes (panels sealing and revealing votes, silent
/// or outvoted members slashed), verify blind (evidence sealed, results revealed, a hidden reveal
/// rejected, a verifier silent after the reveal replaced, challenges of a pass upheld and rejected),
/// re-offer unsold and returned tiles in rounds (opened, topped up, ended, seats won in them, a
/// barred worker's bid refused), and most of its market calls must succeed. The handler's per-call
/// checks run here too and must find nothing (they sweep every job a call touched); every ten steps
/// and at the end the market's ETH is what it owes and a sweep of every posted job finds each tile
/// held once, the counts on record and the books right.
contract HandlerProgress is Test {
    uint256 private constant MARKETS = 6;
    uint256 private constant STEPS = 300;

    function test_handlerDrivesJobsThroughEveryOutcome() public {
        uint256[31] memory total;
        for (uint256 m; m < MARKETS; ++m) {
            MarketHandler handler = new MarketHandler();
            for (uint256 i; i < STEPS; ++i) {
                uint256 seed = uint256(keccak256(abi.encode(m, i)));
                if (i % 25 == 0) handler.postJob(seed, seed >> 8, seed >> 16, seed >> 24);
                else handler.advanceJob(seed, seed >> 128);
                if (i % 10 == 9) _checkStep(handler);
            }
            handler.finishAll();
            _checkStep(handler);
            total[0] += handler.seatsAssigned();
            total[1] += handler.seatsPaid();
            total[2] += handler.seatsRejected();
            total[3] += handler.disputesResolved();
            total[4] += handler.marketCalls();
            total[5] += handler.marketReverts();
            total[6] += handler.votesCommitted();
            total[7] += handler.votesRevealed();
            total[8] += handler.disputesResolvedWithVotes();
            total[9] += handler.panelSlashes();
            total[10] += _violations(handler);
            total[11] += handler.earlyRevealsRefused();
            for (uint256 v; v < 6; ++v) {
                total[12 + v] += handler.verdicts(Ghosts.Verdict(v));
            }
            total[18] += handler.evidenceSealed();
            total[19] += handler.resultsRevealed();
            total[20] += handler.revealsHidden();
            total[21] += handler.silentAfterReveal();
            total[22] += handler.challengesOpened();
            total[23] += handler.roundsOpened();
            total[24] += handler.topUps();
            total[25] += handler.reofferingsEnded();
            total[26] += handler.roundSeatsAssigned();
            total[27] += handler.seatTilesReturned();
            total[28] += handler.barredBidsRefused();
            total[29] += handler.reofferingsEndedUnsold();
            total[30] += handler.jobsEndedUndelivered();
        }
        // The figures first, so that a failing run shows how far it got.
        emit log_named_uint("seats assigned", total[0]);
        emit log_named_uint("seats paid", total[1]);
        emit log_named_uint("seats rejected", total[2]);
        emit log_named_uint("disputes resolved", total[3]);
        emit log_named_uint("panel votes sealed", total[6]);
        emit log_named_uint("panel votes revealed", total[7]);
        emit log_named_uint("disputes resolved with revealed votes", total[8]);
        emit log_named_uint("panel members slashed", total[9]);
        emit log_named_uint("early reveals refused", total[11]);
        emit log_named_uint("verdicts: appeals upheld", total[12]);
        emit log_named_uint("verdicts: appeals rejected (fraud)", total[13]);
        emit log_named_uint("verdicts: contests upheld (fraud)", total[14]);
        emit log_named_uint("verdicts: contests dismissed", total[15]);
        emit log_named_uint("verdicts: challenges upheld (contradicted)", total[16]);
        emit log_named_uint("verdicts: challenges rejected", total[17]);
        emit log_named_uint("evidence sealed", total[18]);
        emit log_named_uint("results revealed", total[19]);
        emit log_named_uint("hidden reveals rejected", total[20]);
        emit log_named_uint("verifiers silent after the reveal replaced", total[21]);
        emit log_named_uint("challenges opened", total[22]);
        emit log_named_uint("rounds opened (reoffer)", total[23]);
        emit log_named_uint("reserves topped up (topUp)", total[24]);
        emit log_named_uint("re-offerings ended (endReoffering)", total[25]);
        emit log_named_uint("re-offerings ended by a round that sold nothing", total[29]);
        emit log_named_uint("seats won in a round", total[26]);
        emit log_named_uint("seats that returned their tiles", total[27]);
        emit log_named_uint("bids of barred workers refused", total[28]);
        emit log_named_uint("jobs ended with tiles never delivered", total[30]);
        emit log_named_uint("market calls", total[4]);
        emit log_named_uint("market reverts", total[5]);
        assertGt(total[0], 0, "progress: no tile was ever assigned");
        assertGt(total[1], 0, "progress: no seat was ever paid");
        assertGt(total[2], 0, "progress: no results were ever rejected");
        assertGt(total[3], 0, "progress: no dispute was ever resolved");
        assertGt(total[6], 0, "progress: no panel vote was ever sealed");
        assertGt(total[7], 0, "progress: no panel vote was ever revealed");
        assertGt(total[8], 0, "progress: no dispute was resolved with revealed votes");
        assertGt(total[9], 0, "progress: no silent or outvoted panel member was ever slashed");
        assertGt(total[11], 0, "progress: no reveal before reveals opened was ever tried");
        assertGt(total[18], 0, "progress: no evidence was ever sealed");
        assertGt(total[19], 0, "progress: no results were ever revealed");
        assertGt(total[20], 0, "progress: no worker that hid its results was ever rejected");
        assertGt(total[21], 0, "progress: no verifier silent after the reveal was ever replaced");
        assertGt(total[16], 0, "progress: no challenge of a pass was ever upheld");
        assertGt(total[17], 0, "progress: no challenge of a pass was ever rejected");
        assertGt(total[23], 0, "progress: no round was ever opened");
        assertGt(total[24], 0, "progress: no reserve was ever topped up");
        assertGt(total[25], 0, "progress: re-offering was never ended by endReoffering");
        assertGt(total[29], 0, "progress: no round that sold nothing ever ended re-offering");
        assertGt(total[26], 0, "progress: no seat was ever won in a round");
        assertGt(total[27], 0, "progress: no seat ever returned its tiles");
        assertGt(total[28], 0, "progress: no barred worker's bid was ever refused");
        assertLt(total[5] * 2, total[4], "progress: most market calls reverted");
        assertEq(total[10], 0, "progress: the handler's per-call checks found a violation");
    }

    /// @dev The market's ETH is what it owes, and a sweep of every posted job finds nothing wrong.
    /// These reads are the test's, not the campaign's: they do not count against the test's gas.
    function _checkStep(MarketHandler handler) private {
        vm.pauseGasMetering();
        assertEq(handler.marketAddress().balance, handler.marketOwes(), "progress: market balance != what it owes");
        (string memory tiles, string memory counts, string memory money) = handler.roundFaults();
        assertEq(tiles, "", "progress: a tile is held twice or nowhere");
        assertEq(counts, "", "progress: seat or round counts are off the record");
        assertEq(money, "", "progress: a job's money is off the books");
        vm.resumeGasMetering();
    }

    /// @dev How many kinds of violation the handler's per-call checks recorded (each is logged).
    function _violations(MarketHandler handler) private returns (uint256 count) {
        for (uint256 kind; kind <= uint256(type(Ghosts.Violation).max); ++kind) {
            string memory what = handler.violation(Ghosts.Violation(kind));
            if (bytes(what).length == 0) continue;
            emit log_named_string("violation", what);
            ++count;
        }
    }
}
