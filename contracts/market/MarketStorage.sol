// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarketTypes} from "../interfaces/IMarketTypes.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";

/// @title MarketStorage
/// @notice The market's state, its fixed parameters and the few helpers every module uses: the
/// ledger (`_credit`), the only way ETH leaves (`_send`), collateral locks, slashing, and the
/// compact verifier pool with its draws. Both deployed contracts, {JobMarket} and the
/// {PanelCourt} it delegates disputes to, inherit it, so that they share one storage layout;
/// state variables are only ever appended here.
abstract contract MarketStorage is IMarketTypes, ReentrancyGuardTransient {
    uint256 internal constant BPS = 10_000;
    /// @dev The most revealed bids a job keeps (a better bid evicts the worst): bounds settlement.
    uint256 internal constant MAX_BIDS = 64;
    uint256 internal constant PANEL_SIZE = 3;
    uint256 internal constant MAX_VERIFIER_ROUNDS = 3;
    /// @dev Re-hashes of a draw whose pick is excluded, before it scans forward.
    uint256 internal constant MAX_DRAW_TRIES = 4;
    /// @dev Exclusions are at most 6 accounts, so 7 consecutive pool members always hold one.
    uint256 internal constant SCAN_AFTER_TRIES = 7;
    /// @dev The most re-offer rounds a job may have: bounds the unsold ranges a round walks.
    uint256 internal constant MAX_ROUNDS = 8;
    /// @dev The highest backend code an account may declare (1 CPU .. 6 METAL; 0: never declared).
    uint8 internal constant MAX_BACKEND = 6;
    /// @dev How many of a draw's first candidates are searched for one of the worker's own backend
    /// class before the draw falls back to the uniform pick (see {_pickPreferred}).
    uint256 internal constant PREFERRED_DRAW_TRIES = 3;

    address internal immutable _treasury;
    uint256 internal immutable _protocolFeeBps;
    uint256 internal immutable _minStake;
    uint256 internal immutable _unstakeDelay;
    uint256 internal immutable _drawDelay;
    uint256 internal immutable _disputeBond;
    uint256 internal immutable _fraudSlashBps;
    uint256 internal immutable _lateSlashBps;
    uint256 internal immutable _falseAccusationSlashBps;
    uint256 internal immutable _silenceSlashBps;
    uint256 internal immutable _collateralBps;
    uint256 internal immutable _bidBondBps;
    uint256 internal immutable _drawBountyBps;

    /// @dev Starts at 1 so that posting never pays for a fresh storage word.
    uint256 internal _nextJobId = 1;
    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => mapping(address worker => Seat)) internal _seats;
    mapping(uint256 jobId => mapping(address worker => Dispute)) internal _disputes;
    mapping(uint256 jobId => address[] bidders) internal _kept;
    mapping(address account => Account) internal _accounts;
    mapping(uint256 accountId => address account) internal _accountById;
    uint256 internal _accountCount;
    /// @dev Exactly the eligible accounts, in no order: joined at `minStake`, swap-and-pop on leaving.
    address[] internal _pool;
    /// @dev Each panel seat's sealed vote,
    /// `keccak256(abi.encode(jobId, worker, voter, fraud, salt, evidenceCid))`.
    mapping(uint256 jobId => mapping(address worker => bytes32[3] commitments)) internal _voteCommits;
    /// @dev The drawn verifier's sealed evidence of the current round, until it attests.
    mapping(uint256 jobId => mapping(address worker => bytes32 seal)) internal _evidenceSeals;
    /// @dev A posted job's reserve and re-offer rules.
    mapping(uint256 jobId => Reoffer) internal _reoffers;
    /// @dev A posted job's unsold tiles, as ranges `firstTile << 16 | tileCount`, until a round takes them.
    mapping(uint256 jobId => uint32[] ranges) internal _unsold;
    /// @dev The ranges a round sells (none for a posted job: it sells all its tiles).
    mapping(uint256 roundId => uint32[] ranges) internal _offered;
    /// @dev Workers whose seat in a job was taken late or rejected: they may not bid in it again.
    mapping(uint256 jobId => mapping(address worker => bool)) internal _barred;

    constructor(MarketConfig memory cfg) {
        if (cfg.treasury == address(0)) revert InvalidConfig("treasury", 0);
        if (cfg.minStake == 0) revert InvalidConfig("minStake", 0);
        if (cfg.unstakeDelay == 0) revert InvalidConfig("unstakeDelay", 0);
        if (cfg.drawDelay == 0) revert InvalidConfig("drawDelay", 0);
        _checkBps("protocolFeeBps", cfg.protocolFeeBps, BPS);
        _checkBps("fraudSlashBps", cfg.fraudSlashBps, BPS);
        _checkBps("lateSlashBps", cfg.lateSlashBps, BPS);
        _checkBps("falseAccusationSlashBps", cfg.falseAccusationSlashBps, BPS);
        _checkBps("silenceSlashBps", cfg.silenceSlashBps, BPS);
        _checkBps("bidBondBps", cfg.bidBondBps, BPS);
        // Collateral below a seat's value would let a fraud, or a bid left unrevealed, cost less
        // than it can gain.
        if (cfg.collateralBps < BPS) revert InvalidConfig("collateralBps", cfg.collateralBps);
        // Every round's draw may pay a bounty out of the same verifier fee.
        _checkBps("drawBountyBps", cfg.drawBountyBps, BPS / MAX_VERIFIER_ROUNDS);
        _treasury = cfg.treasury;
        _protocolFeeBps = cfg.protocolFeeBps;
        _minStake = cfg.minStake;
        _unstakeDelay = cfg.unstakeDelay;
        _drawDelay = cfg.drawDelay;
        _disputeBond = cfg.disputeBond;
        _fraudSlashBps = cfg.fraudSlashBps;
        _lateSlashBps = cfg.lateSlashBps;
        _falseAccusationSlashBps = cfg.falseAccusationSlashBps;
        _silenceSlashBps = cfg.silenceSlashBps;
        _collateralBps = cfg.collateralBps;
        _bidBondBps = cfg.bidBondBps;
        _drawBountyBps = cfg.drawBountyBps;
    }

    /// @dev One hash of every deployment parameter: the market checks that the contracts it
    /// delegates to were built with its own.
    function _configHash() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                _treasury,
                _protocolFeeBps,
                _minStake,
                _unstakeDelay,
                _drawDelay,
                _disputeBond,
                _fraudSlashBps,
                _lateSlashBps,
                _falseAccusationSlashBps,
                _silenceSlashBps,
                _collateralBps,
                _bidBondBps,
                _drawBountyBps
            )
        );
    }

    function _checkBps(string memory name, uint256 value, uint256 max) private pure {
        if (value > max) revert InvalidConfig(name, value);
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

    /// @dev `bidBondBps` of the job's maximum value, and never zero.
    function _minBidBond(uint256 tileCount, uint256 maxPricePerTile) internal view returns (uint256) {
        uint256 bond = tileCount * maxPricePerTile * _bidBondBps / BPS;
        return bond == 0 ? 1 : bond;
    }

    function _quote(uint256 tileCount, uint256 maxPricePerTile, uint256 verifyFeePerTile)
        internal
        view
        returns (uint256)
    {
        return tileCount * (maxPricePerTile + _feePerTile(maxPricePerTile) + verifyFeePerTile);
    }

    /// @dev The collateral `tiles` tiles at `price` lock: the seat's value times `collateralBps`.
    function _collateral(uint256 tiles, uint256 price) internal view returns (uint256) {
        return tiles * price * _collateralBps / BPS;
    }

    function _credit(address to, uint256 amount) internal {
        if (amount != 0) _accounts[to].balance += uint96(amount);
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert PaymentFailed(to, amount);
    }

    function _eligible(Account storage a) internal view returns (bool) {
        return a.stake >= _minStake;
    }

    /// @dev Gives a staking account its permanent id, once.
    function _register(address who, Account storage a) internal {
        if (a.accountId != 0) return;
        uint256 id = ++_accountCount;
        a.accountId = uint32(id);
        _accountById[id] = who;
    }

    /// @dev Puts `who` into the pool when it became eligible and takes it out when it no longer is.
    function _syncPool(address who, Account storage a) internal {
        bool inPool = a.poolIndex != 0;
        bool eligible = _eligible(a);
        if (eligible && !inPool) {
            _pool.push(who);
            a.poolIndex = uint32(_pool.length);
        } else if (!eligible && inPool) {
            uint256 index = a.poolIndex - 1;
            address last = _pool[_pool.length - 1];
            _pool[index] = last;
            _accounts[last].poolIndex = uint32(index + 1);
            _pool.pop();
            a.poolIndex = 0;
        }
    }

    function _lock(Account storage a, uint256 amount) internal {
        a.locked += uint96(amount);
    }

    /// @dev Saturating: a slash may already have taken locked stake.
    function _unlock(Account storage a, uint256 amount) internal {
        uint256 locked = a.locked;
        a.locked = uint96(locked > amount ? locked - amount : 0);
    }

    /// @dev Takes up to `amount` of everything `who` has bonded (stake first, then what is
    /// unstaking, which stays slashable until withdrawn). The caller credits the returned amount.
    function _slashAmount(uint256 jobId, address who, uint256 amount, SlashReason reason)
        internal
        returns (uint256 taken)
    {
        Account storage a = _accounts[who];
        uint256 stake_ = a.stake;
        uint256 fromStake = amount < stake_ ? amount : stake_;
        uint256 rest = amount - fromStake;
        uint256 fromUnstaking = rest < a.unstaking ? rest : a.unstaking;
        a.stake = uint96(stake_ - fromStake);
        a.unstaking -= uint96(fromUnstaking);
        if (a.locked > a.stake) a.locked = a.stake;
        a.slashes += 1;
        taken = fromStake + fromUnstaking;
        emit IWorkerRegistry.Slashed(who, jobId, reason, taken);
        _syncPool(who, a);
    }

    /// @dev Takes `bps` of everything `who` has bonded.
    function _slash(uint256 jobId, address who, uint256 bps, SlashReason reason) internal returns (uint256) {
        Account storage a = _accounts[who];
        return _slashAmount(jobId, who, (uint256(a.stake) + a.unstaking) * bps / BPS, reason);
    }

    /// @dev The account id of a pool member drawn uniformly by `seed`, none of `exclude`, or 0 when
    /// the pool holds nobody else. The pool holds only eligible accounts, so every pick counts.
    ///
    /// slither flags the modulo as a weak PRNG. The seed hashes a block hash from after the
    /// commitment (see {IResultVerification}), which the worker cannot know when committing and
    /// cannot re-roll by waiting; docs/protocol.md says who else can bias it, per network.
    function _pick(bytes32 seed, address[6] memory exclude) internal view returns (uint32) {
        uint256 n = _pool.length;
        if (n == 0) return 0;
        uint256 index;
        for (uint256 t; t < MAX_DRAW_TRIES; ++t) {
            // slither-disable-next-line weak-prng
            index = uint256(keccak256(abi.encode(seed, t))) % n;
            if (!_excluded(_pool[index], exclude)) return _accounts[_pool[index]].accountId;
        }
        // Only reached when excluded accounts fill most of a tiny pool: scan on from the last try.
        uint256 probes = n < SCAN_AFTER_TRIES ? n : SCAN_AFTER_TRIES;
        for (uint256 i = 1; i < probes; ++i) {
            // slither-disable-next-line weak-prng
            address candidate = _pool[(index + i) % n];
            if (!_excluded(candidate, exclude)) return _accounts[candidate].accountId;
        }
        return 0;
    }

    /// @dev Like {_pick}, but prefers a pool member whose declared backend class is `backend`
    /// (the one the worker's seat recorded when it committed its results; 0: none declared, and
    /// the draw is exactly {_pick}'s): the first of {_pick}'s own first `PREFERRED_DRAW_TRIES`
    /// candidates that is not excluded and has that class, else {_pick}'s choice. Verifying on the
    /// worker's own kind of device saves false fails on backend-dependent noise. A verifier draw
    /// and a panel's first seat use it; a panel's other two seats are {_pick}'s.
    ///
    /// The bias is bounded on purpose. The worker's class is fixed in its seat before the anchor
    /// hash exists, and the drawn account is one of {_pick}'s first three candidates (or, only
    /// when all three are excluded, {_pick}'s own choice): a worker whose Sybils of its own (rare)
    /// class hold a share `q` of the pool gets one drawn with probability at most `1 - (1 - q)^3`
    /// (< 3q) instead of `q` (beyond what {_pick} itself allows when excluded accounts fill a tiny
    /// pool). A colluding verifier's pass still stands or falls by its own sealed evidence, which
    /// anyone may challenge; a panel majority (two seats) needs a uniformly drawn seat.
    function _pickPreferred(bytes32 seed, address[6] memory exclude, uint8 backend) internal view returns (uint32) {
        uint256 n = _pool.length;
        if (backend != 0 && n != 0) {
            for (uint256 t; t < PREFERRED_DRAW_TRIES; ++t) {
                // slither-disable-next-line weak-prng
                address candidate = _pool[uint256(keccak256(abi.encode(seed, t))) % n];
                if (!_excluded(candidate, exclude) && _accounts[candidate].backend == backend) {
                    return _accounts[candidate].accountId;
                }
            }
        }
        return _pick(seed, exclude);
    }

    function _excluded(address candidate, address[6] memory exclude) private pure returns (bool) {
        for (uint256 k; k < 6; ++k) {
            if (exclude[k] == candidate) return true;
        }
        return false;
    }

    function _accountOf(uint256 accountId) internal view returns (address) {
        return _accountById[accountId];
    }
}
