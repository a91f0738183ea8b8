// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketStorage} from "./market/MarketStorage.sol";
import {WorkerRegistry} from "./market/WorkerRegistry.sol";
import {SealedBidding} from "./market/SealedBidding.sol";
import {Disputes} from "./market/Disputes.sol";

/// @title JobMarket
/// @notice tilefarm's protocol: see {IJobMarket}. Each concern lives in its own module under
/// `market/`; this contract only puts them together and fixes the deployment parameters.
contract JobMarket is WorkerRegistry, SealedBidding, Disputes {
    constructor(MarketConfig memory cfg) MarketStorage(cfg) {}
}
