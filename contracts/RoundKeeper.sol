// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketStorage} from "./market/MarketStorage.sol";
import {Rounds} from "./market/Rounds.sol";

/// @title RoundKeeper
/// @notice The rules of a job's rounds ({Rounds}: posting, settling, re-offering) as a contract
/// of their own, so that the market fits the 24,576-byte code limit. Like {PanelCourt}, it is deployed before {JobMarket} with
/// the same parameters, and the market runs its functions by delegate call on its own storage,
/// balance and events. Called directly, it only ever acts on its own empty storage.
contract RoundKeeper is Rounds {
    constructor(MarketConfig memory cfg) MarketStorage(cfg) {}

    /// @notice The hash of the parameters it was built with ({JobMarket} checks it is its own).
    function configHash() external view returns (bytes32) {
        return _configHash();
    }
}
