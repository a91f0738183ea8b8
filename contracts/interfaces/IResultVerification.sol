// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IResultVerification
/// @notice Result commitments, verifier draws, blind verdicts, payouts and every deadline.
///
/// A winner commits once per job the Merkle root over its tiles' leaves (`keccak256(abi.encode(
/// tileIndex, tileCidDigest, pixelHash))`, inner nodes OpenZeppelin's sorted pair hash) and keeps
/// its results list's CID to itself. Randomness: the commitment in block B fixes `anchorBlock =
/// B + K` (K = `drawDelay`); once that block is mined, `seed = keccak256(abi.encode(blockhash(
/// anchorBlock), jobId, worker, round))`, which the worker could not know when it committed. The
/// seed picks the verifier uniformly from the compact pool (never the worker or the artist; for a
/// worker that had declared its hardware when it committed, which its seat records, the first of
/// the draw's first three candidates of that backend class, if any: see
/// {IWorkerRegistry-declareHardware}) and, emitted in {VerifierDrawn},
/// seeds the patch choice off chain. Anyone may draw and earns the draw bounty. If the anchor hash
/// expires (256 blocks) before the draw, the seat lapses: there is no second roll.
///
/// Verification is blind: the drawn verifier re-renders the seed's patches and seals its evidence
/// ({sealEvidence}) before the worker reveals its results list ({revealResults}); it then attests
/// with the evidence it sealed. A verifier that did not render cannot seal evidence that agrees
/// with tiles it has not seen, and a pass its own evidence contradicts is overturned by a panel
/// (see {IDisputes-openDispute}). No seat is paid without a verdict (a drawn verifier's pass, a
/// panel's, or the artist's acceptance), and a verdict's pay waits in escrow until the contest
/// window closes.
interface IResultVerification is IMarketTypes {
    /// @notice `worker` committed the results of all its tiles of `jobId`.
    event ResultsCommitted(uint256 indexed jobId, address indexed worker, bytes32 merkleRoot, uint256 anchorBlock);
    /// @notice The drawn `verifier` sealed its evidence on `worker`'s results of `jobId`:
    /// `seal = keccak256(abi.encode(jobId, worker, verifier, evidenceCid))`.
    event EvidenceSealed(uint256 indexed jobId, address indexed worker, address indexed verifier, bytes32 seal);
    /// @notice `worker` revealed its results list (every tile's CID and pixel hash) at `resultsCid`.
    event ResultsRevealed(uint256 indexed jobId, address indexed worker, string resultsCid);
    /// @notice `verifier` was drawn for `worker`'s results; `seed` also selects the patches to check.
    /// `caller`, who drew, was credited the draw `bounty`.
    event VerifierDrawn(
        uint256 indexed jobId,
        address indexed worker,
        address indexed verifier,
        bytes32 seed,
        uint256 round,
        address caller,
        uint256 bounty
    );
    /// @notice The anchor block's hash expired before anyone drew: the seat lapsed, the worker lost
    /// its tiles and `slashed` wei of stake.
    event VerifierDrawMissed(uint256 indexed jobId, address indexed worker, uint256 anchorBlock, uint256 slashed);
    /// @notice `verifier` attested `worker`'s results of `jobId` as `passed`, evidence at `evidenceCid`.
    event ResultsAttested(
        uint256 indexed jobId, address indexed worker, address indexed verifier, bool passed, string evidenceCid
    );
    /// @notice A verdict accepted `worker`'s tiles: `payment` and `verifierFee` are owed once the
    /// contest window closes.
    event ResultsAccepted(uint256 indexed jobId, address indexed worker, uint256 payment, uint256 verifierFee);
    /// @notice `worker` was credited `payment` and its verifier `verifierFee` for its accepted tiles.
    event PaymentReleased(uint256 indexed jobId, address indexed worker, uint256 payment, uint256 verifierFee);
    /// @notice Every drawn verifier of `worker`'s results stayed silent: the seat closed unpaid.
    event ResultsUnverified(uint256 indexed jobId, address indexed worker);
    /// @notice `worker`'s results were rejected as fraudulent and `slashed` wei of its stake taken.
    event ResultsRejected(uint256 indexed jobId, address indexed worker, uint256 slashed);
    /// @notice `worker` missed the render deadline, lost its tiles and `slashed` wei of stake.
    event WorkerTimedOut(uint256 indexed jobId, address indexed worker, uint256 slashed);
    /// @notice `worker` gave its seat in `jobId` back for `cause` (see {abandonSeat}): like a late
    /// worker, it lost its tiles and `slashed` wei of stake.
    event SeatAbandoned(uint256 indexed jobId, address indexed worker, uint8 cause, uint256 slashed);
    /// @notice `silentVerifier` (zero if nobody could be drawn) did not attest in time; a new draw
    /// (round `round`) follows, or the seat is unverified after the last round.
    event VerifierReplaced(uint256 indexed jobId, address indexed worker, address silentVerifier, uint256 round);

    /// @notice The caller won no tiles in this job.
    error NotAssigned(uint256 jobId, address worker);
    /// @notice The worker already committed its results to this job.
    error ResultsAlreadyCommitted(uint256 jobId, address worker);
    /// @notice A Merkle root of zero commits to nothing.
    error EmptyMerkleRoot();
    /// @notice The render deadline passed.
    error RenderDeadlinePassed(uint256 jobId, uint256 deadline);
    /// @notice The render deadline has not passed yet.
    error RenderDeadlineNotReached(uint256 jobId, uint256 deadline);
    /// @notice The anchor block is not mined yet.
    error RandomnessNotReady(uint256 jobId, address worker, uint256 anchorBlock);
    /// @notice No staked account other than the worker and the artist can be drawn.
    error NoEligibleVerifier(uint256 jobId, address worker);
    /// @notice The seat's verifier is not drawn yet: draw it first ({drawVerifier}).
    error VerifierNotDrawn(uint256 jobId, address worker);
    /// @notice The verifier for this round is already drawn.
    error VerifierAlreadyDrawn(uint256 jobId, address worker, address verifier);
    /// @notice A worker cannot verify its own results.
    error CannotVerifyOwnWork(uint256 jobId, address worker);
    /// @notice The caller is not the drawn verifier.
    error NotDrawnVerifier(uint256 jobId, address worker, address caller, address verifier);
    /// @notice The verification window is over.
    error VerificationWindowClosed(uint256 jobId, address worker, uint256 deadline);
    /// @notice The verification or dispute window is still open.
    error WindowStillOpen(uint256 jobId, address worker, uint256 deadline);
    /// @notice The tile is not in the worker's assigned range.
    error TileOutOfRange(uint256 jobId, address worker, uint256 tileIndex);
    /// @notice The attested evidence is not the evidence the verifier sealed.
    error EvidenceMismatch(uint256 jobId, address worker, address verifier);
    /// @notice A cause code above 6 (see {abandonSeat}).
    error UnknownCause(uint8 cause);

    /// @notice Commits the caller's results for all its tiles of `jobId` at once: only their Merkle
    /// root; the results list stays unpublished until the verifier has sealed its evidence.
    function commitResults(uint256 jobId, bytes32 merkleRoot) external;

    /// @notice Fixes the verifier for `worker`'s results from the anchor block's hash and pays the
    /// caller the draw bounty. Permissionless. An expired anchor hash lapses the seat instead.
    /// @return verifier the drawn verifier, or zero when the seat lapsed
    function drawVerifier(uint256 jobId, address worker) external returns (address verifier);

    /// @notice The drawn verifier seals its evidence (its re-rendered patches, published unseen)
    /// within its window, before it may see the worker's tiles. Opens the worker's reveal window.
    function sealEvidence(uint256 jobId, address worker, bytes32 seal) external;

    /// @notice The worker reveals its results list once its verifier has sealed, within one
    /// verification window; a worker that does not is rejected as a fraud ({finalizeRejection}).
    function revealResults(uint256 jobId, string calldata resultsCid) external;

    /// @notice The drawn verifier attests `worker`'s revealed results within its window, naming
    /// the evidence it sealed. A pass accepts them (pay after the contest window); a fail opens the
    /// worker's appeal window.
    function attest(uint256 jobId, address worker, bool passed, string calldata evidenceCid) external;

    /// @notice The artist accepts `worker`'s committed (sealed, revealed), failed or accepted results and pays them at
    /// once: its consent is final (it waives the contest window of a pass), and a drawn verifier's
    /// fee is paid either way.
    function acceptResults(uint256 jobId, address worker) external;

    /// @notice Pays an accepted seat once its contest window has closed. Permissionless.
    function release(uint256 jobId, address worker) external;

    /// @notice After an unappealed fail, or a reveal window the worker let pass, rejects the
    /// results and slashes the worker. Permissionless.
    function finalizeRejection(uint256 jobId, address worker) external;

    /// @notice After the render deadline, takes an idle winner's tiles and part of its stake.
    /// Permissionless; the tiles go back to the job's unsold tiles and the slash into its reserve.
    function claimLate(uint256 jobId, address worker) external;

    /// @notice The caller gives its `Assigned` seat in `jobId` back at once, before or after the
    /// render deadline, with what {claimLate} would take after it: the seat is `TimedOut`,
    /// `lateSlashBps` of the caller's stake goes into the job's reserve, its collateral is
    /// unlocked, its tiles go back to the job's unsold tiles and it is barred from the job. Giving
    /// up gains the worker nothing over waiting but its collateral's earlier unlock; the artist
    /// gains the render window it would have waited.
    /// @param cause why, for the artist and the indexers: 0 unspecified, 1 GPU out of memory,
    /// 2 GPU driver or kernel failure, 3 GPU lost (vanished), 4 the scene cannot be rendered,
    /// 5 out of host memory, 6 render time limit
    function abandonSeat(uint256 jobId, uint8 cause) external;

    /// @notice After a drawn verifier's window (to seal, or to attest once the results are
    /// revealed), slashes it (to the worker) and starts a new round;
    /// after the last round the seat closes unverified and unpaid. A seat nobody drew is drawn
    /// instead (this reverts while a draw is possible). Permissionless.
    function replaceVerifier(uint256 jobId, address worker) external;

    /// @notice Whether a tile with this CID digest and pixel hash is in `worker`'s committed tree.
    function verifyTile(
        uint256 jobId,
        address worker,
        uint256 tileIndex,
        bytes32 tileCidDigest,
        bytes32 pixelHash,
        bytes32[] calldata proof
    ) external view returns (bool);
}
