// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IWorkerRegistry
/// @notice Staking for render workers and verifiers: native ETH, a minimum stake, unstaking with a
/// delay, reputation counters, and the append-only pool verifiers are drawn from. Stakes can only be
/// slashed by the market's own rules (fraud, lateness, false accusation); there is no external
/// slashing entry point.
interface IWorkerRegistry is IMarketTypes {
    /// @notice `worker` added `amount` to its stake, which is now `totalStake`.
    event Staked(address indexed worker, uint256 amount, uint256 totalStake);
    /// @notice `worker` moved `amount` out of its stake; it can withdraw it at `unlockAt`.
    event UnstakeRequested(address indexed worker, uint256 amount, uint256 unlockAt);
    /// @notice `worker` took back `amount` of unstaked ETH.
    event StakeWithdrawn(address indexed worker, uint256 amount);
    /// @notice `worker` lost `amount` of its stake in job `jobId`.
    event Slashed(address indexed worker, uint256 indexed jobId, SlashReason reason, uint256 amount);

    /// @notice Staking nothing.
    error ZeroStake();
    /// @notice The stake after this deposit would still be below the minimum.
    error StakeBelowMinimum(address worker, uint256 stake, uint256 minStake);
    /// @notice Asked to unstake nothing or more than is staked.
    error UnstakeExceedsStake(address worker, uint256 amount, uint256 stake);
    /// @notice Nothing is waiting to be withdrawn.
    error NothingToWithdraw(address account);
    /// @notice The unstaked ETH is still locked.
    error StakeLocked(address worker, uint256 unlockAt);

    /// @notice Adds `msg.value` to the caller's stake; the first stake enters the verifier pool.
    function stake() external payable;

    /// @notice Moves `amount` out of the bonded stake; it stays slashable until withdrawn after
    /// the unstake delay. A new request restarts the delay for everything unstaking.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller its unstaked ETH once the delay has passed.
    function withdrawStake() external;

    /// @notice The stake record and reputation counters of `account`.
    function account(address account) external view returns (Account memory);

    /// @notice Whether `account` may bid and be drawn as a verifier.
    function isEligible(address account) external view returns (bool);

    /// @notice How many accounts have ever staked (the verifier pool size, eligible or not).
    function poolSize() external view returns (uint256);

    /// @notice The account in the 1-based pool slot `slot`.
    function poolMember(uint256 slot) external view returns (address);
}
