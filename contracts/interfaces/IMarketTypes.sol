// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IMarketTypes
/// @notice The records every part of the tilefarm market shares, and the errors they all raise.
/// Storage is packed so that a job costs O(workers) storage words and never O(tiles).
interface IMarketTypes {
    /// @notice Where a job stands. `Cancelled`, `Expired` and `Completed` are terminal.
    enum JobStatus {
        None,
        Bidding, // bids are committed, then revealed; the artist may still cancel
        Active, // tiles are assigned; workers render, commit and get verified
        Completed, // every assignment is resolved (for a posted job: and re-offering is over) and the escrow is paid out
        Cancelled, // the artist cancelled before assignment; unrevealed bonds are reclaimable
        Expired // bidding ended with no tile assigned (for a posted job: and nothing was left to re-offer)
    }

    /// @notice Where one worker's bid and assignment in one job stand. A committed but unrevealed
    /// bid is `None` with a non-zero commitment (no second storage word is written for it).
    enum SeatState {
        None,
        Revealed, // the bid is open and valid, waiting for settlement
        Outbid, // revealed, but cheaper bids took every tile
        Assigned, // won a tile range; rendering
        Submitted, // results committed; a verifier is drawn from later randomness
        Accepted, // a verdict accepted the tiles; the pay stays in escrow until the contest window closes
        Failed, // the verifier attested a failure; the worker may appeal until the window closes
        Disputed, // the worker appealed a failure; a panel votes
        Contested, // the artist contested an acceptance; a panel votes
        Rejected, // fraud established; the worker was slashed
        TimedOut, // the worker missed the render deadline (or let its draw lapse) and was slashed
        Reclaimed, // the job was cancelled and the bidder took its bond back
        Unverified, // every drawn verifier stayed silent: closed unpaid, the tiles' escrow went back
        Paid, // the contest window closed (or the artist waived it): worker and verifier were credited
        Forfeited, // the bid was never revealed: its collateral went to the artist
        Sealed, // the drawn verifier sealed its evidence unseen; the worker reveals its results
        Opened, // the worker revealed its results; the verifier attests with the evidence it sealed
        Challenged // a pass was challenged as contradicting its own evidence; a panel checks it
    }

    /// @notice Why a stake was slashed.
    enum SlashReason {
        Fraud,
        Late,
        FalseAccusation,
        Silence, // a drawn verifier did not attest, or a panel member did not reveal a vote, in time
        Outvoted, // a panel member revealed a vote against the panel's outcome
        Unrevealed // a sealed bid was never revealed: it forfeits the collateral it locked
    }

    /// @notice What an artist chooses when posting a job.
    /// @param tileCount tiles over all frames; tiles are numbered 0 .. tileCount-1
    /// @param frameCount frames in the manifest (informational, emitted for indexers)
    /// @param maxPricePerTile the most the artist pays a worker per tile, in wei
    /// @param verifyFeePerTile what a verifier earns per tile it checks, in wei
    /// @param bidBond the deposit every sealed bid carries, forfeited to the artist if not revealed;
    /// at least `bidBondBps` of the job's maximum value and never zero
    /// @param bidWindow seconds during which sealed bids are committed
    /// @param revealWindow seconds after the bid window during which bids are revealed
    /// @param renderWindow seconds after settlement within which winners commit their results
    /// @param verifyWindow seconds a verifier has to attest, and the length of each dispute window
    /// @param maxRounds how many times tiles that were not sold, delivered or accepted may go back
    /// on the market (0: never; at most MAX_ROUNDS)
    /// @param finalDeadline when re-offering ends (a unix time after the first reveal window), or
    /// 0 when `maxRounds` is 0
    struct JobParams {
        uint16 tileCount;
        uint16 frameCount;
        uint80 maxPricePerTile;
        uint96 verifyFeePerTile;
        uint80 bidBond;
        uint32 bidWindow;
        uint32 revealWindow;
        uint32 renderWindow;
        uint32 verifyWindow;
        uint8 maxRounds;
        uint40 finalDeadline;
    }

    /// @notice A job, or one re-offer round of a job, as stored: four storage words, grouped by the
    /// step that reads them so that each transaction touches as few words as possible. A round is a
    /// record of its own (its own id, bids, seats and deadlines) that sells tiles of its posted job
    /// (`root`) by their indices in that job; the money of every round is held by the posted job.
    struct Job {
        // word 0: money and progress, read by every step after bidding
        uint96 escrow; // wei held for the job; bid bonds are counted apart while bidding
        uint96 feesDue; // protocol fee accrued on accepted tiles, paid to the treasury at the end
        uint16 tileCount;
        uint8 openSeats; // assignments not yet paid, rejected or timed out
        JobStatus status;
        uint32 verifyWindow;
        // word 1: who is paid
        address artist;
        uint96 verifyFeePerTile;
        // word 2: bidding
        uint40 bidEnd;
        uint40 revealEnd;
        uint80 maxPricePerTile;
        uint80 bidBond;
        // word 3: rendering, and the bids
        uint32 renderWindow;
        uint40 renderDeadline;
        uint16 commits; // sealed bids committed (and not reclaimed after a cancellation); not capped
        uint16 reveals; // bids revealed; (commits - reveals) * bidBond is held apart from escrow
        uint8 kept; // revealed bids still in the running (at most MAX_BIDS; a better one evicts the worst)
        uint64 tieSeed; // orders equal prices; from the block hash before the first reveal, 0 until then
        uint32 root; // a round: the posted job it re-offers tiles of; a posted job: 0
        uint8 round; // 0 for a posted job, 1.. for its re-offer rounds
        uint32 latest; // a posted job: its latest round's id (0 while it has none)
        uint8 openRounds; // a posted job: its rounds not yet closed (bidding, or with open seats)
    }

    /// @notice What a posted job keeps for its re-offer rounds. One storage word.
    struct Reoffer {
        uint96 reserve; // escrow owed to no seat: funds later rounds, refunded at the end
        uint80 maxPricePerTile; // the most the next round pays per tile (the artist may raise it)
        uint40 finalDeadline; // no round opens after it
        uint32 bidWindow; // each round's bid window (its reveal window is the job's)
        uint8 roundsLeft; // rounds that may still open; 0 once re-offering ended
    }

    /// @notice One worker's bid and assignment in one job. Two storage words (the second is full).
    struct Seat {
        bytes32 hash; // the sealed bid commitment until results are committed, then their Merkle root
        uint96 pricePerTile;
        uint16 firstTile;
        uint16 tileCount; // tiles bid for, then tiles assigned
        SeatState state;
        uint8 round; // verifier draw round, raised each time a silent verifier is replaced
        uint32 anchorBlock; // the block whose hash seeds the verifier draw
        uint32 verifierId; // the drawn verifier's account id (see {Account}), 0 until drawn
        uint40 deadline; // end of the current verification, contest or appeal window
        // The backend class the worker had declared when it committed its results (0: none), which
        // its verifier draws and its panel's first seat prefer: a later declaration changes nothing.
        uint8 backend;
    }

    /// @notice A staked account and its ledger, and the hardware it declared. Three storage words.
    struct Account {
        uint96 stake; // bonded, slashable, counts toward eligibility
        uint96 balance; // credited by the market, withdrawable at any time
        uint32 tilesAccepted; // tiles paid (counted at release, so a proven fraud never counts)
        uint32 tilesRejected;
        uint96 unstaking; // requested out of the stake, still slashable until withdrawn
        uint40 unlockAt;
        uint16 timeouts; // missed render deadlines, seats given back, lapsed draws and silent verifications
        uint16 slashes;
        uint32 accountId; // 1-based, assigned at the first stake and never changed; 0 if never staked
        uint32 poolIndex; // 1-based position in the compact verifier pool, 0 while not eligible
        uint16 duties; // drawn verifications whose verdict is not final yet
        uint96 locked; // collateral of revealed bids and open seats: part of `stake`, cannot be unstaked
        // The hardware it declared ({IWorkerRegistry-declareHardware}), unchecked, in the word of
        // `locked`, which had room: no new storage word per account.
        uint8 backend; // Cycles backend class: 1 CPU, 2 CUDA, 3 OPTIX, 4 HIP, 5 ONEAPI, 6 METAL; 0 never declared
        uint32 vramMiB; // GPU memory in MiB
    }

    /// @notice An escalation of one assignment's verdict to a panel of verifiers.
    /// @notice `deadline` ends the commit window; reveals are accepted one verification window more.
    /// A panel on a challenged pass (seat `Challenged`) votes "fraud" for "the evidence contradicts
    /// the pass"; on an appeal or a contest, for "the tiles are fraudulent".
    struct Dispute {
        address disputer;
        uint96 bond;
        uint32 anchorBlock;
        uint40 deadline;
        uint32 member0; // account ids of the panel, 0 when empty
        uint32 member1;
        uint32 member2;
        uint8 votesFraud;
        uint8 votesHonest;
        uint8 votedMask; // bits 0-2: the member revealed; bits 4-6: it revealed "fraud"
        bool drawn;
        uint8 committedMask; // bits 0-2: the member sealed a vote
    }

    /// @notice Deployment-wide parameters, fixed at construction (checked: see {InvalidConfig}).
    struct MarketConfig {
        address treasury;
        uint16 protocolFeeBps; // taken on top of accepted tile prices, from the artist's escrow
        uint96 minStake;
        uint32 unstakeDelay; // seconds; keep it longer than any job so stakes stay slashable
        uint8 drawDelay; // K: the draw uses the hash of the block K blocks after the commitment
        uint96 disputeBond;
        uint16 fraudSlashBps;
        uint16 lateSlashBps;
        uint16 falseAccusationSlashBps; // a verifier overruled by its panel (false fail or false pass)
        uint16 silenceSlashBps; // a drawn verifier that stays silent, paid to the waiting worker
        uint16 collateralBps; // collateral locked per bid and seat, of its value (1x to 6.5x)
        uint16 bidBondBps; // the least bid bond, of the job's maximum value
        uint16 drawBountyBps; // of a seat's verifier fee, paid to whoever draws its verifier
    }

    /// @notice No job has this id.
    error JobNotFound(uint256 jobId);
    /// @notice The job is not in the status this action needs.
    error JobNotInStatus(uint256 jobId, JobStatus status, JobStatus required);
    /// @notice The seat is not in the state this action needs.
    error SeatNotInState(uint256 jobId, address worker, SeatState state, SeatState required);
    /// @notice Only the job's artist may do this.
    error NotArtist(uint256 jobId, address caller, address artist);
    /// @notice The caller's stake is below the minimum.
    error NotStaked(address account, uint256 stake, uint256 minStake);
    /// @notice A construction parameter is impossible; `name` says which.
    error InvalidConfig(string name, uint256 value);
    /// @notice Sending wei to a payee failed; its balance was left untouched.
    error PaymentFailed(address payee, uint256 amount);
}
