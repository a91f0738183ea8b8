// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {MarketParams} from "../utils/MarketParams.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title BiddingActions
/// @notice Fuzzed steps from posting a job to its settlement or cancellation.
abstract contract BiddingActions is MarketCalls, Clock, Choices {
    /// @notice The artist (one time in four the colluding one) posts a job of 1-8 tiles with up to
    /// three re-offer rounds until a final deadline one to twelve hours after its first reveals, and
    /// one to four bidders who were watching seal their bids at once. One posting in sixteen asks for
    /// impossible rounds, which must be refused.
    function postJob(uint256 who, uint256 tiles, uint256 price, uint256 fee) external {
        if (postedJobs.length >= MAX_JOBS) return;
        IMarketTypes.JobParams memory p;
        p.tileCount = uint16(_between(tiles, 1, 8));
        p.frameCount = 1;
        p.maxPricePerTile = uint80(_between(price, 0.01 ether, 0.1 ether));
        p.verifyFeePerTile = uint96(_between(fee, 0, 0.005 ether));
        uint256 minBond = MarketMath.minBidBond(p.tileCount, p.maxPricePerTile, cfg.bidBondBps);
        p.bidBond = uint80(minBond * (1 + (tiles >> 8) % 2));
        p.bidWindow = MarketParams.BID_WINDOW;
        p.revealWindow = MarketParams.REVEAL_WINDOW;
        p.renderWindow = MarketParams.RENDER_WINDOW;
        p.verifyWindow = MarketParams.VERIFY_WINDOW;
        _chooseRounds(p, _mix(tiles ^ fee));
        uint256 deposit = market.quote(p.tileCount, p.maxPricePerTile, p.verifyFeePerTile);
        if (!_postJob(who % 4 == 0 ? colluder : artist, p, deposit)) return;
        uint256 jobId = market.jobCount();
        uint256 mix = _mix(who);
        for (uint256 k; k <= mix % 4; ++k) {
            _sealBid(jobId, _one(bidders, (mix >> 8) + k), _mix(price ^ k), _mix(tiles ^ k));
        }
    }

    /// @dev 0-3 rounds and, with rounds, a final deadline 1-12 hours after the first reveals close;
    /// one time in sixteen the rounds are impossible: too many, a deadline without rounds, rounds
    /// without a deadline, or a deadline before the first reveals close.
    function _chooseRounds(IMarketTypes.JobParams memory p, uint256 seed) private view {
        uint256 revealEnd = block.timestamp + p.bidWindow + p.revealWindow;
        p.maxRounds = uint8(seed % 4);
        if (p.maxRounds != 0) p.finalDeadline = uint40(revealEnd + _between(seed >> 8, 1 hours, 12 hours));
        if ((seed >> 64) % 16 != 0) return;
        uint256 how = (seed >> 72) % 4;
        if (how == 0) {
            p.maxRounds = uint8(_between(seed >> 80, 9, 255));
            p.finalDeadline = uint40(revealEnd + 1 hours);
        } else if (how == 1) {
            p.maxRounds = 0;
            p.finalDeadline = uint40(revealEnd + 1 hours);
        } else if (how == 2) {
            p.maxRounds = 1;
            p.finalDeadline = 0;
        } else {
            p.maxRounds = 2;
            p.finalDeadline = uint40(revealEnd - (seed >> 88) % 2);
        }
    }

    /// @notice The job's artist (one time in eight someone else) cancels a job still bidding.
    function cancelJob(uint256 job, uint256 who) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        if (jobId == 0) return;
        _cancelJob(who % 8 == 0 ? _anyone(who >> 3) : artistOf[jobId], jobId);
    }

    /// @notice A bidder seals a bid: the cheater underbids, one bid in sixteen cannot be revealed
    /// (above the maximum) and one in sixteen asks for no tiles (which must be refused).
    function commitBid(uint256 job, uint256 who, uint256 price, uint256 tiles) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        if (jobId != 0) _sealBid(jobId, _one(bidders, who), price, tiles);
    }

    /// @dev `bidder` commits a bid drawn from the seeds; the handler keeps its opening.
    function _sealBid(uint256 jobId, address bidder, uint256 price, uint256 tiles) internal {
        IMarketTypes.Job memory j = market.job(jobId);
        uint256 max = j.maxPricePerTile;
        uint256 p = bidder == cheater ? _between(price, max / 4, max / 2) : _between(price, max / 2, max);
        uint256 mix = _mix(price ^ tiles);
        if (mix % 16 == 0) p = max + 1;
        Bid memory bid = Bid({
            price: uint96(p),
            tiles: (mix >> 8) % 16 == 0 ? 0 : uint16(_between(tiles, 1, j.tileCount)),
            salt: keccak256(abi.encode(jobId, bidder, price))
        });
        _commit(bidder, jobId, bid, j.bidBond);
    }

    /// @notice Every spammer bids the maximum price for every tile of one job.
    function flood(uint256 job) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        if (jobId == 0) return;
        IMarketTypes.Job memory j = market.job(jobId);
        for (uint256 i; i < spammers.length; ++i) {
            if (bids[jobId][spammers[i]].salt != bytes32(0)) continue;
            Bid memory bid = Bid(uint96(j.maxPricePerTile), j.tileCount, keccak256(abi.encode(jobId, spammers[i])));
            _commit(spammers[i], jobId, bid, j.bidBond);
        }
    }

    /// @notice A bidder opens its sealed bid; three times in four it first waits for the reveal window.
    function revealBid(uint256 job, uint256 who, uint256 wait) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        if (jobId != 0) _revealNext(jobId, who, wait % 4 != 0);
    }

    /// @dev Reveals the first sealed bid from a seeded start, after the bid window if `wait`;
    /// returns false when every bid is open.
    function _revealNext(uint256 jobId, uint256 who, bool wait) internal returns (bool) {
        address[] storage list = jobBidders[jobId];
        for (uint256 i; i < list.length; ++i) {
            address bidder = list[(who % list.length + i) % list.length];
            IMarketTypes.Seat memory s = market.seat(jobId, bidder);
            if (s.hash == bytes32(0) || s.state != IMarketTypes.SeatState.None) continue;
            if (wait) _warpTo(market.job(jobId).bidEnd + 1);
            _revealBid(bidder, jobId, bids[jobId][bidder]);
            return true;
        }
        return false;
    }

    /// @notice Anyone settles a job; half the time it first waits for the end of the reveal window.
    function settle(uint256 job, uint256 who, uint256 wait) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Bidding);
        if (jobId == 0) return;
        if (wait % 2 == 0) _warpTo(market.job(jobId).revealEnd + 1);
        _settle(_anyone(who), jobId, _ranking(jobId));
    }

    /// @notice Anyone forfeits a sealed bid left unrevealed (its locked collateral goes to the
    /// artist); half the time it first waits for the end of the reveal window. One time in eight it
    /// names any bidder of the job, whose bid may have been revealed: that must be refused.
    function forfeitBid(uint256 job, uint256 who, uint256 wait) external {
        uint256 jobs = market.jobCount();
        if (jobs == 0) return;
        uint256 jobId = 1 + job % jobs;
        if (jobBidders[jobId].length == 0) return;
        address bidder = wait % 8 == 0 ? _one(jobBidders[jobId], who) : _unrevealedBid(jobId, who);
        if (bidder == address(0)) return;
        if (wait % 2 == 0) _warpTo(market.job(jobId).revealEnd + 1);
        _forfeitBid(_anyone(who >> 8), jobId, bidder);
    }

    /// @notice A bidder of a cancelled job takes its sealed bid's bond back.
    function reclaimBond(uint256 job, uint256 who) external {
        uint256 jobId = _jobIn(job, IMarketTypes.JobStatus.Cancelled);
        if (jobId == 0 || jobBidders[jobId].length == 0) return;
        _reclaimBond(_one(jobBidders[jobId], who), jobId);
    }

    function _commit(address bidder, uint256 jobId, Bid memory bid, uint256 bond) private {
        bool first = bids[jobId][bidder].salt == bytes32(0);
        if (_commitBid(bidder, jobId, bid, bond) && first) {
            bids[jobId][bidder] = bid;
            jobBidders[jobId].push(bidder);
        }
    }
}
