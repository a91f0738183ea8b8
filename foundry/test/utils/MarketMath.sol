// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title MarketMath
/// @notice The few formulas a bidder must compute off chain, as the market defines them
/// (contracts/market/SealedBidding.sol, JobEscrow.sol): the market exposes no view for them; and
/// the money rules of a panel's verdict as the panel specification states them, which the
/// handler computes on its own to check what the market paid.
library MarketMath {
    uint256 internal constant BPS = 10_000;

    /// @notice The sealed-bid commitment `commitBid` takes and `revealBid` checks.
    function commitment(uint256 jobId, address bidder, uint96 price, uint16 tiles, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(price, tiles, salt, bidder, jobId));
    }

    /// @notice The sealed panel vote `commitVote` takes and `revealVote` checks: it binds the
    /// member, its vote and its evidence.
    function voteCommitment(
        uint256 jobId,
        address worker,
        address voter,
        bool fraud,
        bytes32 salt,
        string memory evidenceCid
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(jobId, worker, voter, fraud, salt, evidenceCid));
    }

    /// @notice The seal `sealEvidence` takes and `attest` checks: it binds the seat, the verifier
    /// and the evidence it re-rendered before it saw a tile.
    function evidenceSeal(uint256 jobId, address worker, address verifier, string memory evidenceCid)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, worker, verifier, evidenceCid));
    }

    /// @notice The order `settle` checks: price in the high bits, a hash of the job's tie seed and
    /// the bidder in the low 160.
    function rankKey(uint256 tieSeed, address bidder, uint256 price) internal pure returns (uint256) {
        return (price << 160) | uint160(uint256(keccak256(abi.encode(tieSeed, bidder))));
    }

    /// @notice The least bid bond a job may ask: `bidBondBps` of its maximum value, never zero.
    function minBidBond(uint256 tiles, uint256 maxPrice, uint256 bidBondBps) internal pure returns (uint256) {
        uint256 bond = tiles * maxPrice * bidBondBps / BPS;
        return bond == 0 ? 1 : bond;
    }

    /// @notice A seat's verifier fee once every round's draw bounty (`drawBountyBps` of the whole
    /// fee, paid once per round `0 .. round`) is taken out; zero if the bounties took it all.
    function verifierFee(uint256 tiles, uint256 feePerTile, uint256 drawBountyBps, uint256 round)
        internal
        pure
        returns (uint256)
    {
        uint256 whole = tiles * feePerTile;
        uint256 bounties = (whole * drawBountyBps / BPS) * (round + 1);
        return whole > bounties ? whole - bounties : 0;
    }

    /// @notice The protocol fee on `tiles` tiles at `price`, charged per tile.
    function protocolFee(uint256 tiles, uint256 price, uint256 feeBps) internal pure returns (uint256) {
        return tiles * (price * feeBps / BPS);
    }

    /// @notice The collateral a seat of `tiles` tiles at `price` locks.
    function collateral(uint256 tiles, uint256 price, uint256 collateralBps) internal pure returns (uint256) {
        return tiles * price * collateralBps / BPS;
    }

    /// @notice What proven fraud takes from a worker bonding `bonded` (stake and unstaking): the
    /// seat's collateral and `fraudSlashBps` of the rest, never more than it has.
    function fraudSlash(uint256 bonded, uint256 collateral_, uint256 fraudSlashBps) internal pure returns (uint256) {
        uint256 rest = bonded > collateral_ ? bonded - collateral_ : 0;
        uint256 amount = collateral_ + rest * fraudSlashBps / BPS;
        return amount < bonded ? amount : bonded;
    }

    /// @notice A fraud slash's split: `share` to each of `n` winners (half the amount, evenly, rounded
    /// down), the rest (`toJob`) to the job's escrow and reserve (the artist's at the job's end, after
    /// paying for the tiles' next round); all of it to the job when nobody else shares.
    function fraudSplit(uint256 amount, uint256 n) internal pure returns (uint256 share, uint256 toJob) {
        if (n == 0) return (0, amount);
        share = (amount / 2) / n;
        toJob = amount - share * n;
    }

    /// @notice What drawing a seat's verifier, or opening a round, earns its caller: `drawBountyBps`
    /// of the verifier fees of `tiles` tiles.
    function drawBounty(uint256 tiles, uint256 feePerTile, uint256 drawBountyBps) internal pure returns (uint256) {
        return tiles * feePerTile * drawBountyBps / BPS;
    }

    /// @notice What `tiles` tiles at `price` hold in escrow: the price, the protocol fee (per tile)
    /// and the verifier fee. At the maximum price, a round's cost to the reserve (without the bounty).
    function tileEscrow(uint256 tiles, uint256 price, uint256 feeBps, uint256 feePerTile) internal pure returns (uint256) {
        return tiles * (price + price * feeBps / BPS + feePerTile);
    }

    /// @notice The tiles of a packed range (`firstTile << 16 | tileCount`).
    function rangeFirst(uint256 range) internal pure returns (uint256) {
        return range >> 16;
    }

    function rangeTiles(uint256 range) internal pure returns (uint256) {
        return uint16(range);
    }

    /// @notice The tiles in a list of packed ranges.
    function tilesIn(uint32[] memory ranges) internal pure returns (uint256 tiles) {
        for (uint256 k; k < ranges.length; ++k) {
            tiles += uint16(ranges[k]);
        }
    }

    /// @notice How a panel's pay is shared: `fee` evenly among the `revealed` members, the stakes
    /// `forfeited` by the silent and outvoted ones evenly among the `winners`. What nobody takes of
    /// the fee (rounding, or all of it when nobody revealed) and the rounding of the forfeits are
    /// the `remainder`; when no member voted for the outcome, the forfeits go `toTreasury` instead.
    function panelShares(uint256 fee, uint256 forfeited, uint256 revealed, uint256 winners)
        internal
        pure
        returns (uint256 feeEach, uint256 bondsEach, uint256 remainder, uint256 toTreasury)
    {
        feeEach = revealed == 0 ? 0 : fee / revealed;
        remainder = fee - feeEach * revealed;
        if (winners == 0) return (feeEach, 0, remainder, forfeited);
        bondsEach = forfeited / winners;
        remainder += forfeited - bondsEach * winners;
    }
}
