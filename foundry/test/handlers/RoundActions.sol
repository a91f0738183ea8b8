// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketMath} from "../utils/MarketMath.sol";
import {BiddingActions} from "./BiddingActions.sol";

/// @title RoundActions
/// @notice Fuzzed steps of re-offering: anyone opens a posted job's next round over its unsold
/// tiles, the artist tops up the reserve and raises the next maximum price, and re-offering ends.
/// Each goes through exactly when the rules allow it ({RoundRules}); now and then the wrong party,
/// the wrong job or the wrong price is tried, which must be refused. A round's bids, seats,
/// verification and disputes are the other steps', which pick round ids like any job id. As at a
/// posting, bidders who were watching seal bids in a round as soon as it opens (a worker barred from
/// the job among them must be refused).
abstract contract RoundActions is BiddingActions {
    /// @dev The most a top-up raises the next maximum price to: collateral follows the price, and
    /// the stakers' stakes must still back bids.
    uint256 internal constant MAX_ROUND_PRICE = 0.15 ether;

    /// @notice Anyone opens the next round of a posted job. Those waiting for it first let the
    /// job's bidding (or its latest round's) run out: the bids are revealed and anyone settles. Half
    /// the time the artist tops the reserve up first if it falls short; otherwise, half of the time
    /// after the artist raised the next price to MAX_ROUND_PRICE without funding it, the round is
    /// tried as it is (and must be refused while the reserve falls short). One time in eight any job is named instead (a
    /// round, a job still bidding or ended), which must be refused unless it is ready.
    function reoffer(uint256 job, uint256 who) external {
        if (who % 8 == 0) {
            uint256 any = _anyJob(job);
            if (any != 0) _reoffer(_anyone(who >> 3), any);
            return;
        }
        uint256 root = _postedIn(job, IMarketTypes.JobStatus.Active);
        if (root == 0) root = _postedIn(job, IMarketTypes.JobStatus.Bidding);
        if (root == 0) return;
        _closeBidding(root, who >> 3);
        uint256 latest = market.job(root).latest;
        if (latest != 0) _closeBidding(latest, who >> 5);
        if ((who >> 7) % 2 == 0) {
            _reofferAsParties(root, _mix(who));
            return;
        }
        uint80 current = market.reofferOf(root).maxPricePerTile;
        if ((who >> 8) % 2 == 0 && current < MAX_ROUND_PRICE) _topUp(artistOf[root], root, 0, uint80(MAX_ROUND_PRICE));
        _openRound(_anyone(who >> 16), root, _mix(job ^ who));
    }

    /// @dev If `jobId` is still bidding: its bidding window runs out, every sealed bid is revealed
    /// (those that cannot be are refused), the reveal window runs out and anyone settles.
    function _closeBidding(uint256 jobId, uint256 seed) internal {
        IMarketTypes.Job memory j = market.job(jobId);
        if (j.status != IMarketTypes.JobStatus.Bidding) return;
        _warpTo(j.bidEnd + 1);
        address[] storage list = jobBidders[jobId];
        for (uint256 i; i < list.length; ++i) {
            IMarketTypes.Seat memory s = market.seat(jobId, list[i]);
            if (s.hash != bytes32(0) && s.state == IMarketTypes.SeatState.None) _revealBid(list[i], jobId, bids[jobId][list[i]]);
        }
        _warpTo(j.revealEnd + 1);
        _settle(_anyone(seed), jobId, _ranking(jobId));
    }

    /// @dev `who` opens the job's next round; one to three bidders who were watching seal bids in it.
    function _openRound(address who, uint256 root, uint256 seed) internal returns (bool ok) {
        ok = _reoffer(who, root);
        if (!ok) return false;
        uint256 roundId = market.jobCount();
        for (uint256 k; k <= seed % 3; ++k) {
            _sealBid(roundId, _one(bidders, (seed >> 8) + k), _mix(seed ^ k), _mix(seed + k));
        }
    }

    /// @notice The artist of a posted job still bidding or active adds up to 0.3 ether to its reserve
    /// and keeps or raises its next maximum price. One time in eight someone else tries, one in eight
    /// the price is lowered, one in sixteen any job is named: all must be refused.
    function topUp(uint256 job, uint256 who, uint256 amount, uint256 raise) external {
        uint256 jobId;
        if ((raise >> 8) % 16 == 0) {
            jobId = _anyJob(job);
        } else {
            jobId = _postedIn(job, IMarketTypes.JobStatus.Active);
            if (jobId == 0 || job % 4 == 0) jobId = _postedIn(job >> 2, IMarketTypes.JobStatus.Bidding);
        }
        if (jobId == 0) return;
        uint80 current = market.reofferOf(jobId).maxPricePerTile;
        uint80 maxPrice = current;
        if (raise % 8 == 0 && current > 1) maxPrice = current - 1;
        else if (raise % 8 >= 4) maxPrice = _raisedMax(current, raise >> 3);
        address sender = who % 8 == 0 ? _anyone(who >> 3) : artistOf[jobId];
        _topUp(sender, jobId, _between(amount, 0, 0.3 ether), maxPrice);
    }

    /// @notice Re-offering of an active posted job ends: half the time its artist says so, otherwise
    /// someone else, refused before the final deadline while rounds are left. One time in eight any
    /// job is named, which must be refused unless it is an active posted job.
    function endReoffering(uint256 job, uint256 who) external {
        uint256 jobId = (who >> 1) % 8 == 0 ? _anyJob(job) : _postedIn(job, IMarketTypes.JobStatus.Active);
        if (jobId == 0) return;
        _endReoffering(who % 2 == 0 ? artistOf[jobId] : _anyone(who >> 4), jobId);
    }

    /// @dev The parties of an active posted job whose tiles may go on sale again: now and then the
    /// artist raises the next maximum price; if the reserve falls short of the round (or the price
    /// rose), the artist tops it up, or one time in four (at an unchanged price) ends re-offering
    /// instead; then anyone opens the round.
    function _reofferAsParties(uint256 root, uint256 seed) internal {
        IMarketTypes.Reoffer memory o = market.reofferOf(root);
        uint256 tiles = MarketMath.tilesIn(market.unsoldTiles(root));
        uint80 maxPrice = seed % 4 == 0 ? _raisedMax(o.maxPricePerTile, seed >> 2) : o.maxPricePerTile;
        uint256 needed = _roundCost(tiles, maxPrice, market.job(root).verifyFeePerTile);
        if (maxPrice != o.maxPricePerTile || o.reserve < needed) {
            if (maxPrice == o.maxPricePerTile && (seed >> 32) % 4 == 0) {
                _endReoffering(artistOf[root], root);
                return;
            }
            _topUp(artistOf[root], root, needed > o.reserve ? needed - o.reserve : 0, maxPrice);
        }
        _openRound(_anyone(seed >> 40), root, _mix(seed));
    }

    /// @dev Nothing of an active posted job is open and no round may open now: its artist ends
    /// re-offering (half the time, if it could still go on), or anyone once it is over (waiting for
    /// the final deadline if rounds are left).
    function _endAsParties(uint256 root, uint256 seed) internal {
        IMarketTypes.Reoffer memory o = market.reofferOf(root);
        bool over = o.roundsLeft == 0 || block.timestamp > o.finalDeadline;
        if (!over && seed % 2 == 0) {
            _endReoffering(artistOf[root], root);
            return;
        }
        if (o.roundsLeft != 0) _warpTo(uint256(o.finalDeadline) + 1);
        _endReoffering(_anyone(seed >> 1), root);
    }

    /// @dev The next maximum price raised by 1-50%, up to MAX_ROUND_PRICE (never lowered).
    function _raisedMax(uint80 current, uint256 seed) internal pure returns (uint80) {
        uint256 raised = uint256(current) + uint256(current) * _between(seed, 1, 50) / 100;
        if (raised > MAX_ROUND_PRICE) raised = current > MAX_ROUND_PRICE ? current : MAX_ROUND_PRICE;
        return uint80(raised);
    }

    /// @dev A posted job in `status`, searching from a seeded start; zero when there is none.
    function _postedIn(uint256 seed, IMarketTypes.JobStatus status) internal view returns (uint256) {
        uint256 n = postedJobs.length;
        for (uint256 i; i < n; ++i) {
            uint256 jobId = postedJobs[(seed % n + i) % n];
            if (market.job(jobId).status == status) return jobId;
        }
        return 0;
    }

    /// @dev Any job id, posted or a round, in any status; zero when there is none.
    function _anyJob(uint256 seed) internal view returns (uint256) {
        uint256 n = market.jobCount();
        return n == 0 ? 0 : 1 + seed % n;
    }
}
