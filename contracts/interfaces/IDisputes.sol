// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IDisputes
/// @notice Escalation of a verdict to a panel of three verifiers drawn like a verifier (from the
/// hash of a block K after the dispute, from the compact pool, never the worker, the artist or the
/// seat's verifier). A worker appeals a fail; an artist contests a pass while its pay is still held.
/// Both post the dispute bond. The majority of the votes cast decides; a tie or silence upholds the
/// original verdict. Fraud: the worker is never paid, loses its collateral and part of its stake,
/// half to the artist and half to the honest verifiers (with the appellant's bond); a verifier whose
/// pass is overturned is slashed and loses its fee. False accusation: a worker's appeal that wins
/// slashes the failing verifier to the worker and pays the worker at once; an artist's contest that
/// loses pays its bond to the worker, who is then paid at once.
interface IDisputes is IMarketTypes {
    /// @notice `disputer` escalated `worker`'s verdict in `jobId`, posting `bond`.
    event DisputeOpened(
        uint256 indexed jobId, address indexed worker, address indexed disputer, uint256 bond, string reasonCid
    );
    /// @notice The panel for the dispute was drawn; empty seats are the zero address.
    event PanelDrawn(uint256 indexed jobId, address indexed worker, address[3] members, bytes32 seed);
    /// @notice A panel member voted.
    event VoteCast(
        uint256 indexed jobId, address indexed worker, address indexed voter, bool fraud, string evidenceCid
    );
    /// @notice The dispute ended: `fraud` is the verdict.
    event DisputeResolved(
        uint256 indexed jobId, address indexed worker, bool fraud, uint256 votesFraud, uint256 votesHonest
    );

    /// @notice The panel's anchor block hash is older than 256 blocks: the panel can no longer be
    /// drawn and the dispute resolves at its deadline upholding the verdict under dispute.
    error RandomnessExpired(uint256 jobId, address worker, uint256 anchorBlock);
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

    /// @notice Fixes the panel from the anchor block's hash (readable for 256 blocks). Permissionless.
    function drawPanel(uint256 jobId, address worker) external;

    /// @notice A member of the drawn panel votes `fraud` or not, with its evidence.
    function vote(uint256 jobId, address worker, bool fraud, string calldata evidenceCid) external;

    /// @notice Applies the verdict once every panel member voted or the window closed. Permissionless.
    function resolveDispute(uint256 jobId, address worker) external;

    /// @notice The dispute record of `worker`'s seat in `jobId`.
    function dispute(uint256 jobId, address worker) external view returns (Dispute memory);
}
