// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Ghosts
/// @notice What the handler remembers beside the market: the money each actor moved, what the rules
/// owe it, how each seat got its verdict, each posted job's money and rounds as the rules move them,
/// and the violations the per-call checks found. The invariants read these; nothing here calls the
/// market.
abstract contract Ghosts {
    /// @notice How a seat got an accepting verdict. Only these three may lead to pay.
    enum Path {
        None,
        VerifierPassed, // its drawn verifier attested a pass
        ArtistAccepted, // its artist accepted
        PanelDecided // a panel upheld the worker's appeal by a majority
    }

    struct SeatRef {
        uint256 jobId;
        address worker;
    }

    struct Bid {
        uint96 price;
        uint16 tiles;
        bytes32 salt;
    }

    /// @notice A panel vote as its member sealed it: the handler keeps the opening. A copycat's
    /// seal is another member's, so it holds no opening of its own (`copied`).
    struct SealedVote {
        bytes32 commitment;
        bytes32 salt;
        bool fraud;
        bool copied;
    }

    /// @notice Wei each actor sent to the market: stakes, deposits, bid and dispute bonds.
    mapping(address who => uint256) public sentIn;
    /// @notice Of `sentIn`, the stakes.
    mapping(address who => uint256) public stakedIn;
    /// @notice Wei the market sent each actor (withdraw and withdrawStake).
    mapping(address who => uint256) public takenOut;
    /// @notice Of `takenOut`, what withdrawStake sent.
    mapping(address who => uint256) public withdrawnStake;
    /// @notice The most the rules can have moved to each actor from someone else's money (pay, fees,
    /// bounties, forfeited bonds, slashes, lost dispute bonds). An upper bound: a split whose shares
    /// the handler cannot see is counted in full for every party that may get a share.
    mapping(address who => uint256) public owed;

    mapping(uint256 jobId => address) internal artistOf;
    /// @dev The posted jobs, in order, and for every job id its posted job (its own id for a posted
    /// job, the job it re-offers tiles of for a round), as the handler saw them opened.
    uint256[] internal postedJobs;
    mapping(uint256 jobId => uint256) internal rootOf;
    /// @dev A posted job's money as the rules move it: its escrow, its reserve and the protocol fees
    /// it owes, booked from what each call did (see {RoundRules}), never read back from the market.
    struct Funds {
        uint256 escrow;
        uint256 reserve;
        uint256 fees;
    }

    mapping(uint256 root => Funds) internal funds;
    /// @dev A posted job's re-offer terms as the rules set them: the next round's maximum price
    /// (raised only by a top-up), the rounds left (one fewer per round; none once re-offering ended,
    /// by `endReoffering` or by a round that sold nothing at a price the artist did not raise), the
    /// final deadline and each round's bid window.
    struct Terms {
        uint256 maxPrice;
        uint256 roundsLeft;
        uint256 finalDeadline;
        uint256 bidWindow;
    }

    mapping(uint256 root => Terms) internal terms;
    /// @dev The market call (its 1-based count) in which a worker's seat in the posted job or one of
    /// its rounds timed out, lapsed or was rejected (0: never): from then on it may not bid in the job.
    mapping(uint256 root => mapping(address worker => uint256)) internal barredSince;
    mapping(uint256 jobId => address[]) internal jobBidders;
    mapping(uint256 jobId => mapping(address bidder => Bid)) internal bids;
    /// @dev Every seat that was ever assigned, and every seat that was ever disputed.
    SeatRef[] internal seats;
    SeatRef[] internal disputed;
    mapping(uint256 jobId => mapping(address worker => address)) internal drawnVerifier;
    /// @dev The evidence the seat's verifier sealed in its current round (the handler keeps the
    /// opening, as the verifier does); cleared when the round ends without a verdict.
    mapping(uint256 jobId => mapping(address worker => string)) internal sealedEvidence;
    /// @dev Disputes opened on each seat (an appeal, a contest or a challenge).
    mapping(uint256 jobId => mapping(address worker => uint256)) internal disputesOpened;
    mapping(uint256 jobId => mapping(address worker => address[3])) internal panelOf;
    /// @dev Each panel member's sealed vote, by seat.
    mapping(uint256 jobId => mapping(address worker => mapping(address member => SealedVote))) internal sealedVotes;

    mapping(uint256 jobId => mapping(address worker => Path)) public verdictPath;
    mapping(uint256 jobId => mapping(address worker => uint256)) public payments;

    /// @notice Market calls and reverts, by selector and in total.
    mapping(bytes4 selector => uint256) public callsOf;
    mapping(bytes4 selector => uint256) public revertsOf;
    uint256 public marketCalls;
    uint256 public marketReverts;
    /// @notice Lifecycle milestones reached, so that a campaign that never gets anywhere shows.
    uint256 public jobsPosted;
    uint256 public seatsAssigned;
    uint256 public seatsPaid;
    uint256 public seatsRejected;
    uint256 public disputesResolved;
    /// @notice Panel milestones: votes sealed and revealed, disputes resolved with at least one
    /// revealed vote, panel members slashed for silence or for voting against the outcome, and
    /// reveals refused because reveals were not open yet.
    uint256 public votesCommitted;
    uint256 public votesRevealed;
    uint256 public disputesResolvedWithVotes;
    uint256 public panelSlashes;
    uint256 public earlyRevealsRefused;
    /// @notice Blind-verification milestones: evidence sealed, results revealed, seats rejected
    /// because their worker hid its results after the seal, verifiers replaced for their silence
    /// after the reveal, and challenges of a pass opened.
    uint256 public evidenceSealed;
    uint256 public resultsRevealed;
    uint256 public revealsHidden;
    uint256 public silentAfterReveal;
    uint256 public challengesOpened;
    /// @notice Rounds milestones: rounds opened, top-ups, re-offerings ended by `endReoffering`
    /// (and by a round that sold nothing at an unchanged price), seats won in a round, tiles that
    /// went back to a job's unsold tiles from a seat, bids of barred workers refused, seats won in a
    /// round by a bid committed before its bidder was barred (the rules allow it), and posted jobs
    /// completed with tiles never delivered.
    uint256 public roundsOpened;
    uint256 public topUps;
    uint256 public reofferingsEnded;
    uint256 public reofferingsEndedUnsold;
    uint256 public roundSeatsAssigned;
    uint256 public seatTilesReturned;
    uint256 public barredBidsRefused;
    uint256 public jobsEndedUndelivered;

    /// @notice The six ways a panel's verdict goes, each with its own money rules.
    enum Verdict {
        AppealUpheld, // the worker's appeal won: the failing verifier lied
        AppealRejected, // the worker's appeal lost: fraud
        ContestUpheld, // the artist's contest won: fraud, the passing verifier lied
        ContestDismissed, // the artist's contest lost: the worker is paid
        ChallengeUpheld, // the pass contradicted its own evidence: the verifier pays the challenger, a new round
        ChallengeRejected // the pass stands: the challenger's bond pays the panel
    }

    /// @notice Disputes resolved, by verdict.
    mapping(Verdict verdict => uint256) public verdicts;

    /// @notice What the per-call checks look for.
    enum Violation {
        EthLeak, // ETH left the market other than to the caller of withdraw or withdrawStake
        WithdrawalMismatch, // a withdrawal paid other than what was credited or unstaked
        UnauthorizedVerdict, // a seat was accepted other than by one of the three paths
        PayWithoutVerdict, // a seat was paid with no accepting verdict on record
        DoublePayment, // a seat was paid twice
        WrongPayment, // a seat was paid other than its tiles at its price
        IneligibleDraw, // a verifier or panel member was drawn below the minimum stake, or excluded
        LeftOpen, // after every deadline and closing action, a job or seat still held money or was open
        VoteRules, // a commit, reveal or resolution went through that the panel's rules refuse, or the reverse
        DisputeMisPaid, // resolveDispute moved a party's balance or stake other than the panel's money rules say
        PanelWinnerSlashed, // a member that revealed a vote for the outcome lost stake to the panel
        PanelLoserMisSlashed, // a silent or outvoted member lost other than min(disputeBond, bonded stake)
        PanelFeeMisShared, // a revealed member was not credited feeEach (winners: and bondsEach), or PanelPaid is off
        PanelDuties, // a panel's draw or resolution moved an account's duties other than +1 / -1 per member
        BlindRules, // a seal, reveal, attestation, dispute, replacement or rejection went against the blind rules, or the reverse
        TileHeldTwice, // a tile of a posted job was in two of: its unsold tiles, a bidding round's offer, a seat; or in none
        BarredReseated, // a worker barred from a job bid again or won a seat in a round opened after it was barred
        ReserveMisbooked, // a posted job's escrow, reserve, fees or refund differ from the rules', its escrow does not cover its reserve, fees and open seats, or a round holds escrow
        RoundRules // reoffer, topUp, endReoffering or a posting's rounds went through other than the rules say, or a round's record is off
    }

    /// @notice The first violation of each kind, described; empty while there is none.
    mapping(Violation kind => string) public violation;

    function _note(Violation kind, string memory what) internal {
        if (bytes(violation[kind]).length == 0) violation[kind] = what;
    }
}
