// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IDisputes
/// @notice Escalation of a verdict to a panel of three verifiers drawn like a verifier (from the
/// hash of a block K after the dispute, from the compact pool, never the worker, the artist or the
/// seat's verifier; the first seat prefers the backend class the seat recorded, the other two are
/// uniform). A worker appeals a fail; an artist contests a pass while its pay is still held.
/// Both post the dispute bond. Members vote sealed (commit, then reveal once every member committed
/// or the commit window closed), so nobody can copy a vote or its evidence; the commit window is one
/// verification window from the panel's draw, the reveal window one more. The majority of the revealed votes
/// decides; a tie or silence upholds the original verdict.
///
/// Fraud: the worker is never paid, loses its collateral and part of its stake, half into the job's
/// reserve (it pays for the tiles' next round; the rest is refunded to the artist at the end) and
/// half to the winning voters (and, on an appeal, the failing verifier that was right); a
/// verifier whose pass is overturned is slashed and loses its fee. False accusation: a worker's
/// appeal that wins slashes the failing verifier to the worker and pays the worker at once; an
/// artist's contest that loses lets the worker be paid at once.
///
/// The panel is paid by the side that lost: the disputer's bond if the disputer lost, otherwise up
/// to the dispute bond out of the loser's slash. Every member who reveals a vote earns an equal
/// share of that fee; every member who stays silent or votes against the outcome loses up to the
/// dispute bond of its stake to the members who voted for it (to the treasury if none did, so that
/// silence never pays the side it favours).
interface IDisputes is IMarketTypes {
    /// @notice `disputer` escalated `worker`'s verdict in `jobId`, posting `bond`.
    event DisputeOpened(
        uint256 indexed jobId, address indexed worker, address indexed disputer, uint256 bond, string reasonCid
    );
    /// @notice The panel for the dispute was drawn; empty seats are the zero address.
    event PanelDrawn(uint256 indexed jobId, address indexed worker, address[3] members, bytes32 seed);
    /// @notice A panel member sealed its vote.
    event VoteCommitted(uint256 indexed jobId, address indexed worker, address indexed voter, bytes32 commitment);
    /// @notice A panel member revealed its vote.
    event VoteCast(
        uint256 indexed jobId, address indexed worker, address indexed voter, bool fraud, string evidenceCid
    );
    /// @notice The dispute ended: `fraud` is the verdict.
    event DisputeResolved(
        uint256 indexed jobId, address indexed worker, bool fraud, uint256 votesFraud, uint256 votesHonest
    );
    /// @notice The panel was paid: `feeEach` to every member who revealed, `bondsEach` more to every
    /// member who revealed for the outcome, and `remainder` (rounding, the whole fee if nobody
    /// revealed) to `beneficiary`, the party the outcome favours (the artist on fraud, else the
    /// worker). If nobody revealed for the outcome, what the members forfeited went to the treasury.
    event PanelPaid(
        uint256 indexed jobId,
        address indexed worker,
        address beneficiary,
        uint256 feeEach,
        uint256 bondsEach,
        uint256 remainder
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
    /// @notice The caller already committed (or already revealed) its vote.
    error AlreadyVoted(uint256 jobId, address worker, address voter);
    /// @notice The commit window closed.
    error VotingClosed(uint256 jobId, address worker, uint256 deadline);
    /// @notice Reveals open once every member committed or the commit window (until `deadline`) closed.
    error RevealsNotOpen(uint256 jobId, address worker, uint256 deadline);
    /// @notice The reveal window closed at `deadline`.
    error RevealsClosed(uint256 jobId, address worker, uint256 deadline);
    /// @notice The caller committed no vote to reveal.
    error VoteNotCommitted(uint256 jobId, address worker, address voter);
    /// @notice The revealed vote and salt do not hash to the caller's commitment.
    error VoteMismatch(uint256 jobId, address worker, address voter);
    /// @notice Votes are still expected.
    error VotingStillOpen(uint256 jobId, address worker, uint256 deadline);

    /// @notice Escalates `worker`'s verdict: the worker appeals a fail, the artist contests an
    /// acceptance (the tiles are fraudulent), and anyone else but the verifier challenges an
    /// acceptance whose pass contradicts the verifier's own sealed evidence (a render-free check;
    /// upheld, the verifier is slashed to the challenger and the seat is verified again).
    /// `msg.value` must be the dispute bond.
    function openDispute(uint256 jobId, address worker, string calldata reasonCid) external payable;

    /// @notice Fixes the panel from the anchor block's hash (readable for 256 blocks), before the
    /// dispute's first deadline (two verification windows after it was opened). Permissionless.
    function drawPanel(uint256 jobId, address worker) external;

    /// @notice A member of the drawn panel seals its vote before the dispute's deadline: `commitment`
    /// is `keccak256(abi.encode(jobId, worker, voter, fraud, salt, evidenceCid))`.
    function commitVote(uint256 jobId, address worker, bytes32 commitment) external;

    /// @notice A member reveals its sealed vote, with its evidence, once every member committed or the
    /// commit window closed, and within one verification window after it.
    function revealVote(uint256 jobId, address worker, bool fraud, bytes32 salt, string calldata evidenceCid)
        external;

    /// @notice Applies the verdict and pays the panel once every member revealed or the reveal window
    /// closed. Permissionless.
    function resolveDispute(uint256 jobId, address worker) external;

    /// @notice The dispute record of `worker`'s seat in `jobId`.
    function dispute(uint256 jobId, address worker) external view returns (Dispute memory);

    /// @notice The sealed votes of the dispute's panel seats (zero where none was committed).
    function voteCommitments(uint256 jobId, address worker) external view returns (bytes32[3] memory);
}
