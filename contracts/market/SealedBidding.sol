// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISealedBidding} from "../interfaces/ISealedBidding.sol";
import {IReoffering} from "../interfaces/IReoffering.sol";
import {BidBook} from "./BidBook.sol";

/// @title SealedBidding
/// @notice See {ISealedBidding}. A committed bid costs one storage word (its commitment); the
/// reveal writes the second, which later holds the assignment, locks the bid's collateral and
/// enters the job's bounded set of kept bids. Settling runs in {RoundKeeper} ({Reoffering}).
abstract contract SealedBidding is BidBook, ISealedBidding {
    /// @inheritdoc ISealedBidding
    function commitBid(uint256 jobId, bytes32 commitment, uint16 tileCount) external payable override {
        Job storage j = _job(jobId);
        _requireStatus(jobId, j, JobStatus.Bidding);
        if (block.timestamp > j.bidEnd) revert BiddingClosed(jobId, j.bidEnd);
        if (msg.value != j.bidBond) revert WrongBidBond(jobId, msg.value, j.bidBond);
        if (commitment == bytes32(0)) revert EmptyCommitment();
        if (tileCount == 0 || tileCount > j.tileCount) revert BidTilesOutOfRange(jobId, tileCount, j.tileCount);
        uint256 rootId = j.root == 0 ? jobId : j.root;
        if (_barred[rootId][msg.sender]) revert IReoffering.BarredFromJob(rootId, msg.sender);
        Account storage a = _accounts[msg.sender];
        if (!_eligible(a)) revert NotStaked(msg.sender, a.stake, _minStake);
        Seat storage s = _seats[jobId][msg.sender];
        if (s.hash != bytes32(0)) revert BidAlreadyCommitted(jobId, msg.sender);
        // The most a sealed bid can gain by being left unrevealed is its tiles at the maximum price:
        // it locks that much collateral, which it forfeits unless it is revealed.
        uint256 lock = _collateral(tileCount, j.maxPricePerTile);
        uint256 free = a.stake - a.locked;
        if (lock > free) revert StakeTooLowForBid(msg.sender, lock, free);
        _lock(a, lock);
        j.commits += 1;
        s.hash = _sealedBid(commitment, tileCount);
        emit BidCommitted(jobId, msg.sender, commitment, tileCount);
    }

    /// @inheritdoc ISealedBidding
    function revealBid(uint256 jobId, uint96 pricePerTile, uint16 tileCount, bytes32 salt) external override {
        Job storage j = _job(jobId);
        _requireStatus(jobId, j, JobStatus.Bidding);
        if (block.timestamp <= j.bidEnd) revert RevealNotOpen(jobId, j.bidEnd);
        if (block.timestamp > j.revealEnd) revert RevealClosed(jobId, j.revealEnd);
        Seat storage s = _seats[jobId][msg.sender];
        bytes32 committed = s.hash;
        if (committed == bytes32(0)) revert NoBidCommitted(jobId, msg.sender);
        if (s.state != SeatState.None) revert BidAlreadyRevealed(jobId, msg.sender);
        bytes32 revealed = _sealedBid(_bidCommitment(jobId, msg.sender, pricePerTile, tileCount, salt), tileCount);
        if (revealed != committed) revert CommitmentMismatch(jobId, msg.sender, committed, revealed);
        if (pricePerTile > j.maxPricePerTile) revert BidAboveMaximum(jobId, pricePerTile, j.maxPricePerTile);
        if (pricePerTile == 0 || tileCount == 0) revert EmptyBid(jobId, pricePerTile, tileCount);
        // No eligibility check: the commit needed it, and its lock backs the bid (a slash elsewhere
        // in between cuts the bid to what is left, instead of also forfeiting it).
        Account storage a = _accounts[msg.sender];
        // The commit's lock at the maximum price becomes the bid's collateral at its own price.
        _unlock(a, _collateral(tileCount, j.maxPricePerTile));

        if (j.tieSeed == 0) {
            // The parent's hash was unknown to every bidder when it committed (commits end no
            // later than this block's parent was built), and no address choice can aim at it.
            j.tieSeed = uint64(uint256(blockhash(block.number - 1))) | 1;
        }
        uint256 backed = _backedTiles(a, tileCount, pricePerTile);
        s.pricePerTile = pricePerTile;
        s.tileCount = uint16(backed);
        s.state = SeatState.Revealed;
        j.reveals += 1;
        _credit(msg.sender, j.bidBond);
        _lock(a, _collateral(backed, pricePerTile));
        emit BidRevealed(jobId, msg.sender, pricePerTile, backed);
        if (backed == 0) {
            _outbid(jobId, msg.sender, s);
        } else {
            _keep(jobId, j, msg.sender, _rankKey(j.tieSeed, msg.sender, pricePerTile));
        }
    }

    /// @inheritdoc ISealedBidding
    function reclaimBond(uint256 jobId) external override {
        Job storage j = _job(jobId);
        _requireStatus(jobId, j, JobStatus.Cancelled);
        Seat storage s = _seats[jobId][msg.sender];
        if (s.hash == bytes32(0) || s.state != SeatState.None) revert NoBondToReclaim(jobId, msg.sender);
        uint256 bond = j.bidBond;
        s.state = SeatState.Reclaimed;
        j.commits -= 1;
        _unlock(_accounts[msg.sender], _collateral(_sealedTiles(s.hash), j.maxPricePerTile));
        _credit(msg.sender, bond);
        emit BondReclaimed(jobId, msg.sender, bond);
    }

    /// @inheritdoc ISealedBidding
    function forfeitBid(uint256 jobId, address bidder) external override {
        Job storage j = _job(jobId);
        if (j.status == JobStatus.Cancelled) revert BidNotForfeitable(jobId, bidder);
        if (block.timestamp <= j.revealEnd) revert RevealNotOver(jobId, j.revealEnd);
        Seat storage s = _seats[jobId][bidder];
        if (s.hash == bytes32(0) || s.state != SeatState.None) revert BidNotForfeitable(jobId, bidder);
        s.state = SeatState.Forfeited;
        uint256 lock = _collateral(_sealedTiles(s.hash), j.maxPricePerTile);
        _unlock(_accounts[bidder], lock);
        uint256 slashed = _slashAmount(jobId, bidder, lock, SlashReason.Unrevealed);
        _credit(j.artist, slashed);
        emit BidForfeited(jobId, bidder, slashed);
    }

    /// @inheritdoc ISealedBidding
    function keptBids(uint256 jobId) external view override returns (address[] memory) {
        return _kept[jobId];
    }

    /// @inheritdoc ISealedBidding
    function seat(uint256 jobId, address worker) external view override returns (Seat memory) {
        return _seats[jobId][worker];
    }

    /// @dev How many of `tiles` tiles at `price` the account's free stake can back.
    function _backedTiles(Account storage a, uint256 tiles, uint256 price) internal view returns (uint256) {
        uint256 perTile = _collateral(1, price);
        if (perTile == 0) return tiles;
        uint256 free = a.stake - a.locked;
        uint256 affordable = free / perTile;
        return affordable < tiles ? affordable : tiles;
    }

    /// @dev Adds a revealed bid to the job's kept bids; when they are full, the worst of them and
    /// the new one compete and the worse is outbid at once. Costs O(MAX_BIDS) reads only when full.
    function _keep(uint256 jobId, Job storage j, address bidder, uint256 key) internal {
        address[] storage kept = _kept[jobId];
        if (kept.length < MAX_BIDS) {
            kept.push(bidder);
            j.kept = uint8(kept.length);
            return;
        }
        uint256 seed = j.tieSeed;
        uint256 worstIndex = 0;
        uint256 worstKey = 0;
        for (uint256 i; i < kept.length; ++i) {
            uint256 k = _rankKey(seed, kept[i], _seats[jobId][kept[i]].pricePerTile);
            if (k > worstKey) (worstKey, worstIndex) = (k, i);
        }
        if (key < worstKey) {
            address evicted = kept[worstIndex];
            kept[worstIndex] = bidder;
            _outbid(jobId, evicted, _seats[jobId][evicted]);
        } else {
            _outbid(jobId, bidder, _seats[jobId][bidder]);
        }
    }

    /// @dev What a seat stores for a sealed bid: the commitment with its low 16 bits replaced by
    /// the declared tile count (240 bits of hash are left), so that the count needs no storage word
    /// and a reveal of another count cannot match.
    function _sealedBid(bytes32 commitment, uint16 tileCount) internal pure returns (bytes32) {
        return bytes32((uint256(commitment) >> 16 << 16) | tileCount);
    }

    function _sealedTiles(bytes32 sealedBid) internal pure returns (uint256) {
        return uint16(uint256(sealedBid));
    }

    function _bidCommitment(uint256 jobId, address bidder, uint96 pricePerTile, uint16 tileCount, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(pricePerTile, tileCount, salt, bidder, jobId));
    }

}
