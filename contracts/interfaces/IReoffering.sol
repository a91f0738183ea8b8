// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "./IMarketTypes.sol";

/// @title IReoffering
/// @notice Every frame finishes: tiles a round did not sell, whose worker missed its deadline, whose
/// results were rejected as fraud or stayed unverified go back to the job's unsold tiles, and
/// anyone may put them on the market again in a new round of sealed bidding, under the same rules
/// as the first, funded from the job's reserve (the escrow no seat is owed). The artist chooses how
/// many rounds and until when, and may raise the maximum price for later rounds; a round that sells
/// nothing at an unchanged price ends re-offering, and only when re-offering is over is the rest of
/// the escrow refunded. A worker whose seat was taken late or rejected may not bid again in the job.
///
/// A round has its own job id: bidding, seats, verification and disputes on it are the ordinary
/// functions called with that id, and its seats hold tile indices of the posted job.
interface IReoffering is IMarketTypes {
    /// @notice Tiles `firstTile .. firstTile+tileCount-1` of job `jobId` went back to its unsold
    /// tiles: unsold by round `roundId` (worker zero, `cause` None), or the seat of `worker` in
    /// that round ended `cause` (TimedOut, Rejected or Unverified).
    event TilesReturned(
        uint256 indexed jobId,
        uint256 indexed roundId,
        address indexed worker,
        uint256 firstTile,
        uint256 tileCount,
        SeatState cause
    );
    /// @notice `opener` opened round `round` of job `jobId`, with id `roundId`: it sells `tiles`
    /// tiles (the packed `ranges`, each `firstTile << 16 | tileCount`) at most `maxPricePerTile`
    /// each, with sealed bids (bond `bidBond`) until `bidEnd` and reveals until `revealEnd`; the
    /// opener earned `bounty` from the job's reserve.
    event RoundOpened(
        uint256 indexed jobId,
        uint256 indexed roundId,
        uint256 round,
        uint256 tiles,
        uint256 maxPricePerTile,
        uint256 bidBond,
        uint256 bidEnd,
        uint256 revealEnd,
        uint32[] ranges,
        address opener,
        uint256 bounty
    );
    /// @notice The artist added `amount` to job `jobId`'s reserve; later rounds pay at most
    /// `maxPricePerTile` per tile.
    event JobToppedUp(uint256 indexed jobId, uint256 amount, uint256 maxPricePerTile);
    /// @notice No more round of job `jobId` will open; `tilesLeft` tiles were never delivered.
    event ReofferingEnded(uint256 indexed jobId, uint256 tilesLeft);

    /// @notice `jobId` is a re-offer round, not a posted job.
    error NotAPostedJob(uint256 jobId, uint256 root);
    /// @notice Round `roundId` of the job is still in its bidding.
    error RoundStillBidding(uint256 jobId, uint256 roundId);
    /// @notice The job has no unsold tiles.
    error NothingToReoffer(uint256 jobId);
    /// @notice Re-offering is over: no round left, the final deadline passed, or it was ended.
    error ReofferingOver(uint256 jobId);
    /// @notice The job's reserve cannot fund the round: `needed` wei for its tiles at the maximum
    /// price (with fee and verifier fee) and the opener's bounty; the artist may top it up.
    error ReserveTooLow(uint256 jobId, uint256 needed, uint256 reserve);
    /// @notice A top-up may raise the maximum price per tile, never lower it.
    error MaxPriceLowered(uint256 jobId, uint256 current, uint256 proposed);
    /// @notice Only the artist may end re-offering before its final deadline or its last round.
    error ReofferingNotOver(uint256 jobId, uint256 finalDeadline);
    /// @notice `bidder` took tiles of this job late or had them rejected: it may not bid again in it.
    error BarredFromJob(uint256 jobId, address bidder);
    /// @notice More re-offer rounds than MAX_ROUNDS, or a final deadline that ends before the first
    /// round's reveals (or one given without rounds).
    error InvalidRounds(uint256 maxRounds, uint256 finalDeadline);

    /// @notice Opens the job's next round over all its unsold tiles, once its latest round has
    /// settled, while rounds are left and before the final deadline. Anyone may call it and earn
    /// a bounty of `drawBountyBps` of the round's verifier fees.
    /// @return roundId the round's job id
    function reoffer(uint256 jobId) external returns (uint256 roundId);

    /// @notice The artist adds `msg.value` to the job's reserve and sets the maximum price per tile
    /// of later rounds (no lower than before).
    function topUp(uint256 jobId, uint80 maxPricePerTile) external payable;

    /// @notice Ends re-offering: the artist at any time, anyone once the final deadline passed or
    /// no round is left. The job completes (and refunds) as soon as no seat or round is open.
    function endReoffering(uint256 jobId) external;

    /// @notice The job's reserve, next maximum price, final deadline, round bid window, rounds left.
    function reofferOf(uint256 jobId) external view returns (Reoffer memory);

    /// @notice The job's unsold tiles, as packed ranges (`firstTile << 16 | tileCount`).
    function unsoldTiles(uint256 jobId) external view returns (uint32[] memory);

    /// @notice The tiles round `roundId` sells, as packed ranges (empty for a posted job, which
    /// sells all of its tiles).
    function offeredTiles(uint256 roundId) external view returns (uint32[] memory);

    /// @notice Whether `worker` may no longer bid in job `jobId`.
    function barred(uint256 jobId, address worker) external view returns (bool);
}
