// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {MarketParams} from "../utils/MarketParams.sol";
import {MarketCalls} from "./MarketCalls.sol";
import {Clock} from "./Clock.sol";
import {Choices} from "./Choices.sol";

/// @title StakingActions
/// @notice Fuzzed steps for money in and out of the registry and the ledger, and for time passing.
abstract contract StakingActions is MarketCalls, Clock, Choices {
    /// @notice A staker adds to its stake; now and then too little to reach the minimum.
    function stake(uint256 who, uint256 amount) external {
        _stake(_one(stakers, who), _between(amount, 0.1 ether, 3 ether));
    }

    /// @notice A staker asks for part of its free stake back; one time in eight more than is free.
    function requestUnstake(uint256 who, uint256 amount) external {
        address staker = _one(stakers, who);
        IMarketTypes.Account memory a = market.account(staker);
        uint256 free = a.stake > a.locked ? a.stake - a.locked : 0;
        _requestUnstake(staker, amount % 8 == 0 ? free + 1 : _between(amount >> 3, 1, free));
    }

    /// @notice A staker takes its unstaked ETH; one time in eight it first waits for the unlock
    /// (two weeks, which ends every job in flight).
    function withdrawStake(uint256 who, uint256 wait) external {
        address staker = _one(stakers, who);
        if (wait % 8 == 0) _warpTo(market.account(staker).unlockAt);
        _withdrawStake(staker);
    }

    /// @notice A staker declares the backend class it renders on, which its draws then prefer;
    /// one time in seven the code 0, which the market must refuse.
    function declareHardware(uint256 who, uint256 backend) external {
        _declareHardware(_one(stakers, who), uint8(backend % 7), uint32(backend >> 8));
    }

    /// @notice Anyone takes what is credited to it.
    function withdraw(uint256 who) external {
        _withdraw(_anyone(who));
    }

    /// @notice Time (up to a bid window) and blocks pass; one time in sixteen long enough for anchor
    /// hashes to expire.
    function advance(uint256 secs, uint256 blocks) external {
        _warpBy(_between(secs, 1, MarketParams.BID_WINDOW));
        _mine(blocks % 16 == 0 ? HASH_WINDOW + 44 : _between(blocks >> 4, 1, 12));
    }
}
