// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IHealthCheck
/// @notice A tiny deployed beacon the devnet calls to prove the chain runs tilefarm's own build.
interface IHealthCheck {
    /// @notice Emitted when someone records a heartbeat.
    /// @param sender who sent it
    /// @param count the number of heartbeats so far, this one included
    event Pinged(address indexed sender, uint256 count);

    /// @notice The protocol version string baked in at deployment.
    function protocolVersion() external view returns (string memory);

    /// @notice How many heartbeats were recorded.
    function pings() external view returns (uint256);

    /// @notice Records a heartbeat and emits {Pinged}.
    /// @return count the number of heartbeats so far
    function ping() external returns (uint256 count);
}
