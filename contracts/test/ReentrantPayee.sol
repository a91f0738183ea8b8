// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IMarketTypes} from "../interfaces/IMarketTypes.sol";

/// @title ReentrantPayee
/// @notice A hostile artist for tests: when paid it tries to withdraw again (or simply refuses the
/// payment), and records what the market answered.
contract ReentrantPayee {
    IJobMarket public immutable market;
    bool public refusePayments;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor(IJobMarket market_) {
        market = market_;
    }

    function setRefusePayments(bool refuse) external {
        refusePayments = refuse;
    }

    function postJob(IMarketTypes.JobParams calldata params, string calldata cid) external payable returns (uint256) {
        return market.postJob{value: msg.value}(params, cid);
    }

    function cancelJob(uint256 jobId) external {
        market.cancelJob(jobId);
    }

    function withdraw() external {
        market.withdraw();
    }

    receive() external payable {
        if (refusePayments) revert("payee refuses");
        reentryAttempts += 1;
        try market.withdraw() {
            reentrySucceeded = true;
        } catch (bytes memory reason) {
            reentryError = reason;
        }
    }
}
