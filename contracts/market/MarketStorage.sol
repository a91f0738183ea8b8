// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {ReentrancyGuard} from "../libraries/ReentrancyGuard.sol";

/// @title MarketStorage
/// @notice The market's state, its fixed parameters and the few helpers every module uses: the
/// ledger (`_credit`), the only way ETH leaves (`_send`), slashing and verifier-pool draws.
abstract contract MarketStorage is IJobMarket, ReentrancyGuard {
    uint256 internal constant BPS = 10_000;
    /// @dev Bounds the settlement loop.
    uint256 internal constant MAX_BIDS = 64;
    uint256 internal constant PANEL_SIZE = 3;
    uint256 internal constant MAX_VERIFIER_ROUNDS = 3;
    /// @dev Bounds the pool probing of one draw.
    uint256 internal constant MAX_PROBES = 32;

    address internal immutable _treasury;
    uint256 internal immutable _protocolFeeBps;
    uint256 internal immutable _minStake;
    uint256 internal immutable _unstakeDelay;
    uint256 internal immutable _drawDelay;
    uint256 internal immutable _disputeBond;
    uint256 internal immutable _fraudSlashBps;
    uint256 internal immutable _lateSlashBps;
    uint256 internal immutable _falseAccusationSlashBps;

    /// @dev Starts at 1 so that posting never pays for a fresh storage word.
    uint256 internal _nextJobId = 1;
    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => mapping(address worker => Seat)) internal _seats;
    mapping(uint256 jobId => mapping(address worker => Dispute)) internal _disputes;
    mapping(address account => Account) internal _accounts;
    address[] internal _pool;

    constructor(MarketConfig memory cfg) {
        _treasury = cfg.treasury;
        _protocolFeeBps = cfg.protocolFeeBps;
        _minStake = cfg.minStake;
        _unstakeDelay = cfg.unstakeDelay;
        _drawDelay = cfg.drawDelay == 0 ? 1 : cfg.drawDelay;
        _disputeBond = cfg.disputeBond;
        _fraudSlashBps = cfg.fraudSlashBps;
        _lateSlashBps = cfg.lateSlashBps;
        _falseAccusationSlashBps = cfg.falseAccusationSlashBps;
    }

    function _job(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.status == JobStatus.None) revert JobNotFound(jobId);
    }

    function _requireStatus(uint256 jobId, Job storage j, JobStatus required) internal view {
        if (j.status != required) revert JobNotInStatus(jobId, j.status, required);
    }

    function _requireState(uint256 jobId, address worker, Seat storage s, SeatState required) internal view {
        if (s.state != required) revert SeatNotInState(jobId, worker, s.state, required);
    }

    /// @dev The protocol fee on one tile at `price`; per tile, so it never exceeds what the
    /// escrow holds for that tile at the maximum price.
    function _feePerTile(uint256 price) internal view returns (uint256) {
        return price * _protocolFeeBps / BPS;
    }

    function _credit(address to, uint256 amount) internal {
        if (amount != 0) _accounts[to].balance += uint96(amount);
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert PaymentFailed(to, amount);
    }

    function _eligible(Account storage a) internal view returns (bool) {
        return a.stake >= _minStake && a.stake != 0;
    }

    /// @dev Takes `bps` of everything `worker` has bonded (stake first, then what is unstaking,
    /// which stays slashable until withdrawn). The caller credits the returned amount onward.
    function _slash(uint256 jobId, address worker, uint256 bps, SlashReason reason)
        internal
        returns (uint256 taken)
    {
        Account storage a = _accounts[worker];
        uint256 fromStake = uint256(a.stake) * bps / BPS;
        uint256 fromUnstaking = uint256(a.unstaking) * bps / BPS;
        a.stake -= uint96(fromStake);
        a.unstaking -= uint96(fromUnstaking);
        a.slashes += 1;
        taken = fromStake + fromUnstaking;
        emit Slashed(worker, jobId, reason, taken);
    }

    /// @dev Splits `amount`: half to `artist` (with the rounding dust), half evenly to `honest`.
    function _payFraud(address artist, uint256 amount, address[4] memory honest, uint256 honestCount) internal {
        if (honestCount == 0) {
            _credit(artist, amount);
            return;
        }
        // Dividing first is the point: the verifiers share half, and whatever rounding leaves
        // (at most honestCount wei) goes to the artist so that nothing is lost.
        uint256 share = (amount / 2) / honestCount;
        for (uint256 i; i < honestCount; ++i) {
            _credit(honest[i], share);
        }
        // slither-disable-next-line divide-before-multiply
        _credit(artist, amount - share * honestCount);
    }

    /// @dev The pool slot of the first eligible account probing from `seed % poolSize` that is
    /// none of `exclude`, or 0. Bounded by MAX_PROBES.
    ///
    /// slither flags the modulo as a weak PRNG. The seed is the hash of a block mined after the
    /// commitment (see {IResultVerification}), which the worker cannot know when committing; a
    /// block producer could withhold a block to re-roll once, at the cost of its block reward.
    /// Good enough to pick a spot-check verifier; not meant for anything worth more.
    function _pick(bytes32 seed, address[5] memory exclude) internal view returns (uint32) {
        uint256 n = _pool.length;
        if (n == 0) return 0;
        // slither-disable-next-line weak-prng
        uint256 start = uint256(seed) % n;
        uint256 probes = n < MAX_PROBES ? n : MAX_PROBES;
        for (uint256 i; i < probes; ++i) {
            // slither-disable-next-line weak-prng
            uint256 index = (start + i) % n;
            address candidate = _pool[index];
            if (!_eligible(_accounts[candidate])) continue;
            bool excluded = false;
            for (uint256 k; k < 5; ++k) {
                if (exclude[k] == candidate) excluded = true;
            }
            if (!excluded) return uint32(index + 1);
        }
        return 0;
    }

    function _poolMember(uint256 slot) internal view returns (address) {
        // Slot 0 means "nobody" (pool slots are 1-based): a sentinel, not a balance check.
        // slither-disable-next-line incorrect-equality
        return slot == 0 ? address(0) : _pool[slot - 1];
    }
}
