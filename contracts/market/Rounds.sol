// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobEscrow} from "../interfaces/IJobEscrow.sol";
import {IReoffering} from "../interfaces/IReoffering.sol";
import {ISealedBidding} from "../interfaces/ISealedBidding.sol";
import {BidBook} from "./BidBook.sol";
import {Settlement} from "./Settlement.sol";

/// @title Rounds
/// @notice How a job's rounds open, settle and end: posting a job opens its first round
/// ({IJobEscrow.postJob}, {IJobEscrow.cancelJob}); settling turns a round's revealed bids into
/// seats over the tiles it sells ({ISealedBidding.settle}); what it did not sell, and the tiles of
/// every seat that delivers nothing, go back to the job's unsold tiles and round again
/// ({IReoffering}). These rules run in {RoundKeeper}, on the market's storage, by delegate call
/// from {JobMarket}, which also answers the reads (`reofferOf`, `unsoldTiles`...) itself.
///
/// Money: a posted job's escrow holds every round's money; its reserve is the part no open seat is
/// owed. Posting fills it, settling moves each winner's tiles (at its price, with fee and verifier
/// fee) out of it, a seat that delivers nothing returns what is left of them, and the slash of a
/// late or fraudulent worker is added to it: the culprit pays for its tiles' next round first.
abstract contract Rounds is Settlement, BidBook {
    /// @dev Where a settlement stands in the ranges its round sells.
    struct Lot {
        uint32[] ranges;
        uint256 index; // the range being filled
        uint256 used; // its tiles already assigned
        uint256 sold;
        uint256 kept; // escrow the winners' seats are owed
        uint256 winners;
    }

    /// @notice See {IJobEscrow.postJob}.
    function postJob(JobParams calldata p, string calldata manifestCid)
        external
        payable
        returns (uint256 jobId)
    {
        if (p.tileCount == 0 || p.frameCount == 0 || p.frameCount > p.tileCount) {
            revert IJobEscrow.InvalidTileCount(p.tileCount, p.frameCount);
        }
        if (p.maxPricePerTile == 0) revert IJobEscrow.ZeroMaxPrice();
        if (p.bidWindow == 0 || p.revealWindow == 0 || p.renderWindow == 0 || p.verifyWindow == 0) {
            revert IJobEscrow.ZeroWindow();
        }
        if (bytes(manifestCid).length == 0) revert IJobEscrow.EmptyManifestCid();
        uint256 revealEnd = block.timestamp + p.bidWindow + p.revealWindow;
        // Re-offering needs a deadline after the first round's reveals, and no deadline without it.
        bool noRounds = p.maxRounds == 0;
        if (p.maxRounds > MAX_ROUNDS || noRounds != (p.finalDeadline == 0) || (!noRounds && p.finalDeadline <= revealEnd)) {
            revert IReoffering.InvalidRounds(p.maxRounds, p.finalDeadline);
        }
        uint256 minBond = _minBidBond(p.tileCount, p.maxPricePerTile);
        if (p.bidBond < minBond) revert IJobEscrow.BidBondTooLow(p.bidBond, minBond);
        uint256 required = _quote(p.tileCount, p.maxPricePerTile, p.verifyFeePerTile);
        if (msg.value != required) revert IJobEscrow.WrongDeposit(msg.value, required);

        jobId = _nextJobId++;
        uint256 bidEnd = block.timestamp + p.bidWindow;
        Job storage j = _jobs[jobId];
        j.escrow = uint96(required);
        j.tileCount = p.tileCount;
        j.status = JobStatus.Bidding;
        j.verifyWindow = p.verifyWindow;
        j.artist = msg.sender;
        j.verifyFeePerTile = p.verifyFeePerTile;
        j.bidEnd = uint40(bidEnd);
        j.revealEnd = uint40(revealEnd);
        j.maxPricePerTile = p.maxPricePerTile;
        j.bidBond = p.bidBond;
        j.renderWindow = p.renderWindow;
        _reoffers[jobId] = Reoffer({
            reserve: uint96(required),
            maxPricePerTile: p.maxPricePerTile,
            finalDeadline: p.finalDeadline,
            bidWindow: p.bidWindow,
            roundsLeft: p.maxRounds
        });
        emit IJobEscrow.JobPosted(jobId, msg.sender, manifestCid, p, required, bidEnd, revealEnd);
    }

    /// @notice See {IJobEscrow.cancelJob}.
    function cancelJob(uint256 jobId) external {
        Job storage j = _job(jobId);
        if (msg.sender != j.artist) revert NotArtist(jobId, msg.sender, j.artist);
        _requireStatus(jobId, j, JobStatus.Bidding);
        if (j.root != 0) revert IReoffering.NotAPostedJob(jobId, j.root);
        // Once reveals may start, bids show their prices and unrevealed ones owe their collateral
        // (`forfeitBid`): the job runs to its settlement.
        if (block.timestamp > j.bidEnd) revert IJobEscrow.CancelWindowClosed(jobId, j.bidEnd);
        // Unrevealed bonds stay held apart until their bidders reclaim them.
        uint256 refund = j.escrow;
        j.escrow = 0;
        _reoffers[jobId].reserve = 0;
        j.status = JobStatus.Cancelled;
        _credit(msg.sender, refund);
        emit IJobEscrow.JobCancelled(jobId, refund);
    }

    /// @notice See {ISealedBidding.settle}. Winners, cheapest first, take the tiles the round sells
    /// in order, each within one range (a bid larger than the rest of a range gets the rest).
    function settle(uint256 jobId, address[] calldata ranked) external {
        Job storage j = _job(jobId);
        _requireStatus(jobId, j, JobStatus.Bidding);
        // Once the bid window is over and every sealed bid is open, nothing is left to wait for.
        bool allRevealed = block.timestamp > j.bidEnd && j.reveals == j.commits;
        if (block.timestamp <= j.revealEnd && !allRevealed) revert ISealedBidding.RevealNotOver(jobId, j.revealEnd);
        if (ranked.length != j.kept) revert ISealedBidding.RankingIncomplete(jobId, ranked.length, j.kept);

        // slither-disable-next-line uninitialized-local
        Lot memory lot;
        if (j.root == 0) {
            lot.ranges = new uint32[](1);
            lot.ranges[0] = _range(0, j.tileCount);
        } else {
            lot.ranges = _offered[jobId];
        }
        uint256 previousKey = 0;
        uint256 seed = j.tieSeed;
        for (uint256 i; i < ranked.length; ++i) {
            previousKey = _checkRank(jobId, seed, ranked, i, previousKey);
            _assign(jobId, j, ranked[i], lot);
        }
        (uint256 rootId, Job storage funds) = _fundsOf(jobId, j);
        _returnUnsold(rootId, jobId, lot);
        _reoffers[rootId].reserve -= uint96(lot.kept);
        // The forfeited bonds of unrevealed bids are the artist's at once.
        uint256 bonds = uint256(j.commits - j.reveals) * j.bidBond;
        _credit(j.artist, bonds);
        j.openSeats = uint8(lot.winners);
        if (lot.winners == 0) {
            emit ISealedBidding.BidsSettled(jobId, 0, 0, bonds, 0);
            _soldNothing(rootId, jobId, j, funds);
            return;
        }
        uint256 renderDeadline = block.timestamp + j.renderWindow;
        j.status = JobStatus.Active;
        j.renderDeadline = uint40(renderDeadline);
        emit ISealedBidding.BidsSettled(jobId, lot.sold, lot.winners, bonds, renderDeadline);
    }

    /// @notice See {IReoffering.reoffer}.
    function reoffer(uint256 jobId) external returns (uint256 roundId) {
        Job storage r = _postedJob(jobId);
        _requireStatus(jobId, r, JobStatus.Active);
        uint256 latest = r.latest;
        if (latest != 0 && _jobs[latest].status == JobStatus.Bidding) revert IReoffering.RoundStillBidding(jobId, latest);
        uint32[] memory ranges = _unsold[jobId];
        if (ranges.length == 0) revert IReoffering.NothingToReoffer(jobId);
        Reoffer storage o = _reoffers[jobId];
        if (o.roundsLeft == 0 || block.timestamp > o.finalDeadline) revert IReoffering.ReofferingOver(jobId);
        uint256 tiles = _tilesIn(ranges);
        uint256 price = o.maxPricePerTile;
        uint256 bounty = tiles * r.verifyFeePerTile * _drawBountyBps / BPS;
        uint256 needed = _quote(tiles, price, r.verifyFeePerTile) + bounty;
        if (o.reserve < needed) revert IReoffering.ReserveTooLow(jobId, needed, o.reserve);

        delete _unsold[jobId];
        roundId = _nextJobId++;
        uint256 round = latest == 0 ? 1 : uint256(_jobs[latest].round) + 1;
        uint256 bidEnd = block.timestamp + o.bidWindow;
        uint256 revealEnd = bidEnd + (r.revealEnd - r.bidEnd);
        uint256 bond = _minBidBond(tiles, price);
        if (bond < r.bidBond) bond = r.bidBond;
        Job storage n = _jobs[roundId];
        n.tileCount = uint16(tiles);
        n.status = JobStatus.Bidding;
        n.verifyWindow = r.verifyWindow;
        n.artist = r.artist;
        n.verifyFeePerTile = r.verifyFeePerTile;
        n.bidEnd = uint40(bidEnd);
        n.revealEnd = uint40(revealEnd);
        n.maxPricePerTile = uint80(price);
        n.bidBond = uint80(bond);
        n.renderWindow = r.renderWindow;
        n.root = uint32(jobId);
        n.round = uint8(round);
        _offered[roundId] = ranges;

        o.roundsLeft -= 1;
        o.reserve -= uint96(bounty);
        r.escrow -= uint96(bounty);
        r.latest = uint32(roundId);
        r.openRounds += 1;
        _credit(msg.sender, bounty);
        emit IReoffering.RoundOpened(jobId, roundId, round, tiles, price, bond, bidEnd, revealEnd, ranges, msg.sender, bounty);
    }

    /// @notice See {IReoffering.topUp}.
    function topUp(uint256 jobId, uint80 maxPricePerTile) external payable {
        Job storage r = _postedJob(jobId);
        if (msg.sender != r.artist) revert NotArtist(jobId, msg.sender, r.artist);
        if (r.status != JobStatus.Bidding) _requireStatus(jobId, r, JobStatus.Active);
        Reoffer storage o = _reoffers[jobId];
        if (maxPricePerTile < o.maxPricePerTile) revert IReoffering.MaxPriceLowered(jobId, o.maxPricePerTile, maxPricePerTile);
        o.maxPricePerTile = maxPricePerTile;
        o.reserve += uint96(msg.value);
        r.escrow += uint96(msg.value);
        emit IReoffering.JobToppedUp(jobId, msg.value, maxPricePerTile);
    }

    /// @notice See {IReoffering.endReoffering}.
    function endReoffering(uint256 jobId) external {
        Job storage r = _postedJob(jobId);
        _requireStatus(jobId, r, JobStatus.Active);
        Reoffer storage o = _reoffers[jobId];
        if (msg.sender != r.artist && o.roundsLeft != 0 && block.timestamp <= o.finalDeadline) {
            revert IReoffering.ReofferingNotOver(jobId, o.finalDeadline);
        }
        o.roundsLeft = 0;
        emit IReoffering.ReofferingEnded(jobId, _tilesIn(_unsold[jobId]));
        _tryComplete(jobId, r);
    }

    function _postedJob(uint256 jobId) internal view returns (Job storage j) {
        j = _job(jobId);
        if (j.root != 0) revert IReoffering.NotAPostedJob(jobId, j.root);
    }

    /// @dev Gives `bidder` what it bid for of the rest of the current range (moving on to the next
    /// range when it is full), or outbids it when every range is sold or it was barred from the job
    /// after it committed. The collateral of the tiles it did not get is unlocked.
    function _assign(uint256 jobId, Job storage j, address bidder, Lot memory lot) internal {
        Seat storage s = _seats[jobId][bidder];
        // A bid committed before its bidder failed the job (late or rejected) wins nothing.
        if (j.root != 0 && _barred[j.root][bidder]) {
            _outbid(jobId, bidder, s);
            return;
        }
        while (lot.index < lot.ranges.length && lot.used == _rangeTiles(lot.ranges[lot.index])) {
            ++lot.index;
            lot.used = 0;
        }
        if (lot.index == lot.ranges.length) {
            _outbid(jobId, bidder, s);
            return;
        }
        uint256 range = lot.ranges[lot.index];
        uint256 left = _rangeTiles(range) - lot.used;
        uint256 take = s.tileCount < left ? s.tileCount : left;
        uint256 first = _rangeFirst(range) + lot.used;
        uint256 price = s.pricePerTile;
        _unlock(_accounts[bidder], _collateral(s.tileCount, price) - _collateral(take, price));
        s.firstTile = uint16(first);
        s.tileCount = uint16(take);
        s.state = SeatState.Assigned;
        lot.used += take;
        lot.sold += take;
        lot.kept += take * (price + _feePerTile(price) + j.verifyFeePerTile);
        lot.winners += 1;
        emit ISealedBidding.TilesAssigned(jobId, bidder, first, take, price);
    }

    /// @dev What the round did not sell goes back to the job's unsold tiles.
    function _returnUnsold(uint256 rootId, uint256 jobId, Lot memory lot) internal {
        for (uint256 k = lot.index; k < lot.ranges.length; ++k) {
            uint256 used = k == lot.index ? lot.used : 0;
            uint256 tiles = _rangeTiles(lot.ranges[k]) - used;
            if (tiles == 0) continue;
            uint256 first = _rangeFirst(lot.ranges[k]) + used;
            _unsold[rootId].push(_range(first, tiles));
            emit IReoffering.TilesReturned(rootId, jobId, address(0), first, tiles, SeatState.None);
        }
    }

    /// @dev A round that sold nothing. At a maximum price the artist has not raised since it
    /// opened, another round would sell nothing either: re-offering ends. A posted job whose first
    /// round sold nothing and that cannot be re-offered expires, refunding everything.
    function _soldNothing(uint256 rootId, uint256 jobId, Job storage j, Job storage funds) internal {
        Reoffer storage o = _reoffers[rootId];
        if (o.roundsLeft != 0 && o.maxPricePerTile <= j.maxPricePerTile) {
            o.roundsLeft = 0;
            emit IReoffering.ReofferingEnded(rootId, _tilesIn(_unsold[rootId]));
        }
        if (rootId != jobId) {
            j.status = JobStatus.Expired;
            funds.openRounds -= 1;
            _tryComplete(rootId, funds);
            return;
        }
        j.status = JobStatus.Active; // waits for its next round, or:
        if (_tryComplete(rootId, funds)) j.status = JobStatus.Expired;
    }

    function _tilesIn(uint32[] memory ranges) internal pure returns (uint256 tiles) {
        for (uint256 k; k < ranges.length; ++k) {
            tiles += _rangeTiles(ranges[k]);
        }
    }

    function _rangeFirst(uint256 range) internal pure returns (uint256) {
        return range >> 16;
    }

    function _rangeTiles(uint256 range) internal pure returns (uint256) {
        return uint16(range);
    }
}
