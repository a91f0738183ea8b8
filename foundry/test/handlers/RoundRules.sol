// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {IReoffering} from "contracts/interfaces/IReoffering.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @title RoundRules
/// @notice Re-offer rounds as docs/protocol.md ("Rounds: every frame finishes") states them, worked
/// out by the handler itself:
/// - when a round may open, a top-up go through, re-offering end, and a posting's rounds be valid;
/// - each posted job's money (escrow, reserve, fees) as every call moves it, booked from the rules'
///   formulas ({MarketMath}) and the handler's own knowledge of the call, and compared to the wei
///   with the market's records after every call (and each refund with what the books say is left);
/// - where each tile of a posted job is: in its unsold tiles, on sale in a round still bidding, or in
///   one seat that holds it (assigned, being verified or disputed, or paid), never in two and never
///   lost; and that the seat and round counts the market keeps match the seats and rounds;
/// - which workers failed the job (timed out, lapsed, rejected) and so may never bid in it again.
/// The market's own code is never consulted, only its records and events.
abstract contract RoundRules is HandlerBase {
    /// @dev The most re-offer rounds a posting may ask for (`JobParams.maxRounds`).
    uint256 internal constant MAX_ROUNDS = 8;

    /// @dev Where a tile was found in a sweep.
    enum Place {
        Unsold,
        OnSale, // a posted job still bidding sells all its tiles
        Offered, // a round still bidding
        Seat
    }

    /// @dev A sweep's tiles so far: the tiles seen, the job's tile count, the first fault; and what
    /// the open seats are still owed out of the escrow.
    struct Holding {
        uint256 root;
        uint256 seen;
        uint256 tileCount;
        string fault;
        uint256 owed;
    }

    /// @dev What a sweep of one posted job found wrong (empty: nothing).
    struct Faults {
        string tiles;
        string counts;
        string money;
    }

    /// @dev What a round must look like once `reoffer` opened it, worked out before the call.
    struct RoundPlan {
        uint256 roundId;
        uint256 round;
        uint32[] unsold;
        IMarketTypes.Reoffer before;
        IMarketTypes.Job root;
    }

    /// @dev Each posted job's rounds, in the order they opened.
    mapping(uint256 root => uint256[]) internal roundsOf;
    /// @dev Verifiers drawn for each seat (each draw paid its bounty out of the seat's verifier fee).
    mapping(uint256 jobId => mapping(address worker => uint256)) internal drawsOf;
    /// @dev Posted jobs the call in flight touched (by its events), swept once it returned; of those,
    /// the ones where it closed a seat, settled a round or ended re-offering (the job may complete).
    uint256[] internal touched;
    uint256[] internal mayEnd;
    /// @dev The wei and the entry point of the call in flight.
    uint256 internal valueInFlight;
    bytes4 internal selectorInFlight;
    /// @dev Set by a rejection's ResultsRejected for the TilesReturned that follows it: whether the
    /// rejection paid the seat's verifier its fee (which then does not go back to the reserve).
    bool internal rejectionPaidVerifier;

    // ---------------------------------------------------------------- who may do what, and when

    /// @dev Anyone may open a posted job's next round once its latest round settled, while it has
    /// unsold tiles, rounds left and its final deadline has not passed, if its reserve holds the
    /// tiles at the next maximum price (price, protocol fee, verifier fee) plus the opener's bounty.
    function _reofferAllowed(uint256 jobId) internal view returns (bool) {
        if (!_mayReofferNow(jobId)) return false;
        uint256 tiles = MarketMath.tilesIn(market.unsoldTiles(jobId));
        IMarketTypes.Reoffer memory o = market.reofferOf(jobId);
        return o.reserve >= _roundCost(tiles, o.maxPricePerTile, market.job(jobId).verifyFeePerTile);
    }

    /// @dev All of {_reofferAllowed} but the reserve: whether a round could open if it were funded.
    function _mayReofferNow(uint256 jobId) internal view returns (bool) {
        if (!_isPosted(jobId) || market.job(jobId).status != IMarketTypes.JobStatus.Active) return false;
        uint256[] storage rounds = roundsOf[jobId];
        if (rounds.length != 0 && market.job(rounds[rounds.length - 1]).status == IMarketTypes.JobStatus.Bidding) {
            return false;
        }
        IMarketTypes.Reoffer memory o = market.reofferOf(jobId);
        return market.unsoldTiles(jobId).length != 0 && o.roundsLeft != 0 && block.timestamp <= o.finalDeadline;
    }

    /// @dev What a round of `tiles` tiles at `maxPrice` takes from the reserve when it opens: the
    /// tiles at the maximum price (with fee and verifier fee) and the opener's bounty.
    function _roundCost(uint256 tiles, uint256 maxPrice, uint256 verifyFeePerTile) internal view returns (uint256) {
        return MarketMath.tileEscrow(tiles, maxPrice, cfg.protocolFeeBps, verifyFeePerTile)
            + MarketMath.drawBounty(tiles, verifyFeePerTile, cfg.drawBountyBps);
    }

    /// @dev Only the artist tops up, a posted job still bidding or active, never lowering the price.
    function _topUpAllowed(address who, uint256 jobId, uint256 maxPrice) internal view returns (bool) {
        if (!_isPosted(jobId) || who != artistOf[jobId]) return false;
        IMarketTypes.JobStatus status = market.job(jobId).status;
        if (status != IMarketTypes.JobStatus.Bidding && status != IMarketTypes.JobStatus.Active) return false;
        return maxPrice >= market.reofferOf(jobId).maxPricePerTile;
    }

    /// @dev The artist ends re-offering of an active posted job at any time, anyone else once the
    /// final deadline passed or no round is left.
    function _endAllowed(address who, uint256 jobId) internal view returns (bool) {
        if (!_isPosted(jobId) || market.job(jobId).status != IMarketTypes.JobStatus.Active) return false;
        IMarketTypes.Reoffer memory o = market.reofferOf(jobId);
        return who == artistOf[jobId] || o.roundsLeft == 0 || block.timestamp > o.finalDeadline;
    }

    /// @dev At most MAX_ROUNDS rounds, a final deadline exactly when there are rounds, and after the
    /// first round's reveals.
    function _roundsValid(IMarketTypes.JobParams memory p) internal view returns (bool) {
        if (p.maxRounds > MAX_ROUNDS) return false;
        if (p.maxRounds == 0) return p.finalDeadline == 0;
        return p.finalDeadline > block.timestamp + p.bidWindow + p.revealWindow;
    }

    function _isPosted(uint256 jobId) internal view returns (bool) {
        return jobId != 0 && rootOf[jobId] == jobId;
    }

    /// @dev The round `reoffer(jobId)` would open now.
    function _planRound(uint256 jobId) internal view returns (RoundPlan memory plan) {
        plan.roundId = market.jobCount() + 1;
        plan.unsold = market.unsoldTiles(jobId);
        plan.before = market.reofferOf(jobId);
        plan.root = market.job(jobId);
        uint256[] storage rounds = roundsOf[jobId];
        plan.round = rounds.length + 1;
    }

    /// @dev The round that opened is the one planned: a new job id selling exactly the job's unsold
    /// tiles (which are gone from its list) at its next maximum price, with the posted job's windows,
    /// fees and artist, a bond of at least its own minimum and the job's, one round fewer left.
    function _checkRoundOpened(uint256 jobId, RoundPlan memory plan) internal {
        IMarketTypes.Job memory r = market.job(plan.roundId);
        uint256 tiles = MarketMath.tilesIn(plan.unsold);
        uint256 price = plan.before.maxPricePerTile;
        uint256 bond = MarketMath.minBidBond(tiles, price, cfg.bidBondBps);
        if (bond < plan.root.bidBond) bond = plan.root.bidBond;
        uint256 bidEnd = block.timestamp + plan.before.bidWindow;
        bool ok = market.jobCount() == plan.roundId && r.root == jobId && r.round == plan.round
            && r.status == IMarketTypes.JobStatus.Bidding && r.tileCount == tiles && r.maxPricePerTile == price
            && r.bidBond == bond && r.bidEnd == bidEnd && r.revealEnd == bidEnd + (plan.root.revealEnd - plan.root.bidEnd);
        ok = ok && r.artist == artistOf[jobId] && r.verifyFeePerTile == plan.root.verifyFeePerTile
            && r.renderWindow == plan.root.renderWindow && r.verifyWindow == plan.root.verifyWindow && r.escrow == 0;
        ok = ok && keccak256(abi.encode(market.offeredTiles(plan.roundId))) == keccak256(abi.encode(plan.unsold))
            && market.unsoldTiles(jobId).length == 0 && market.reofferOf(jobId).roundsLeft + 1 == plan.before.roundsLeft
            && market.job(jobId).latest == plan.roundId;
        if (!ok) {
            _note(
                Violation.RoundRules,
                string.concat("job ", vm.toString(jobId), ": round ", vm.toString(plan.roundId), " opened other than the rules say")
            );
        }
    }

    // ---------------------------------------------------------------- the books, call by call

    /// @dev A posting: its deposit (what the artist sent) is its escrow and its reserve; its terms
    /// are the posting's.
    function _onPosted(uint256 jobId, IMarketTypes.JobParams memory p, uint256 deposit) internal {
        postedJobs.push(jobId);
        rootOf[jobId] = jobId;
        funds[jobId] = Funds(deposit, deposit, 0);
        terms[jobId] = Terms(p.maxPricePerTile, p.maxRounds, p.finalDeadline, p.bidWindow);
        if (deposit != valueInFlight) _misbooked(jobId, string.concat("deposit ", vm.toString(deposit), " of ", vm.toString(valueInFlight), " sent"));
        _touch(jobId);
    }

    /// @dev A round opened: its opener (the caller) earns its bounty out of the job's escrow and
    /// reserve. `data` is RoundOpened's: round, tiles, maxPrice, bond, bidEnd, revealEnd, ranges,
    /// opener, bounty.
    function _onRoundOpened(uint256 root, uint256 roundId, bytes memory data) internal {
        uint256 tiles = _word(data, 1);
        address opener = address(uint160(_word(data, 7)));
        uint256 bounty = _word(data, 8);
        rootOf[roundId] = root;
        artistOf[roundId] = artistOf[root];
        roundsOf[root].push(roundId);
        ++roundsOpened;
        uint256 due = MarketMath.drawBounty(tiles, market.job(root).verifyFeePerTile, cfg.drawBountyBps);
        if (bounty != due || opener != ctx.caller || !_isPosted(root)) {
            _misbooked(root, string.concat("round ", vm.toString(roundId), " paid its opener ", vm.toString(bounty), ", due ", vm.toString(due)));
        }
        Funds storage f = funds[root];
        f.escrow = _deduct(f.escrow, bounty);
        f.reserve = _deduct(f.reserve, bounty);
        owed[opener] += bounty;
        Terms storage t = terms[root];
        t.roundsLeft = t.roundsLeft == 0 ? 0 : t.roundsLeft - 1; // none left: the rules were broken, the sweep says so
        _touch(root);
    }

    /// @dev The artist's top-up (what it sent) goes into the escrow and the reserve, and sets the
    /// next maximum price.
    function _onToppedUp(uint256 root, uint256 amount, uint256 maxPrice) internal {
        ++topUps;
        if (amount != valueInFlight) _misbooked(root, string.concat("top-up of ", vm.toString(amount), ", sent ", vm.toString(valueInFlight)));
        Funds storage f = funds[root];
        f.escrow += amount;
        f.reserve += amount;
        terms[root].maxPrice = maxPrice;
        _touch(root);
    }

    /// @dev A winner's tiles leave the reserve: their price, fee and verifier fee. A worker barred
    /// from the job never wins tiles of it again, not even by a bid it committed before the bar
    /// (settlement outbids it).
    function _onAssigned(uint256 jobId, address worker, uint256 tiles, uint256 price) internal {
        uint256 root = rootOf[jobId];
        Funds storage f = funds[root];
        f.reserve = _deduct(f.reserve, MarketMath.tileEscrow(tiles, price, cfg.protocolFeeBps, market.job(jobId).verifyFeePerTile));
        if (root != jobId) ++roundSeatsAssigned;
        if (barredSince[root][worker] != 0) {
            _note(
                Violation.BarredReseated,
                string.concat(_seatName(jobId, worker), ": won tiles though barred from job ", vm.toString(root))
            );
        }
        _touch(root);
    }

    /// @dev Tiles went back to the job's unsold tiles: a settlement's unsold ones (no worker, nothing
    /// moves), or a seat's that will deliver nothing, whose escrow goes back to the reserve: price and
    /// fee, and the verifier fee left after every round's bounty unless a rejection paid it.
    function _onReturned(uint256 root, uint256 roundId, address worker, uint256 first, uint256 tiles, uint8 cause)
        internal
    {
        _touch(root);
        _mayEnd(root);
        bool paid = rejectionPaidVerifier;
        rejectionPaidVerifier = false;
        bool ok = rootOf[roundId] == root;
        if (worker == address(0)) {
            if (!ok || cause != uint8(IMarketTypes.SeatState.None)) _misbooked(root, "unsold tiles returned with a cause, or to another job");
            return;
        }
        ++seatTilesReturned;
        IMarketTypes.Seat memory s = market.seat(roundId, worker);
        ok = ok && uint8(s.state) == cause && s.firstTile == first && s.tileCount == tiles;
        ok = ok && (cause == uint8(IMarketTypes.SeatState.TimedOut) || cause == uint8(IMarketTypes.SeatState.Rejected)
            || cause == uint8(IMarketTypes.SeatState.Unverified));
        if (!ok) {
            _note(Violation.RoundRules, string.concat(_seatName(roundId, worker), ": returned tiles that are not its own, or for no cause"));
        }
        uint256 back = tiles * (uint256(s.pricePerTile) + uint256(s.pricePerTile) * cfg.protocolFeeBps / BPS);
        if (!(paid && cause == uint8(IMarketTypes.SeatState.Rejected))) {
            back += MarketMath.verifierFee(tiles, market.job(roundId).verifyFeePerTile, cfg.drawBountyBps, s.round);
        }
        funds[root].reserve += back;
    }

    /// @dev A late worker (or one whose draw lapsed): its slash goes into the job's escrow and
    /// reserve, and it is barred from the job.
    function _onLate(uint256 jobId, address worker, uint256 slashed) internal {
        uint256 root = rootOf[jobId];
        Funds storage f = funds[root];
        f.escrow += slashed;
        f.reserve += slashed;
        _bar(root, jobId, worker);
    }

    /// @dev A rejection: the verifier's fee is paid out of the escrow if it is paid (`verifier`),
    /// `amount` of the fraud slash is split, half evenly to `honest` parties, the rest into the
    /// job's escrow and reserve; the worker is barred from the job.
    function _onRejected(uint256 jobId, address worker, uint256 amount, uint256 honest, bool verifierPaid) internal {
        uint256 root = rootOf[jobId];
        Funds storage f = funds[root];
        if (verifierPaid) {
            IMarketTypes.Seat memory s = market.seat(jobId, worker);
            uint256 fee = MarketMath.verifierFee(s.tileCount, market.job(jobId).verifyFeePerTile, cfg.drawBountyBps, s.round);
            f.escrow = _deduct(f.escrow, fee);
        }
        (, uint256 toJob) = MarketMath.fraudSplit(amount, honest);
        f.escrow += toJob;
        f.reserve += toJob;
        rejectionPaidVerifier = verifierPaid;
        _bar(root, jobId, worker);
    }

    /// @dev An unverified seat returns its tiles but does not bar its worker.
    function _onUnverified(uint256 jobId, address worker) internal {
        uint256 root = rootOf[jobId];
        if (market.barred(root, worker) != (barredSince[root][worker] != 0)) {
            _note(Violation.BarredReseated, string.concat(_seatName(jobId, worker), ": barred for a seat that went unverified"));
        }
    }

    /// @dev Whoever draws a verifier earns the draw bounty out of the posted job's escrow.
    function _onDrawBounty(uint256 jobId, address worker, uint256 bounty) internal {
        uint256 root = rootOf[jobId];
        uint256 due = MarketMath.drawBounty(market.seat(jobId, worker).tileCount, market.job(jobId).verifyFeePerTile, cfg.drawBountyBps);
        if (bounty != due) {
            _misbooked(root, string.concat(_seatName(jobId, worker), ": draw bounty ", vm.toString(bounty), ", due ", vm.toString(due)));
        }
        Funds storage f = funds[root];
        f.escrow = _deduct(f.escrow, bounty);
        ++drawsOf[jobId][worker];
        _touch(root);
    }

    /// @dev A seat paid: its pay and its verifier's fee leave the posted job's escrow, the protocol
    /// fee on its tiles accrues there.
    function _onPaid(uint256 jobId, uint256 tiles, uint256 price, uint256 paid) internal {
        uint256 root = rootOf[jobId];
        Funds storage f = funds[root];
        f.escrow = _deduct(f.escrow, paid);
        f.fees += MarketMath.protocolFee(tiles, price, cfg.protocolFeeBps);
        _touch(root);
        _mayEnd(root);
    }

    /// @dev A settlement credits the artist the bonds of the bids never revealed, and nothing else.
    /// A round (or a posted job's first) that sold nothing at a maximum price the artist did not
    /// raise while it ran ends re-offering: another would sell nothing either.
    function _onSettledRound(uint256 jobId, uint256 winners, uint256 artistRefund) internal {
        IMarketTypes.Job memory j = market.job(jobId);
        uint256 bonds = uint256(j.commits - j.reveals) * j.bidBond;
        uint256 root = rootOf[jobId];
        if (artistRefund != bonds) {
            _misbooked(root, string.concat("job ", vm.toString(jobId), " settled crediting the artist ", vm.toString(artistRefund), ", unrevealed bonds ", vm.toString(bonds)));
        }
        if (winners == 0 && terms[root].maxPrice <= j.maxPricePerTile) terms[root].roundsLeft = 0;
        _touch(root);
        _mayEnd(root);
    }

    /// @dev The job ended: the artist gets the escrow less the fees, the treasury the fees.
    function _onCompleted(uint256 root, uint256 refund, uint256 fee) internal {
        Funds storage f = funds[root];
        if (refund + f.fees != f.escrow || fee != f.fees) {
            _misbooked(
                root,
                string.concat("completed refunding ", vm.toString(refund), " and fees ", vm.toString(fee), "; the books hold ", vm.toString(f.escrow), " with fees ", vm.toString(f.fees))
            );
        }
        delete funds[root];
        if (market.unsoldTiles(root).length != 0) ++jobsEndedUndelivered;
        _touch(root);
    }

    /// @dev A cancellation refunds the whole escrow.
    function _onCancelled(uint256 root, uint256 refund) internal {
        if (refund != funds[root].escrow) {
            _misbooked(root, string.concat("cancelled refunding ", vm.toString(refund), " of ", vm.toString(funds[root].escrow)));
        }
        delete funds[root];
        _touch(root);
    }

    /// @dev Re-offering ended: no round is left, and the event counts the tiles left unsold. Only
    /// `endReoffering` ends it this way; a round that sold nothing did already ({_onSettledRound}).
    function _onReofferingEnded(uint256 root, uint256 tilesLeft) internal {
        if (selectorInFlight == IReoffering.endReoffering.selector) terms[root].roundsLeft = 0;
        else ++reofferingsEndedUnsold;
        if (market.reofferOf(root).roundsLeft != 0 || tilesLeft != MarketMath.tilesIn(market.unsoldTiles(root))) {
            _note(Violation.RoundRules, string.concat("job ", vm.toString(root), ": re-offering ended with rounds or tiles other than the rules say"));
        }
        _touch(root);
        _mayEnd(root);
    }

    function _bar(uint256 root, uint256 jobId, address worker) private {
        if (barredSince[root][worker] == 0) barredSince[root][worker] = marketCalls;
        if (!market.barred(root, worker)) {
            _note(Violation.BarredReseated, string.concat(_seatName(jobId, worker), ": failed the job but is not barred from it"));
        }
        _touch(root);
        _mayEnd(root);
    }

    /// @dev A bid in `jobId` by `who`: refused if the handler knows it barred from the job, and never
    /// refused as barred otherwise; the market's barred flag says the same as the handler.
    function _checkBid(uint256 jobId, address who, bool ok, bytes4 refusal) internal {
        uint256 root = rootOf[jobId];
        if (root == 0) return;
        bool barred = barredSince[root][who] != 0;
        bool refusedAsBarred = !ok && refusal == IReoffering.BarredFromJob.selector;
        if (refusedAsBarred) ++barredBidsRefused;
        if ((ok && barred) || (refusedAsBarred && !barred) || market.barred(root, who) != barred) {
            _note(
                Violation.BarredReseated,
                string.concat(
                    _seatName(jobId, who),
                    ok ? ": bid though barred from job " : ": bid refused as barred, or barred on record, other than its failures in job ",
                    vm.toString(root)
                )
            );
        }
    }

    function _touch(uint256 root) internal {
        _addOnce(touched, root);
    }

    function _mayEnd(uint256 root) internal {
        _addOnce(mayEnd, root);
    }

    function _addOnce(uint256[] storage list, uint256 root) private {
        if (root == 0) return;
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == root) return;
        }
        list.push(root);
    }

    function _misbooked(uint256 root, string memory what) internal {
        _note(Violation.ReserveMisbooked, string.concat("job ", vm.toString(root), ": ", what));
    }

    /// @dev `a - b`, or a violation (and zero) if the books would go below zero.
    function _deduct(uint256 a, uint256 b) private returns (uint256) {
        if (b <= a) return a - b;
        _note(Violation.ReserveMisbooked, string.concat("the books of a job would go below zero: ", vm.toString(a), " - ", vm.toString(b)));
        return 0;
    }

    function _word(bytes memory data, uint256 i) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(data, mul(add(i, 1), 32)))
        }
    }

    // ---------------------------------------------------------------- after every call

    /// @dev Sweeps every posted job the call touched; a job where it closed a seat, settled a round
    /// or ended re-offering has ended exactly if nothing of it is open and no round may open; and the
    /// market has exactly the job records the handler saw opened.
    function _afterCall() internal {
        for (uint256 i; i < touched.length; ++i) {
            Faults memory f = _sweep(touched[i]);
            if (bytes(f.tiles).length != 0) _note(Violation.TileHeldTwice, f.tiles);
            if (bytes(f.counts).length != 0) _note(Violation.RoundRules, f.counts);
            if (bytes(f.money).length != 0) _note(Violation.ReserveMisbooked, f.money);
        }
        for (uint256 i; i < mayEnd.length; ++i) {
            _checkEnded(mayEnd[i]);
        }
        delete touched;
        delete mayEnd;
        if (market.jobCount() != postedJobs.length + roundsOpened) {
            _note(Violation.RoundRules, "the market holds job records the handler did not see opened");
        }
    }

    /// @dev The job has ended (completed, or expired unsold) exactly when no seat of it or of any
    /// round is open, no round is bidding, and no round may open any more.
    function _checkEnded(uint256 root) private {
        IMarketTypes.Job memory j = market.job(root);
        if (j.status == IMarketTypes.JobStatus.Bidding || j.status == IMarketTypes.JobStatus.Cancelled) return;
        IMarketTypes.Reoffer memory o = market.reofferOf(root);
        bool mayReoffer = o.roundsLeft != 0 && block.timestamp <= o.finalDeadline && market.unsoldTiles(root).length != 0;
        bool over = j.openSeats == 0 && j.openRounds == 0 && !mayReoffer;
        bool ended = j.status == IMarketTypes.JobStatus.Completed || j.status == IMarketTypes.JobStatus.Expired;
        if (over != ended) {
            _note(
                Violation.RoundRules,
                string.concat("job ", vm.toString(root), over ? ": nothing is open or may open, yet it did not end" : ": ended with something open or to re-offer")
            );
        }
    }

    // ---------------------------------------------------------------- sweeps

    /// @dev Every tile of the posted job and its rounds, where it is; the seat and round counts; and
    /// the money, against the books.
    function _sweep(uint256 root) internal view returns (Faults memory f) {
        IMarketTypes.Job memory pj = market.job(root);
        Holding memory h = Holding(root, 0, pj.tileCount, "", 0);
        _holdRanges(h, market.unsoldTiles(root), Place.Unsold, root);
        if (pj.status == IMarketTypes.JobStatus.Bidding) _hold(h, 0, pj.tileCount, Place.OnSale, root);
        uint256 open = _holdSeats(h, root);
        if (open != pj.openSeats) f.counts = _countFault(root, "open seats", pj.openSeats, open);
        uint256 openRounds;
        uint256[] storage rounds = roundsOf[root];
        for (uint256 i; i < rounds.length; ++i) {
            IMarketTypes.Job memory r = market.job(rounds[i]);
            if (r.escrow != 0 || r.feesDue != 0) {
                f.money = string.concat("round ", vm.toString(rounds[i]), " of job ", vm.toString(root), " holds escrow or fees");
            }
            if (r.status == IMarketTypes.JobStatus.Bidding) {
                _holdRanges(h, market.offeredTiles(rounds[i]), Place.Offered, rounds[i]);
                ++openRounds;
            } else if (r.status == IMarketTypes.JobStatus.Active) {
                ++openRounds;
            }
            uint256 seatsOpen = _holdSeats(h, rounds[i]);
            if (seatsOpen != r.openSeats) f.counts = _countFault(rounds[i], "open seats", r.openSeats, seatsOpen);
            if (r.root != root || r.round != i + 1) f.counts = _countFault(rounds[i], "round of its job", r.round, i + 1);
        }
        if (openRounds != pj.openRounds) f.counts = _countFault(root, "open rounds", pj.openRounds, openRounds);
        uint256 latest = rounds.length == 0 ? 0 : rounds[rounds.length - 1];
        if (pj.latest != latest) f.counts = _countFault(root, "latest round", pj.latest, latest);
        IMarketTypes.Reoffer memory o = market.reofferOf(root);
        Terms storage t = terms[root];
        if (o.maxPricePerTile != t.maxPrice || o.roundsLeft != t.roundsLeft || o.finalDeadline != t.finalDeadline || o.bidWindow != t.bidWindow) {
            f.counts = string.concat(
                "job ", vm.toString(root), ": re-offer terms (max price, rounds left) ", vm.toString(uint256(o.maxPricePerTile)),
                " ", vm.toString(uint256(o.roundsLeft)), ", the rules say ", vm.toString(t.maxPrice), " ", vm.toString(t.roundsLeft)
            );
        }
        uint256 all = pj.tileCount == 256 ? type(uint256).max : (1 << pj.tileCount) - 1;
        uint256 expected = pj.status == IMarketTypes.JobStatus.Cancelled ? 0 : all;
        if (bytes(h.fault).length == 0 && h.seen != expected) {
            h.fault = string.concat("job ", vm.toString(root), ": tiles held ", vm.toString(h.seen), " (a bit per tile), not ", vm.toString(expected));
        }
        f.tiles = h.fault;
        if (bytes(f.money).length == 0) f.money = _moneyFault(root, pj, h.owed);
    }

    /// @dev The seats of `jobId` that hold tiles; counts those still open, and adds what each is
    /// still owed (its tiles' price, fee and verifier fee, less the bounties of its draws) to `h.owed`.
    function _holdSeats(Holding memory h, uint256 jobId) private view returns (uint256 open) {
        address[] storage list = jobBidders[jobId];
        uint256 holding = _openStates() | _bit(IMarketTypes.SeatState.Paid);
        uint256 feePerTile = market.job(jobId).verifyFeePerTile;
        for (uint256 i; i < list.length; ++i) {
            IMarketTypes.Seat memory s = market.seat(jobId, list[i]);
            if (!_isSeatIn(s.state, holding)) continue;
            _hold(h, s.firstTile, s.tileCount, Place.Seat, jobId);
            if (s.state == IMarketTypes.SeatState.Paid) continue;
            ++open;
            uint256 bounties = drawsOf[jobId][list[i]] * MarketMath.drawBounty(s.tileCount, feePerTile, cfg.drawBountyBps);
            h.owed += _floor(MarketMath.tileEscrow(s.tileCount, s.pricePerTile, cfg.protocolFeeBps, feePerTile), bounties);
        }
    }

    function _floor(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : 0;
    }

    function _holdRanges(Holding memory h, uint32[] memory ranges, Place place, uint256 where) private view {
        for (uint256 k; k < ranges.length; ++k) {
            _hold(h, MarketMath.rangeFirst(ranges[k]), MarketMath.rangeTiles(ranges[k]), place, where);
        }
    }

    /// @dev Tiles `first .. first+count-1`, found at `place` of job `where`: each must be the job's
    /// and not seen yet.
    function _hold(Holding memory h, uint256 first, uint256 count, Place place, uint256 where) private view {
        if (count == 0 || first + count > h.tileCount || h.tileCount > 255) {
            _tileFault(h, first, count, place, where, " lie outside the job");
            return;
        }
        uint256 mask = ((1 << count) - 1) << first;
        if (h.seen & mask != 0) _tileFault(h, first, count, place, where, " are held twice");
        h.seen |= mask;
    }

    function _tileFault(Holding memory h, uint256 first, uint256 count, Place place, uint256 where, string memory what)
        private
        view
    {
        if (bytes(h.fault).length != 0) return;
        string memory at = place == Place.Unsold
            ? "unsold"
            : place == Place.OnSale ? "on sale" : place == Place.Offered ? "offered by round" : "seated in job";
        h.fault = string.concat(
            "job ", vm.toString(h.root), ": tiles ", vm.toString(first), " +", vm.toString(count), " ", at, " ",
            vm.toString(where), what
        );
    }

    function _countFault(uint256 jobId, string memory what, uint256 recorded, uint256 counted)
        private
        view
        returns (string memory)
    {
        return string.concat("job ", vm.toString(jobId), ": ", what, " ", vm.toString(recorded), ", counted ", vm.toString(counted));
    }

    /// @dev The posted job's reserve is within its escrow, which covers the fees it owes, its
    /// reserve and what its open seats (and its rounds') are still `owed`; its escrow, reserve and
    /// fees are the books'.
    function _moneyFault(uint256 root, IMarketTypes.Job memory pj, uint256 owed_) internal view returns (string memory) {
        Funds storage g = funds[root];
        uint256 reserve = market.reofferOf(root).reserve;
        if (reserve > pj.escrow) {
            return string.concat("job ", vm.toString(root), ": reserve ", vm.toString(reserve), " above escrow ", vm.toString(uint256(pj.escrow)));
        }
        if (reserve + pj.feesDue + owed_ > pj.escrow) {
            return string.concat(
                "job ", vm.toString(root), ": escrow ", vm.toString(uint256(pj.escrow)), " short of reserve ", vm.toString(reserve),
                " + fees ", vm.toString(uint256(pj.feesDue)), " + owed to open seats ", vm.toString(owed_)
            );
        }
        if (pj.escrow != g.escrow || reserve != g.reserve || pj.feesDue != g.fees) {
            return string.concat(
                "job ", vm.toString(root), ": escrow ", vm.toString(uint256(pj.escrow)), " reserve ", vm.toString(reserve),
                " fees ", vm.toString(uint256(pj.feesDue)), "; the books say ", vm.toString(g.escrow), " ",
                vm.toString(g.reserve), " ", vm.toString(g.fees)
            );
        }
        return "";
    }

    /// @dev Seats that still owe a verdict or pay: their tiles are held, and they count as open.
    function _openStates() internal pure returns (uint256) {
        return _bit(IMarketTypes.SeatState.Assigned) | _bit(IMarketTypes.SeatState.Submitted)
            | _bit(IMarketTypes.SeatState.Sealed) | _bit(IMarketTypes.SeatState.Opened)
            | _bit(IMarketTypes.SeatState.Accepted) | _bit(IMarketTypes.SeatState.Failed)
            | _bit(IMarketTypes.SeatState.Disputed) | _bit(IMarketTypes.SeatState.Contested)
            | _bit(IMarketTypes.SeatState.Challenged);
    }
}
