// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IWorkerRegistry
/// @notice Staking for render workers and verifiers: native ETH, a minimum stake, unstaking with a
/// delay, reputation counters, and the compact pool verifiers are drawn from: it holds exactly the
/// accounts staked at least `minStake` (an account leaves it by swap-and-pop when an unstake request
/// or a slash takes it below). Collateral locked for bids and seats cannot be unstaked, and a
/// verifier with an open duty cannot withdraw. Stakes can only be slashed by the market's own rules
/// (fraud, lateness, false verdicts, silence); there is no external slashing entry point.
interface IWorkerRegistry is IMarketTypes {
    /// @notice `worker` added `amount` to its stake, which is now `totalStake`.
    event Staked(address indexed worker, uint256 amount, uint256 totalStake);
    /// @notice `worker` moved `amount` out of its stake; it can withdraw it at `unlockAt`.
    event UnstakeRequested(address indexed worker, uint256 amount, uint256 unlockAt);
    /// @notice `worker` took back `amount` of unstaked ETH.
    event StakeWithdrawn(address indexed worker, uint256 amount);
    /// @notice `worker` lost `amount` of its stake in job `jobId`.
    event Slashed(address indexed worker, uint256 indexed jobId, SlashReason reason, uint256 amount);
    /// @notice `account` declared that it renders on the Cycles backend class `backend` with
    /// `vramMiB` MiB of GPU memory (see {declareHardware}).
    event HardwareDeclared(address indexed account, uint8 backend, uint32 vramMiB);

    /// @notice Staking nothing.
    error ZeroStake();
    /// @notice The stake after this deposit would still be below the minimum.
    error StakeBelowMinimum(address worker, uint256 stake, uint256 minStake);
    /// @notice Asked to unstake nothing or more than the stake not locked as collateral.
    error UnstakeExceedsFreeStake(address worker, uint256 amount, uint256 stake, uint256 locked);
    /// @notice The account is a drawn verifier or panel member whose verdict is not final yet.
    error DutiesOpen(address account, uint256 duties);
    /// @notice Nothing is waiting to be withdrawn.
    error NothingToWithdraw(address account);
    /// @notice The unstaked ETH is still locked.
    error StakeLocked(address worker, uint256 unlockAt);
    /// @notice A backend code outside 1 (CPU) .. 6 (METAL); 0 cannot be declared.
    error UnknownBackend(uint8 backend);

    /// @notice Adds `msg.value` to the caller's stake; at `minStake` the account enters the pool.
    function stake() external payable;

    /// @notice Moves `amount` out of the bonded stake; it stays slashable until withdrawn after
    /// the unstake delay. A new request restarts the delay for everything unstaking.
    /// @param amount at most the stake not locked as collateral of bids and seats
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller its unstaked ETH once the delay has passed and no verification
    /// duty of the caller is open.
    function withdrawStake() external;

    /// @notice Records the caller's rendering hardware, which its draws then prefer: a verifier,
    /// or a panel's first member, for its results is first sought, among the uniform draw's first
    /// three candidates (`PREFERRED_DRAW_TRIES`), with the same backend class (docs/protocol.md,
    /// "5. Draw"). Each seat takes the class declared when its results are committed; declaring
    /// again later changes no committed seat's draws. Any account may declare, staked or not, and
    /// declare again at any time (a new card); nobody checks the claim, and the bias it buys in
    /// the draws is bounded.
    /// @param backend the Cycles backend class: 1 CPU, 2 CUDA, 3 OPTIX, 4 HIP, 5 ONEAPI, 6 METAL
    /// @param vramMiB the GPU's memory in MiB (informational; 0 for CPU)
    function declareHardware(uint8 backend, uint32 vramMiB) external;

    /// @notice The stake record, reputation counters and declared hardware of `account`.
    function account(address account) external view returns (Account memory);

    /// @notice How many accounts are eligible now (the compact verifier pool's size).
    function poolSize() external view returns (uint256);

    /// @notice The account with the permanent id `accountId` (1-based, by first stake), or zero.
    /// @param accountId as in {Account} and in a seat's `verifierId`
    function accountById(uint256 accountId) external view returns (address);
}
