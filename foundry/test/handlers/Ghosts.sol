// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Ghosts
/// @notice What the handler remembers beside the market: the money each actor moved, what the rules
/// owe it, how each seat got its verdict, and the violations the per-call checks found. The
/// invariants read these; nothing here calls the market.
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
        BlindRules // a seal, reveal, attestation, dispute, replacement or rejection went against the blind rules, or the reverse
    }

    /// @notice The first violation of each kind, described; empty while there is none.
    mapping(Violation kind => string) public violation;

    function _note(Violation kind, string memory what) internal {
        if (bytes(violation[kind]).length == 0) violation[kind] = what;
    }
}
