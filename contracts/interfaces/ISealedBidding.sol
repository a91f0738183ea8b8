// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title ISealedBidding
/// @notice Commit-reveal bidding for a job's tiles. During the bid window an eligible (staked)
/// account commits `bidCommitment(jobId, bidder, price, tiles, salt)` and declares `tiles` in the
/// open, with the job's bond, and locks the collateral of its tiles at the job's maximum price (the
/// most leaving the bid unrevealed could gain); after the bid window it reveals. The commitment
/// binds the bidder, so a copied reveal is worthless. Revealing returns the bond and turns the lock
/// into the bid's collateral at its own price (a bid is cut to the tiles the free stake can back).
/// An unrevealed (or invalid, hence unrevealable) bid forfeits its bond to the artist at settlement
/// and, through `forfeitBid`, its locked collateral too: a selective reveal never pays. Commits are not
/// capped; the job keeps the `MAX_BIDS` best revealed bids, and a better one evicts the worst, so
/// flooding the job with bids locks nobody out. After the reveal window, or as soon as every
/// committed bid is revealed, anyone settles: tiles go to the lowest price first, ties to the lower
/// `keccak256(tieSeed, bidder)` (the seed is a block hash no bidder knew when it committed), each
/// winner a contiguous range at its own price.
interface ISealedBidding is IMarketTypes {
    /// @notice `bidder` committed a sealed bid to job `jobId`.
    event BidCommitted(uint256 indexed jobId, address indexed bidder, bytes32 commitment, uint256 tileCount);
    /// @notice `bidder` never revealed its sealed bid: `slashed` of its stake went to the artist.
    event BidForfeited(uint256 indexed jobId, address indexed bidder, uint256 slashed);
    /// @notice `bidder` opened its bid: `tileCount` tiles at `pricePerTile` each.
    event BidRevealed(uint256 indexed jobId, address indexed bidder, uint256 pricePerTile, uint256 tileCount);
    /// @notice `worker` won tiles `firstTile .. firstTile + tileCount - 1` at `pricePerTile`.
    event TilesAssigned(
        uint256 indexed jobId, address indexed worker, uint256 firstTile, uint256 tileCount, uint256 pricePerTile
    );
    /// @notice `bidder`'s revealed bid won no tile.
    event BidOutbid(uint256 indexed jobId, address indexed bidder);
    /// @notice Bidding on `jobId` (a posted job or a round) is settled: `assignedTiles` went to
    /// `winners`; the artist was credited `artistRefund`, the bonds of bids never revealed (the
    /// escrow above the winning prices stays in the job's reserve until the job ends).
    event BidsSettled(
        uint256 indexed jobId, uint256 assignedTiles, uint256 winners, uint256 artistRefund, uint256 renderDeadline
    );
    /// @notice `bidder` took back its bond from the cancelled job `jobId`.
    event BondReclaimed(uint256 indexed jobId, address indexed bidder, uint256 amount);

    /// @notice The bid window of the job is over (or, for reveals, not over yet).
    error BiddingClosed(uint256 jobId, uint256 bidEnd);
    /// @notice Reveals open when the bid window closes.
    error RevealNotOpen(uint256 jobId, uint256 bidEnd);
    /// @notice The reveal window is over.
    error RevealClosed(uint256 jobId, uint256 revealEnd);
    /// @notice Settlement waits for the end of the reveal window while a committed bid is unrevealed.
    error RevealNotOver(uint256 jobId, uint256 revealEnd);
    /// @notice The bond sent is not the job's bid bond.
    error WrongBidBond(uint256 jobId, uint256 sent, uint256 required);
    /// @notice A commitment of zero cannot be told from no commitment.
    error EmptyCommitment();
    /// @notice The bidder already committed a bid to this job.
    error BidAlreadyCommitted(uint256 jobId, address bidder);
    /// @notice The caller committed no bid to this job.
    error NoBidCommitted(uint256 jobId, address bidder);
    /// @notice The bid was already revealed.
    error BidAlreadyRevealed(uint256 jobId, address bidder);
    /// @notice The revealed values do not hash to the commitment.
    error CommitmentMismatch(uint256 jobId, address bidder, bytes32 expected, bytes32 revealed);
    /// @notice The bid asks more per tile than the job's maximum.
    error BidAboveMaximum(uint256 jobId, uint256 price, uint256 max);
    /// @notice The bid asks for nothing or offers zero tiles.
    error EmptyBid(uint256 jobId, uint256 price, uint256 tileCount);
    /// @notice The ranking passed to `settle` does not list every kept bid exactly once.
    error RankingIncomplete(uint256 jobId, uint256 listed, uint256 revealed);
    /// @notice `bidder` in the ranking has no kept, unsettled bid.
    error NotRankable(uint256 jobId, address bidder);
    /// @notice The ranking is not strictly ascending by (price, tie-break key) at `position`.
    error RankingOutOfOrder(uint256 jobId, uint256 position);
    /// @notice There is no unrevealed bond of the caller to reclaim.
    error NoBondToReclaim(uint256 jobId, address bidder);
    /// @notice A bid declares between one tile and the job's tile count.
    error BidTilesOutOfRange(uint256 jobId, uint256 tileCount, uint256 jobTiles);
    /// @notice The free stake cannot lock the collateral the bid's tiles need at the maximum price.
    error StakeTooLowForBid(address bidder, uint256 needed, uint256 free);
    /// @notice There is no unrevealed bid of `bidder` to forfeit (or the job was cancelled).
    error BidNotForfeitable(uint256 jobId, address bidder);

    /// @notice Commits a sealed bid for `tileCount` tiles; `msg.value` must be the job's bid bond, the
    /// caller eligible, and its free stake able to lock the tiles' collateral at the maximum price.
    function commitBid(uint256 jobId, bytes32 commitment, uint16 tileCount) external payable;

    /// @notice Opens the caller's bid after the bid window; credits its bond back, locks the bid's
    /// collateral and keeps the bid if it is among the job's `MAX_BIDS` best.
    function revealBid(uint256 jobId, uint96 pricePerTile, uint16 tileCount, bytes32 salt) external;

    /// @notice Assigns the tiles after the reveal window. Permissionless.
    /// @param ranked every kept bidder ({keptBids}), sorted ascending by price, then by `keccak256(abi.encode(tieSeed, bidder))`; the contract
    /// checks the order instead of sorting, so the call costs O(bids)
    function settle(uint256 jobId, address[] calldata ranked) external;

    /// @notice After a cancellation, credits the caller the bond of its unrevealed bid and unlocks
    /// its collateral.
    function reclaimBond(uint256 jobId) external;

    /// @notice After the reveal window, slashes the collateral an unrevealed bid locked and credits
    /// it to the artist. Permissionless.
    function forfeitBid(uint256 jobId, address bidder) external;

    /// @notice The revealed bids still in the running for `jobId`, in no particular order: the
    /// bidders `settle` must rank.
    function keptBids(uint256 jobId) external view returns (address[] memory);

    /// @notice One worker's seat in one job.
    function seat(uint256 jobId, address worker) external view returns (Seat memory);
}
