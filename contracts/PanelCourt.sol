// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketStorage} from "./market/MarketStorage.sol";
import {Disputes} from "./market/Disputes.sol";

/// @title PanelCourt
/// @notice The dispute rules ({Disputes}) as a contract of their own, so that the market fits the
/// 24,576-byte code limit. {JobMarket} creates it in its constructor, with the same parameters, and
/// runs its functions by delegate call on the market's own storage, balance and events. Called
/// directly, it only ever acts on its own empty storage and holds no ETH.
contract PanelCourt is Disputes {
    constructor(MarketConfig memory cfg) MarketStorage(cfg) {}
}
