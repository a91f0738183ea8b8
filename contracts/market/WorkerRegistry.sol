// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {MarketStorage} from "./MarketStorage.sol";

/// @title WorkerRegistry
/// @notice See {IWorkerRegistry}. Slashing is internal to the market ({MarketStorage-_slash}).
abstract contract WorkerRegistry is MarketStorage, IWorkerRegistry {
    /// @inheritdoc IWorkerRegistry
    function stake() external payable override {
        if (msg.value == 0) revert ZeroStake();
        Account storage a = _accounts[msg.sender];
        uint256 total = a.stake + msg.value;
        if (total < _minStake) revert StakeBelowMinimum(msg.sender, total, _minStake);
        a.stake = uint96(total);
        _register(msg.sender, a);
        _syncPool(msg.sender, a);
        emit Staked(msg.sender, msg.value, total);
    }

    /// @inheritdoc IWorkerRegistry
    function requestUnstake(uint256 amount) external override {
        Account storage a = _accounts[msg.sender];
        uint256 free = a.stake - a.locked;
        if (amount == 0 || amount > free) revert UnstakeExceedsFreeStake(msg.sender, amount, a.stake, a.locked);
        uint256 unlockAt = block.timestamp + _unstakeDelay;
        a.stake -= uint96(amount);
        a.unstaking += uint96(amount);
        a.unlockAt = uint40(unlockAt);
        _syncPool(msg.sender, a);
        emit UnstakeRequested(msg.sender, amount, unlockAt);
    }

    /// @inheritdoc IWorkerRegistry
    function withdrawStake() external override nonReentrant {
        Account storage a = _accounts[msg.sender];
        uint256 amount = a.unstaking;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < a.unlockAt) revert StakeLocked(msg.sender, a.unlockAt);
        if (a.duties != 0) revert DutiesOpen(msg.sender, a.duties);
        a.unstaking = 0;
        emit StakeWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IWorkerRegistry
    function declareHardware(uint8 backend, uint32 vramMiB) external override {
        if (backend == 0 || backend > MAX_BACKEND) revert UnknownBackend(backend);
        Account storage a = _accounts[msg.sender];
        a.backend = backend;
        a.vramMiB = vramMiB;
        emit HardwareDeclared(msg.sender, backend, vramMiB);
    }

    /// @inheritdoc IWorkerRegistry
    function account(address who) external view override returns (Account memory) {
        return _accounts[who];
    }

    /// @inheritdoc IWorkerRegistry
    function poolSize() external view override returns (uint256) {
        return _pool.length;
    }

    /// @inheritdoc IWorkerRegistry
    function accountById(uint256 accountId) external view override returns (address) {
        return _accountOf(accountId);
    }
}
