// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IResultVerification
/// @notice Result commitments, verifier draws, attestations, payouts and every deadline.
///
/// A winner commits once per job: the Merkle root over its tiles' leaves (see {MerkleProof}) and
/// the CID of its results list. Randomness: the commitment in block B fixes `anchorBlock = B + K`
/// (K = `drawDelay`); once that block is mined, `seed = keccak256(abi.encode(blockhash(anchorBlock),
/// jobId, worker, round))`, which the worker could not know when it committed. The seed picks the
/// verifier (probing the pool from `seed % poolSize`, skipping the worker, the artist and accounts
/// below the minimum stake) and, emitted in {VerifierDrawn}, seeds the patch choice off chain.
/// `drawVerifier` fixes the draw permissionlessly; `attest` draws lazily if nobody did. If more
/// than 256 blocks pass the block hash is gone: `drawVerifier` then re-anchors K blocks ahead.
interface IResultVerification is IMarketTypes {
    /// @notice `worker` committed the results of all its tiles of `jobId`.
    event ResultsCommitted(
        uint256 indexed jobId, address indexed worker, bytes32 merkleRoot, string resultsCid, uint256 anchorBlock
    );
    /// @notice `verifier` was drawn for `worker`'s results; `seed` also selects the patches to check.
    event VerifierDrawn(
        uint256 indexed jobId, address indexed worker, address indexed verifier, bytes32 seed, uint256 round
    );
    /// @notice The anchor block's hash expired before anyone drew; the draw moved to `anchorBlock`.
    event VerifierDrawDeferred(uint256 indexed jobId, address indexed worker, uint256 anchorBlock);
    /// @notice `verifier` attested `worker`'s results of `jobId` as `passed`, evidence at `evidenceCid`.
    event ResultsAttested(
        uint256 indexed jobId, address indexed worker, address indexed verifier, bool passed, string evidenceCid
    );
    /// @notice `worker`'s tiles were accepted: it was credited `payment`, its verifier `verifierFee`.
    event ResultsAccepted(uint256 indexed jobId, address indexed worker, uint256 payment, uint256 verifierFee);
    /// @notice `worker`'s results were rejected as fraudulent and `slashed` wei of its stake taken.
    event ResultsRejected(uint256 indexed jobId, address indexed worker, uint256 slashed);
    /// @notice `worker` missed the render deadline, lost its tiles and `slashed` wei of stake.
    event WorkerTimedOut(uint256 indexed jobId, address indexed worker, uint256 slashed);
    /// @notice `silentVerifier` did not attest in time; a new draw (round `round`) follows.
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
    /// @notice The anchor block hash is older than 256 blocks; call {drawVerifier} to re-anchor.
    error RandomnessExpired(uint256 jobId, address worker, uint256 anchorBlock);
    /// @notice No staked account other than the worker and the artist can be drawn.
    error NoEligibleVerifier(uint256 jobId, address worker);
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

    /// @notice Commits the caller's results for all its tiles of `jobId` at once.
    function commitResults(uint256 jobId, bytes32 merkleRoot, string calldata resultsCid) external;

    /// @notice Fixes the verifier for `worker`'s results from the anchor block's hash. Permissionless.
    /// @return verifier the drawn verifier, or zero when the draw was deferred (hash expired)
    function drawVerifier(uint256 jobId, address worker) external returns (address verifier);

    /// @notice The drawn verifier attests `worker`'s results. A pass pays the worker and the
    /// verifier; a fail opens the worker's appeal window.
    function attest(uint256 jobId, address worker, bool passed, string calldata evidenceCid) external;

    /// @notice The artist accepts `worker`'s committed (or failed) results without waiting.
    function acceptResults(uint256 jobId, address worker) external;

    /// @notice After an unappealed fail, rejects the results and slashes the worker. Permissionless.
    function finalizeRejection(uint256 jobId, address worker) external;

    /// @notice After the render deadline, takes an idle winner's tiles and part of its stake.
    /// Permissionless; the tiles' escrow returns to the artist.
    function claimLate(uint256 jobId, address worker) external;

    /// @notice After the verification window, replaces a silent (or undrawable) verifier with a new
    /// draw. After three rounds the results are accepted unverified; the artist may still contest.
    /// Permissionless.
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

    /// @notice The verifier drawn for `worker`'s results, or zero.
    function verifierOf(uint256 jobId, address worker) external view returns (address);
}
