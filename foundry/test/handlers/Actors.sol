// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CommonBase} from "forge-std/Base.sol";

/// @title Actors
/// @notice Who takes part in the campaign, and how each role behaves when the market asks it for a
/// verdict or a panel vote. Every account that can ever hold money in the market is in `everyone`,
/// so the ledger checks can sum over it.
abstract contract Actors is CommonBase {
    enum Role {
        None,
        Artist, // posts jobs, accepts, contests
        Colluder, // a second artist, staked: passes the cheater's results, otherwise says anything
        Honest, // bids, renders well, tells the truth as verifier and panel member
        Cheater, // bids low, renders garbage, says anything as verifier and panel member
        Silent, // staked, never attests, never seals a panel vote
        Voter, // staked, never bids, tells the truth
        Spammer, // staked, floods jobs with bids at the maximum price, says anything
        Unstaked, // tries to bid without a stake
        Treasury,
        Keeper, // calls the permissionless closing actions and collects draw bounties
        Accuser, // staked, never bids: fails every result and votes fraud on every panel, honest work too
        Dropout, // staked, never bids: tells the truth as verifier; on a panel seals a vote, never reveals it
        Copycat // staked, never bids, says anything; on a panel seals a copy of another member's sealed vote
    }

    address[] internal everyone;
    address[] internal bidders;
    address[] internal stakers;
    address[] internal spammers;
    mapping(address who => Role) internal roleOf;
    /// @dev 1 + the actor's index in `everyone`; 0 for an address outside the campaign.
    mapping(address who => uint256) internal slotOf;

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
        stakers.push(_actor("accuser", Role.Accuser));
        stakers.push(_actor("dropout", Role.Dropout));
        stakers.push(_actor("copycat", Role.Copycat));
    }

    function _actor(string memory name, Role role) private returns (address who) {
        who = vm.addr(uint256(keccak256(abi.encode("tilefarm.actor", name))));
        vm.label(who, name);
        vm.deal(who, 1_000_000 ether);
        roleOf[who] = role;
        everyone.push(who);
        slotOf[who] = everyone.length;
    }

    /// @dev Whether `who` answers when asked about `worker`'s results, and whether it says they pass.
    function _verdict(address who, address worker, uint256 seed) internal view returns (bool speaks, bool passes) {
        Role role = roleOf[who];
        if (role == Role.Honest || role == Role.Voter || role == Role.Dropout) return (true, worker != cheater);
        if (role == Role.Colluder) return (true, worker == cheater || seed % 2 == 0);
        if (role == Role.Cheater || role == Role.Spammer || role == Role.Copycat) return (true, seed % 2 == 0);
        if (role == Role.Accuser) return (true, false);
        return (false, false);
    }

    /// @dev Whether `who` re-renders the seed's patches before it seals its evidence. The lazy roles
    /// seal evidence they never rendered, which no pass of real tiles agrees with.
    function _renders(address who) internal view returns (bool) {
        Role role = roleOf[who];
        return role == Role.Honest || role == Role.Voter || role == Role.Dropout;
    }

    /// @dev How `who` sits on a panel judging a challenged pass: its vote "fraud" says the pass
    /// contradicts the verifier's sealed evidence, which truthful members recompute
    /// (`contradicted`); the colluder shields the cheater's pass, the accuser always says
    /// "contradicted", the random roles say anything.
    function _challengeConduct(address who, address worker, bool contradicted, uint256 seed)
        internal
        view
        returns (bool commits, bool reveals, bool fraud)
    {
        Role role = roleOf[who];
        if (role == Role.Silent || role == Role.None) return (false, false, false);
        if (role == Role.Accuser) return (true, true, true);
        if (role == Role.Honest || role == Role.Voter) return (true, true, contradicted);
        if (role == Role.Dropout) return (true, false, contradicted);
        if (role == Role.Colluder && worker == cheater) return (true, true, false);
        return (true, true, seed % 2 == 0);
    }

    /// @dev How `who` sits on a panel judging `worker`'s results: whether it seals a vote, whether
    /// it reveals it once reveals open, and the vote (`fraud`). Members vote as they would attest;
    /// a silent member never seals, a dropout seals the truth and walks away, an accuser always
    /// votes fraud. A copycat seals like a cheater, or copies another member's seal (the dispute
    /// steps decide that, as it depends on what the others sealed).
    function _panelConduct(address who, address worker, uint256 seed)
        internal
        view
        returns (bool commits, bool reveals, bool fraud)
    {
        Role role = roleOf[who];
        if (role == Role.Accuser) return (true, true, true);
        (bool speaks, bool passes) = _verdict(who, worker, seed);
        if (role == Role.Dropout) return (true, false, !passes);
        return (speaks, speaks, !passes);
    }
}
