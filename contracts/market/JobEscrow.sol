// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobEscrow} from "../interfaces/IJobEscrow.sol";
import {Settlement} from "./Settlement.sol";

/// @title JobEscrow
/// @notice See {IJobEscrow}: the pull-payment ledger and the job records. Posting and cancelling
/// jobs run with the rounds' rules in {RoundKeeper} ({Rounds}).
abstract contract JobEscrow is Settlement, IJobEscrow {
    /// @inheritdoc IJobEscrow
    function withdraw() external override nonReentrant {
        Account storage a = _accounts[msg.sender];
        uint256 amount = a.balance;
        if (amount == 0) revert NothingCredited(msg.sender);
        a.balance = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IJobEscrow
    function quote(uint256 tileCount, uint256 maxPricePerTile, uint256 verifyFeePerTile)
        external
        view
        override
        returns (uint256)
    {
        return _quote(tileCount, maxPricePerTile, verifyFeePerTile);
    }

    /// @inheritdoc IJobEscrow
    function balanceOf(address who) external view override returns (uint256) {
        return _accounts[who].balance;
    }

    /// @inheritdoc IJobEscrow
    function job(uint256 jobId) external view override returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobEscrow
    function jobCount() external view override returns (uint256) {
        return _nextJobId - 1;
    }

    /// @inheritdoc IJobEscrow
    function config() external view override returns (MarketConfig memory) {
        return MarketConfig({
            treasury: _treasury,
            protocolFeeBps: uint16(_protocolFeeBps),
            minStake: uint96(_minStake),
            unstakeDelay: uint32(_unstakeDelay),
            drawDelay: uint8(_drawDelay),
            disputeBond: uint96(_disputeBond),
            fraudSlashBps: uint16(_fraudSlashBps),
            lateSlashBps: uint16(_lateSlashBps),
            falseAccusationSlashBps: uint16(_falseAccusationSlashBps),
            silenceSlashBps: uint16(_silenceSlashBps),
            collateralBps: uint16(_collateralBps),
            bidBondBps: uint16(_bidBondBps),
            drawBountyBps: uint16(_drawBountyBps)
        });
    }
}
