// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMarketTypes} from "contracts/interfaces/IMarketTypes.sol";
import {RoundRules} from "./RoundRules.sol";

/// @title Books
/// @notice Everything the market owes, read through its views: the terms of the solvency
/// invariant, and each actor's position for the per-party one; and the sweep of every posted job's
/// tiles, counts and money ({RoundRules}) for the rounds' invariants.
abstract contract Books is RoundRules {
    /// @notice Wei the market holds for `who`: its ledger balance, its stake (locked collateral is
    /// part of it) and what it is unstaking.
    function heldFor(address who) public view returns (uint256) {
        IMarketTypes.Account memory a = market.account(who);
        return uint256(a.balance) + a.stake + a.unstaking;
    }

    /// @notice Wei the market holds for job `jobId`: its escrow (a round's is always zero: its posted
    /// job holds the money of all its rounds), and while bids are sealed (or the job was cancelled)
    /// the bonds of the bids not revealed or reclaimed, which are kept apart (a round's included).
    function heldForJob(uint256 jobId) public view returns (uint256 held) {
        IMarketTypes.Job memory j = market.job(jobId);
        held = j.escrow;
        if (j.status == IMarketTypes.JobStatus.Bidding || j.status == IMarketTypes.JobStatus.Cancelled) {
            held += uint256(j.commits - j.reveals) * j.bidBond;
        }
    }

    /// @notice Every dispute bond not yet paid out.
    function heldInDisputes() public view returns (uint256 held) {
        for (uint256 i; i < disputed.length; ++i) {
            held += market.dispute(disputed[i].jobId, disputed[i].worker).bond;
        }
    }

    /// @notice The first fault a sweep of every posted job and its rounds finds, by kind (empty:
    /// none): a tile held twice or nowhere; seat or round counts off the records; escrow, reserve or
    /// fees off the books, a reserve above its escrow, or a round holding escrow.
    function roundFaults() external view returns (string memory tiles, string memory counts, string memory money) {
        for (uint256 i; i < postedJobs.length; ++i) {
            Faults memory f = _sweep(postedJobs[i]);
            if (bytes(tiles).length == 0) tiles = f.tiles;
            if (bytes(counts).length == 0) counts = f.counts;
            if (bytes(money).length == 0) money = f.money;
        }
    }

    /// @notice The sum of everything the market owes.
    function marketOwes() public view returns (uint256 total) {
        for (uint256 i; i < everyone.length; ++i) {
            total += heldFor(everyone[i]);
        }
        uint256 jobs = market.jobCount();
        for (uint256 id = 1; id <= jobs; ++id) {
            total += heldForJob(id);
        }
        total += heldInDisputes();
    }

    /// @notice One actor's books: what it holds in the market plus what it took out (`position`),
    /// against what it put in and what the rules owe it.
    struct Party {
        address who;
        uint256 position;
        uint256 sentIn;
        uint256 owed;
        uint256 stakedIn;
        uint256 withdrawnStake;
    }

    /// @notice Every actor's books, in one call.
    function parties() external view returns (Party[] memory list) {
        list = new Party[](everyone.length);
        for (uint256 i; i < everyone.length; ++i) {
            address who = everyone[i];
            list[i] = Party(who, heldFor(who) + takenOut[who], sentIn[who], owed[who], stakedIn[who], withdrawnStake[who]);
        }
    }

    /// @notice Seats the market shows as accepted, contested, challenged or paid with no accepting
    /// verdict on record (an upheld challenge voids the pass it overturned).
    function seatsAcceptedWithoutVerdict() external view returns (uint256 count) {
        uint256 mask = _bit(IMarketTypes.SeatState.Accepted) | _bit(IMarketTypes.SeatState.Contested)
            | _bit(IMarketTypes.SeatState.Challenged) | _bit(IMarketTypes.SeatState.Paid);
        for (uint256 i; i < seats.length; ++i) {
            SeatRef memory r = seats[i];
            if (_isSeatIn(market.seat(r.jobId, r.worker).state, mask) && verdictPath[r.jobId][r.worker] == Path.None) {
                ++count;
            }
        }
    }

    /// @notice The most payments any one seat received.
    function mostPaymentsToOneSeat() external view returns (uint256 most) {
        for (uint256 i; i < seats.length; ++i) {
            uint256 n = payments[seats[i].jobId][seats[i].worker];
            if (n > most) most = n;
        }
    }
}
