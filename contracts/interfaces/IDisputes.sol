// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IDisputes
/// @notice Escalation of a verdict to a panel of three verifiers drawn like a verifier (from the
/// hash of a block K after the dispute). A worker appeals a fail; an artist contests a pass (or an
/// unverified acceptance). Both post the dispute bond. The majority of the votes cast decides; a
/// tie or silence upholds the original verdict. Fraud: the worker's stake is slashed, half to the
/// artist and half to the honest verifiers (with the appellant's bond). False accusation: a
/// worker's appeal that wins slashes the failing verifier to the worker; an artist's contest that
/// loses pays its bond to the worker.
interface IDisputes is IMarketTypes {
    /// @notice `disputer` escalated `worker`'s verdict in `jobId`, posting `bond`.
    event DisputeOpened(
        uint256 indexed jobId, address indexed worker, address indexed disputer, uint256 bond, string reasonCid
    );
    /// @notice The panel for the dispute was drawn; empty seats are the zero address.
    event PanelDrawn(uint256 indexed jobId, address indexed worker, address[3] members, bytes32 seed);
    /// @notice The panel's anchor block hash expired; the draw moved to `anchorBlock`.
    event PanelDrawDeferred(uint256 indexed jobId, address indexed worker, uint256 anchorBlock);
    /// @notice A panel member voted.
    event VoteCast(
        uint256 indexed jobId, address indexed worker, address indexed voter, bool fraud, string evidenceCid
    );
    /// @notice The dispute ended: `fraud` is the verdict.
    event DisputeResolved(
        uint256 indexed jobId, address indexed worker, bool fraud, uint256 votesFraud, uint256 votesHonest
    );

    /// @notice The seat's verdict cannot be disputed now, or not by the caller.
    error NotDisputable(uint256 jobId, address worker, address caller, SeatState state);
    /// @notice The dispute window closed.
    error DisputeWindowClosed(uint256 jobId, address worker, uint256 deadline);
    /// @notice The bond sent is not the dispute bond.
    error WrongDisputeBond(uint256 sent, uint256 required);
    /// @notice The panel is already drawn.
    error PanelAlreadyDrawn(uint256 jobId, address worker);
    /// @notice The caller is not on the panel.
    error NotOnPanel(uint256 jobId, address worker, address caller);
    /// @notice The caller already voted.
    error AlreadyVoted(uint256 jobId, address worker, address voter);
    /// @notice The voting window closed.
    error VotingClosed(uint256 jobId, address worker, uint256 deadline);
    /// @notice Votes are still expected.
    error VotingStillOpen(uint256 jobId, address worker, uint256 deadline);

    /// @notice Escalates `worker`'s verdict: the worker appeals a fail, the artist contests an
    /// acceptance. `msg.value` must be the dispute bond.
    function openDispute(uint256 jobId, address worker, string calldata reasonCid) external payable;

    /// @notice Fixes the panel from the anchor block's hash. Permissionless.
    function drawPanel(uint256 jobId, address worker) external;

    /// @notice A panel member votes `fraud` or not, with its evidence.
    function vote(uint256 jobId, address worker, bool fraud, string calldata evidenceCid) external;

    /// @notice Applies the verdict once every panel member voted or the window closed. Permissionless.
    function resolveDispute(uint256 jobId, address worker) external;

    /// @notice The dispute record of `worker`'s seat in `jobId`.
    function dispute(uint256 jobId, address worker) external view returns (Dispute memory);
}
