// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketStorage} from "./market/MarketStorage.sol";
import {Disputes} from "./market/Disputes.sol";

/// @title PanelCourt
/// @notice The dispute rules ({Disputes}) as a contract of their own, so that the market fits the
/// 24,576-byte code limit. It is deployed before {JobMarket}, with the same parameters (the market's
/// constructor checks them), and the market runs its functions by delegate call on the market's
/// own storage, balance and events. Called directly, it only ever acts on its own empty storage
/// and holds no ETH.
contract PanelCourt is Disputes {
    constructor(MarketConfig memory cfg) MarketStorage(cfg) {}

    /// @notice The hash of the parameters it was built with ({JobMarket} checks it is its own).
    function configHash() external view returns (bytes32) {
        return _configHash();
    }
}
