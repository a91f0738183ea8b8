// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CommonBase} from "forge-std/Base.sol";

/// @title Actors
/// @notice Who takes part in the campaign, and how each role behaves when the market asks it for a
/// verdict. Every account that can ever hold money in the market is in `everyone`, so the ledger
/// checks can sum over it.
abstract contract Actors is CommonBase {
    enum Role {
        None,
        Artist, // posts jobs, accepts, contests
        Colluder, // a second artist, staked: passes the cheater's results, otherwise says anything
        Honest, // bids, renders well, tells the truth as verifier and panel member
        Cheater, // bids low, renders garbage, says anything as verifier and panel member
        Silent, // staked, never attests or votes
        Voter, // staked, never bids, tells the truth
        Spammer, // staked, floods jobs with bids at the maximum price, says anything
        Unstaked, // tries to bid without a stake
        Treasury,
        Keeper // calls the permissionless closing actions and collects draw bounties
    }

    address[] internal everyone;
    address[] internal bidders;
    address[] internal stakers;
    address[] internal spammers;
    mapping(address who => Role) internal roleOf;

    address internal artist;
    address internal colluder;
    address internal cheater;
    address internal treasury;
    address internal keeper;

    function _createActors() internal {
        artist = _actor("artist", Role.Artist);
        colluder = _actor("colluder", Role.Colluder);
        cheater = _actor("cheater", Role.Cheater);
        treasury = _actor("treasury", Role.Treasury);
        keeper = _actor("keeper", Role.Keeper);
        bidders.push(colluder);
        bidders.push(cheater);
        stakers.push(colluder);
        stakers.push(cheater);
        for (uint256 i; i < 3; ++i) {
            address w = _actor(string.concat("worker", vm.toString(i)), Role.Honest);
            bidders.push(w);
            stakers.push(w);
        }
        for (uint256 i; i < 2; ++i) {
            stakers.push(_actor(string.concat("silent", vm.toString(i)), Role.Silent));
            stakers.push(_actor(string.concat("voter", vm.toString(i)), Role.Voter));
            bidders.push(_actor(string.concat("unstaked", vm.toString(i)), Role.Unstaked));
        }
        for (uint256 i; i < 3; ++i) {
            address s = _actor(string.concat("spammer", vm.toString(i)), Role.Spammer);
            bidders.push(s);
            stakers.push(s);
            spammers.push(s);
        }
    }

    function _actor(string memory name, Role role) private returns (address who) {
        who = vm.addr(uint256(keccak256(abi.encode("tilefarm.actor", name))));
        vm.label(who, name);
        vm.deal(who, 1_000_000 ether);
        roleOf[who] = role;
        everyone.push(who);
    }

    /// @dev Whether `who` answers when asked about `worker`'s results, and whether it says they pass.
    function _verdict(address who, address worker, uint256 seed) internal view returns (bool speaks, bool passes) {
        Role role = roleOf[who];
        if (role == Role.Honest || role == Role.Voter) return (true, worker != cheater);
        if (role == Role.Colluder) return (true, worker == cheater || seed % 2 == 0);
        if (role == Role.Cheater || role == Role.Spammer) return (true, seed % 2 == 0);
        return (false, false);
    }
}
