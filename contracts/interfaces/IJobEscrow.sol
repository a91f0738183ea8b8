// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IJobEscrow
/// @notice Posting and cancelling jobs, the escrow each job holds, and the pull-payment ledger
/// everyone withdraws from. A job's escrow only leaves it by crediting a ledger balance under the
/// market's rules; ETH only leaves the contract through `withdraw` and `withdrawStake`.
interface IJobEscrow is IMarketTypes {
    /// @notice `artist` posted job `jobId` for the manifest `manifestCid` and paid `deposit`.
    event JobPosted(
        uint256 indexed jobId,
        address indexed artist,
        string manifestCid,
        JobParams params,
        uint256 deposit,
        uint256 bidEnd,
        uint256 revealEnd
    );
    /// @notice The artist cancelled job `jobId` before assignment and was credited `refund`.
    event JobCancelled(uint256 indexed jobId, uint256 refund);
    /// @notice Job `jobId` ended: every seat of it and of its rounds is resolved and no round may
    /// open any more (or its first round sold nothing and it expired). The artist got
    /// `artistRefund` back and the treasury `protocolFee`.
    event JobCompleted(uint256 indexed jobId, uint256 artistRefund, uint256 protocolFee);
    /// @notice `account` withdrew `amount` from its balance.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice The job has no tiles, too many, or no frames.
    error InvalidTileCount(uint256 tileCount, uint256 frameCount);
    /// @notice The maximum price per tile is zero.
    error ZeroMaxPrice();
    /// @notice A stage window is zero.
    error ZeroWindow();
    /// @notice The manifest CID is empty.
    error EmptyManifestCid();
    /// @notice The payment is not exactly the job's quote.
    error WrongDeposit(uint256 sent, uint256 required);
    /// @notice The bid bond is below `bidBondBps` of the job's maximum value (or zero).
    error BidBondTooLow(uint256 bond, uint256 minimum);
    /// @notice The bid window closed at `bidEnd`: the job can no longer be cancelled.
    error CancelWindowClosed(uint256 jobId, uint256 bidEnd);
    /// @notice Nothing is credited to the caller.
    error NothingCredited(address account);

    /// @notice Posts a job and pays its full maximum into escrow: `tileCount * (maxPricePerTile +
    /// protocol fee on it + verifyFeePerTile)`, see {quote}. Bidding opens at once.
    /// @return jobId the new job's id (ids start at 1)
    function postJob(JobParams calldata params, string calldata manifestCid)
        external
        payable
        returns (uint256 jobId);

    /// @notice Cancels a job during its bid window (before any bid can be revealed) and credits the
    /// artist everything but the bids' bonds, which their bidders reclaim with their locks.
    function cancelJob(uint256 jobId) external;

    /// @notice Sends the caller everything credited to it.
    function withdraw() external;

    /// @notice The deposit `postJob` requires.
    function quote(uint256 tileCount, uint256 maxPricePerTile, uint256 verifyFeePerTile)
        external
        view
        returns (uint256);

    /// @notice Wei credited to `account` and withdrawable now.
    function balanceOf(address account) external view returns (uint256);

    /// @notice The job record.
    function job(uint256 jobId) external view returns (Job memory);

    /// @notice How many jobs were ever posted (the last job id).
    function jobCount() external view returns (uint256);

    /// @notice The deployment-wide parameters.
    function config() external view returns (MarketConfig memory);
}
