// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IDisputes} from "./interfaces/IDisputes.sol";
import {MarketStorage} from "./market/MarketStorage.sol";
import {WorkerRegistry} from "./market/WorkerRegistry.sol";
import {SealedBidding} from "./market/SealedBidding.sol";
import {ResultVerification} from "./market/ResultVerification.sol";
import {PanelCourt} from "./PanelCourt.sol";

/// @title JobMarket
/// @notice tilefarm's protocol: see {IJobMarket}. Each concern lives in its own module under
/// `market/`; this contract puts them together and fixes the deployment parameters. The dispute
/// rules run in {PanelCourt}, which this contract creates and delegates its dispute calls to: one
/// address, one storage, one event log, two code budgets.
contract JobMarket is WorkerRegistry, SealedBidding, ResultVerification, IJobMarket {
    /// @notice The contract whose code runs this market's disputes (on this market's storage).
    address public immutable panelCourt;

    constructor(MarketConfig memory cfg) MarketStorage(cfg) {
        panelCourt = address(new PanelCourt(cfg));
    }

    function openDispute(uint256, address, string calldata) external payable override {
        _delegateToCourt();
    }

    function drawPanel(uint256, address) external override {
        _delegateToCourt();
    }

    function commitVote(uint256, address, bytes32) external override {
        _delegateToCourt();
    }

    function revealVote(uint256, address, bool, bytes32, string calldata) external override {
        _delegateToCourt();
    }

    function resolveDispute(uint256, address) external override {
        _delegateToCourt();
    }

    /// @inheritdoc IDisputes
    function voteCommitments(uint256 jobId, address worker) external view override returns (bytes32[3] memory) {
        return _voteCommits[jobId][worker];
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 jobId, address worker) external view override returns (Dispute memory) {
        return _disputes[jobId][worker];
    }

    /// @dev Runs this call's data in {PanelCourt} on this contract's storage and returns (or
    /// reverts with) whatever it returned.
    function _delegateToCourt() private {
        address court = panelCourt;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), court, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
