// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IWorkerRegistry} from "./IWorkerRegistry.sol";
import {IJobEscrow} from "./IJobEscrow.sol";
import {ISealedBidding} from "./ISealedBidding.sol";
import {IResultVerification} from "./IResultVerification.sol";
import {IDisputes} from "./IDisputes.sol";
import {IReoffering} from "./IReoffering.sol";

/// @title IJobMarket
/// @notice The whole tilefarm protocol as one deployed contract: staking, escrow, sealed bidding,
/// result verification and disputes. They share one contract so that a worker's stake, reputation
/// and pull-payment balance sit in one storage word: crediting a worker then costs a warm update
/// instead of a fresh slot and a cross-contract call, which keeps a 256-tile, 8-worker job under
/// 2.5 M gas in total.
interface IJobMarket is IWorkerRegistry, ISealedBidding, IJobEscrow, IResultVerification, IDisputes, IReoffering {}
