// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IDisputes} from "./interfaces/IDisputes.sol";
import {IReoffering} from "./interfaces/IReoffering.sol";
import {MarketStorage} from "./market/MarketStorage.sol";
import {WorkerRegistry} from "./market/WorkerRegistry.sol";
import {SealedBidding} from "./market/SealedBidding.sol";
import {ResultVerification} from "./market/ResultVerification.sol";
import {PanelCourt} from "./PanelCourt.sol";
import {RoundKeeper} from "./RoundKeeper.sol";

/// @title JobMarket
/// @notice tilefarm's protocol: see {IJobMarket}. Each concern lives in its own module under
/// `market/`; this contract puts them together and fixes the deployment parameters. The dispute
/// rules run in {PanelCourt} and the rules of rounds (posting, settling, re-offering) in
/// {RoundKeeper}, which are deployed first, with the same parameters, and which this contract
/// delegates those calls to: one address, one storage, one event log, three code budgets (and
/// each creation under the 49,152-byte init code limit).
contract JobMarket is WorkerRegistry, SealedBidding, ResultVerification, IJobMarket {
    /// @notice The contract whose code runs this market's disputes (on this market's storage).
    address public immutable panelCourt;
    /// @notice The contract whose code posts, settles and re-offers rounds (on this market's storage).
    address public immutable roundKeeper;

    /// @param court a {PanelCourt} and `keeper` a {RoundKeeper}, both deployed with `cfg`
    constructor(MarketConfig memory cfg, address court, address keeper) MarketStorage(cfg) {
        bytes32 own = _configHash();
        if (court.code.length == 0 || PanelCourt(court).configHash() != own) {
            revert InvalidConfig("panelCourt", uint160(court));
        }
        if (keeper.code.length == 0 || RoundKeeper(keeper).configHash() != own) {
            revert InvalidConfig("roundKeeper", uint160(keeper));
        }
        panelCourt = court;
        roundKeeper = keeper;
    }

    function postJob(JobParams calldata, string calldata) external payable override returns (uint256) {
        _delegate(roundKeeper);
    }

    function cancelJob(uint256) external override {
        _delegate(roundKeeper);
    }

    function settle(uint256, address[] calldata) external override {
        _delegate(roundKeeper);
    }

    function reoffer(uint256) external override returns (uint256) {
        _delegate(roundKeeper);
    }

    function topUp(uint256, uint80) external payable override {
        _delegate(roundKeeper);
    }

    function endReoffering(uint256) external override {
        _delegate(roundKeeper);
    }

    /// @inheritdoc IReoffering
    function reofferOf(uint256 jobId) external view override returns (Reoffer memory) {
        return _reoffers[jobId];
    }

    /// @inheritdoc IReoffering
    function unsoldTiles(uint256 jobId) external view override returns (uint32[] memory) {
        return _unsold[jobId];
    }

    /// @inheritdoc IReoffering
    function offeredTiles(uint256 roundId) external view override returns (uint32[] memory) {
        return _offered[roundId];
    }

    /// @inheritdoc IReoffering
    function barred(uint256 jobId, address worker) external view override returns (bool) {
        return _barred[jobId][worker];
    }

    function openDispute(uint256, address, string calldata) external payable override {
        _delegate(panelCourt);
    }

    function drawPanel(uint256, address) external override {
        _delegate(panelCourt);
    }

    function commitVote(uint256, address, bytes32) external override {
        _delegate(panelCourt);
    }

    function revealVote(uint256, address, bool, bytes32, string calldata) external override {
        _delegate(panelCourt);
    }

    function resolveDispute(uint256, address) external override {
        _delegate(panelCourt);
    }

    /// @inheritdoc IDisputes
    function voteCommitments(uint256 jobId, address worker) external view override returns (bytes32[3] memory) {
        return _voteCommits[jobId][worker];
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 jobId, address worker) external view override returns (Dispute memory) {
        return _disputes[jobId][worker];
    }

    /// @dev Runs this call's data in `code` ({PanelCourt} or {RoundKeeper}) on this contract's
    /// storage and returns (or reverts with) whatever it returned.
    function _delegate(address code) private {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), code, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
