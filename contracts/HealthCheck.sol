// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IHealthCheck} from "./interfaces/IHealthCheck.sol";

/// @title HealthCheck
/// @notice See {IHealthCheck}.
contract HealthCheck is IHealthCheck {
    string private _version;
    uint256 public override pings;

    constructor(string memory version_) {
        _version = version_;
    }

    /// @inheritdoc IHealthCheck
    function protocolVersion() external view override returns (string memory) {
        return _version;
    }

    /// @inheritdoc IHealthCheck
    function ping() external override returns (uint256 count) {
        count = ++pings;
        emit Pinged(msg.sender, count);
    }
}
