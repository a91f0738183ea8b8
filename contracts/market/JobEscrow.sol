// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobEscrow} from "../interfaces/IJobEscrow.sol";
import {Settlement} from "./Settlement.sol";

/// @title JobEscrow
/// @notice See {IJobEscrow}. Also owns the end of a job: once no assignment is open, the treasury
/// gets the accrued fees and the artist everything else still held.
abstract contract JobEscrow is Settlement, IJobEscrow {
    /// @inheritdoc IJobEscrow
    function postJob(JobParams calldata p, string calldata manifestCid)
        external
        payable
        override
        returns (uint256 jobId)
    {
        if (p.tileCount == 0 || p.frameCount == 0 || p.frameCount > p.tileCount) {
            revert InvalidTileCount(p.tileCount, p.frameCount);
        }
        if (p.maxPricePerTile == 0) revert ZeroMaxPrice();
        if (p.bidWindow == 0 || p.revealWindow == 0 || p.renderWindow == 0 || p.verifyWindow == 0) {
            revert ZeroWindow();
        }
        if (bytes(manifestCid).length == 0) revert EmptyManifestCid();
        uint256 minBond = _minBidBond(p.tileCount, p.maxPricePerTile);
        if (p.bidBond < minBond) revert BidBondTooLow(p.bidBond, minBond);
        uint256 required = _quote(p.tileCount, p.maxPricePerTile, p.verifyFeePerTile);
        if (msg.value != required) revert WrongDeposit(msg.value, required);

        jobId = _nextJobId++;
        uint256 bidEnd = block.timestamp + p.bidWindow;
        uint256 revealEnd = bidEnd + p.revealWindow;
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
        emit JobPosted(jobId, msg.sender, manifestCid, p, required, bidEnd, revealEnd);
    }

    /// @inheritdoc IJobEscrow
    function cancelJob(uint256 jobId) external override {
        Job storage j = _job(jobId);
        if (msg.sender != j.artist) revert NotArtist(jobId, msg.sender, j.artist);
        _requireStatus(jobId, j, JobStatus.Bidding);
        // Once reveals may start, bids show their prices and unrevealed ones owe their collateral
        // (`forfeitBid`): the job runs to its settlement.
        if (block.timestamp > j.bidEnd) revert CancelWindowClosed(jobId, j.bidEnd);
        // Unrevealed bonds stay held apart until their bidders reclaim them.
        uint256 refund = j.escrow;
        j.escrow = 0;
        j.status = JobStatus.Cancelled;
        _credit(msg.sender, refund);
        emit JobCancelled(jobId, refund);
    }

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

    /// @dev `bidBondBps` of the job's maximum value, and never zero.
    function _minBidBond(uint256 tileCount, uint256 maxPricePerTile) internal view returns (uint256) {
        uint256 bond = tileCount * maxPricePerTile * _bidBondBps / BPS;
        return bond == 0 ? 1 : bond;
    }

    function _quote(uint256 tileCount, uint256 maxPricePerTile, uint256 verifyFeePerTile)
        internal
        view
        returns (uint256)
    {
        return tileCount * (maxPricePerTile + _feePerTile(maxPricePerTile) + verifyFeePerTile);
    }
}
