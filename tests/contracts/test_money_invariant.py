"""Stateful property test of the Money bar: under random sequences of post, bid, reveal, settle,
commit, attest, accept, dispute, vote, resolve, timeouts, cancel, reclaim, unstake and withdraw,
the market's ETH balance always equals everything it owes, and at the end every job can be driven
to a terminal state by permissionless actions and every balance withdrawn."""

import secrets
from collections import Counter

from brownie import chain
from brownie.exceptions import VirtualMachineError
from brownie.test import strategy
from helpers import (
    ACCEPTED,
    ASSIGNED,
    BIDDING,
    CANCELLED,
    CONTESTED,
    DISPUTE_BOND,
    DISPUTED,
    FAILED,
    MIN_STAKE,
    NONE,
    REVEALED,
    SUBMITTED,
    UNSTAKE_DELAY,
    Bid,
    commit_results,
)
from hypothesis import strategies as st

from tilefarm.chain.bids import rank_key

TERMINAL = {3, 4, 5}
DEBUG = bool(__import__("os").environ.get("DEBUG_MACHINE"))
# What the random sequences actually achieved (successful transactions by function), so that a
# machine that only ever reverts cannot pass unnoticed.
ACHIEVED: Counter[str] = Counter()
# Derandomised: the same sequences every run, so the coverage check below cannot flake.
SETTINGS = {"max_examples": 12, "stateful_step_count": 30, "derandomize": True}


def attempt(fn, *args):
    """Send a transaction that may legitimately revert in a random sequence, after a dry run (a
    reverted dry run is far cheaper than a mined revert); report whether it went through."""
    if hasattr(fn, "call"):
        try:
            fn.call(*args)
        except VirtualMachineError as exc:
            if DEBUG:
                print("REVERT", getattr(fn, "_name", fn), exc.revert_msg)
            return False
    try:
        fn(*args)
    except VirtualMachineError:
        return False  # plain helpers have no dry run
    ACHIEVED[getattr(fn, "_name", getattr(fn, "__name__", "?")).split(".")[-1]] += 1
    return True


class MoneyMachine:
    st_pick = strategy("uint8")
    st_price = strategy("uint256", min_value=1, max_value=1_000)
    st_tiles = strategy("uint8", min_value=1, max_value=8)
    st_bool = strategy("bool")
    # steps that land inside the bid, reveal, render, verify and dispute windows
    st_wait = st.sampled_from([60, 300, 650, 1_300, 2_000, 4_000])
    st_prices = strategy("uint16[4]", min_value=1, max_value=1_000)
    st_choices = strategy("uint8[4]")

    def __init__(cls, market, workers, artists, treasury):
        cls.market = market
        cls.workers = workers
        cls.artists = artists
        cls.treasury = treasury
        for w in workers:
            market.stake({"from": w, "value": 2 * MIN_STAKE})

    def setup(self):
        self.jobs = []  # job ids
        self.bids = {}  # (job, worker) -> Bid
        self.disputed = set()  # (job, worker) ever escalated

    # -- helpers

    def _job(self, pick):
        return self.jobs[pick % len(self.jobs)] if self.jobs else None

    def _worker(self, pick):
        return self.workers[pick % len(self.workers)]

    def _everyone(self):
        return [*self.workers, *self.artists, self.treasury]

    def owed(self):
        m = self.market
        total = 0
        for job_id in self.jobs:
            j = m.job(job_id)
            total += j["escrow"]
            if j["status"] in (BIDDING, CANCELLED):
                total += (j["commits"] - j["reveals"]) * j["bidBond"]
            for w in self.workers:
                if (job_id, w) in self.disputed:
                    total += m.dispute(job_id, w)["bond"]
        for who in self._everyone():
            a = m.account(who)
            total += a["stake"] + a["balance"] + a["unstaking"]
        return total

    # -- a running start: random sequences from an empty market rarely get past posting

    def initialize_market(self, tiles="st_tiles", prices="st_prices", extra="st_tiles"):
        """One job already assigned to random bids, a second one open for bids."""
        self.rule_post(0, tiles, 1_000)
        for i, price in enumerate(prices):
            self.rule_commit(0, i, price, 1 + (price % tiles))
        chain.sleep(601)
        chain.mine()
        for i in range(len(prices)):
            self.rule_reveal(0, i)
        chain.sleep(601)
        chain.mine()
        self._settle(self.jobs[0])
        self.rule_post(1, extra, 500)

    # -- rules

    def rule_post(self, artist="st_pick", tiles="st_tiles", price="st_price"):
        a = self.artists[artist % len(self.artists)]
        params = (tiles, 1, price * 10, 7, 1_000, 600, 600, 3_600, 1_800)
        deposit = self.market.quote(tiles, price * 10, 7)
        tx = self.market.postJob(params, "bafy", {"from": a, "value": deposit})
        self.jobs.append(tx.events["JobPosted"]["jobId"])

    def rule_commit(self, job="st_pick", who="st_pick", price="st_price", tiles="st_tiles"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        bid = Bid(w, price, tiles, secrets.token_bytes(32))
        if attempt(
            self.market.commitBid, job_id, bid.commitment(job_id), {"from": w, "value": 1_000}
        ):
            self.bids[(job_id, w)] = bid

    def rule_reveal(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        bid = self.bids.get((job_id, self._worker(who)))
        if bid:
            attempt(
                self.market.revealBid, job_id, bid.price, bid.tiles, bid.salt, {"from": bid.bidder}
            )

    def rule_drive(self, job="st_pick", choices="st_choices", phases="st_tiles"):
        """Moves one job through up to `phases` phases with random decisions per worker, checking
        the invariant after each; the other rules poke at single actions in between, this one
        makes sure short random runs still get deep into the protocol."""
        job_id = self._job(job)
        if job_id is None:
            return
        for phase in range(phases):
            rotated = [(c * (phase + 3) + phase) % 256 for c in choices]
            self._drive_once(job, job_id, rotated)
            self.invariant_balance_equals_everything_owed()

    def _drive_once(self, job, job_id, choices):
        m = self.market
        j = m.job(job_id)
        now = chain.time()
        if j["status"] == BIDDING:
            if now <= j["bidEnd"]:
                for i, c in enumerate(choices):
                    if c % 3:
                        self.rule_commit(job, i, 1 + c, 1 + c % 8)
                chain.sleep(j["bidEnd"] - now + 1)
            elif now <= j["revealEnd"]:
                for i, c in enumerate(choices):
                    if c % 4:
                        self.rule_reveal(job, i)
                chain.sleep(j["revealEnd"] - now + 1)
            else:
                self._settle(job_id)
            chain.mine()
            return
        chain.mine(3)
        for i, c in enumerate(choices):
            w = self._worker(i)
            state = m.seat(job_id, w)["state"]
            if state == ASSIGNED and c % 5:
                self.rule_commit_results(job, i)
            elif state == SUBMITTED:
                if c % 3 == 0:
                    self.rule_artist_accepts(job, i)
                else:
                    self.rule_attest(job, i, bool(c % 2))
            elif (state == FAILED and c % 2) or (state == ACCEPTED and c % 7 == 0):
                self.rule_dispute(job, i)
            elif state in (DISPUTED, CONTESTED):
                for k in range(3):
                    self.rule_vote(job, i, bool((c >> k) & 1))

    def rule_wait(self, seconds="st_wait"):
        chain.sleep(seconds)
        chain.mine()

    def rule_settle(self, job="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            self._settle(job_id)

    def rule_commit_results(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is not None and self.market.seat(job_id, self._worker(who))["state"] == ASSIGNED:
            attempt(commit_results, self.market, job_id, self._worker(who))

    def rule_attest(self, job="st_pick", who="st_pick", passed="st_bool"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        if self.market.seat(job_id, w)["state"] != SUBMITTED:
            return
        chain.mine(3)
        verifier = self.market.verifierOf(job_id, w)
        if int(verifier, 16) == 0:
            try:
                verifier = self.market.drawVerifier.call(job_id, w)
            except VirtualMachineError:
                return
        if int(verifier, 16) != 0:
            attempt(self.market.attest, job_id, w, passed, "bafy-ev", {"from": verifier})

    def rule_artist_accepts(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            artist = self.market.job(job_id)["artist"]
            attempt(self.market.acceptResults, job_id, self._worker(who), {"from": artist})

    def rule_dispute(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        state = self.market.seat(job_id, w)["state"]
        sender = w if state == FAILED else self.market.job(job_id)["artist"]
        if attempt(
            self.market.openDispute, job_id, w, "bafy-why", {"from": sender, "value": DISPUTE_BOND}
        ):
            self.disputed.add((job_id, w))

    def rule_vote(self, job="st_pick", who="st_pick", fraud="st_bool"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        if self.market.seat(job_id, w)["state"] not in (DISPUTED, CONTESTED):
            return
        chain.mine(3)
        attempt(self.market.drawPanel, job_id, w, {"from": w})
        d = self.market.dispute(job_id, w)
        for k, slot in enumerate((d["member0"], d["member1"], d["member2"])):
            if slot and not (d["votedMask"] >> k) & 1:
                attempt(
                    self.market.vote,
                    job_id,
                    w,
                    fraud,
                    "bafy-vote",
                    {"from": self.market.poolMember(slot)},
                )
                return

    def rule_permissionless_timeouts(self, job="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            for w in self.workers:
                self._move_on(job_id, w)

    def rule_cancel(self, job="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            attempt(self.market.cancelJob, job_id, {"from": self.market.job(job_id)["artist"]})

    def rule_reclaim(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            attempt(self.market.reclaimBond, job_id, {"from": self._worker(who)})

    def rule_unstake(self, who="st_pick", amount="st_price"):
        attempt(self.market.requestUnstake, amount * 10**12, {"from": self._worker(who)})

    def rule_withdraw(self, who="st_pick"):
        people = self._everyone()
        attempt(self.market.withdraw, {"from": people[who % len(people)]})

    # -- the invariant

    def invariant_balance_equals_everything_owed(self):
        assert self.market.balance() == self.owed()

    # -- the end: nothing can be stuck

    def teardown(self):
        m = self.market
        for _ in range(6):
            chain.sleep(10_000)
            chain.mine(3)
            for job_id in self.jobs:
                if m.job(job_id)["status"] == BIDDING:
                    self._settle(job_id)
                for w in self.workers:
                    self._move_on(job_id, w)
            assert m.balance() == self.owed()
        for job_id in self.jobs:
            assert m.job(job_id)["status"] in TERMINAL, f"job {job_id} is not terminal"
            assert m.job(job_id)["escrow"] == 0
        chain.sleep(UNSTAKE_DELAY + 1)
        chain.mine()
        for who in self._everyone():
            if m.balanceOf(who) > 0:
                m.withdraw({"from": who})
            if m.account(who)["unstaking"] > 0:
                m.withdrawStake({"from": who})
        stakes = sum(m.account(w)["stake"] for w in self._everyone())
        assert m.balance() == stakes == self.owed()

    def _move_on(self, job_id, w):
        """The permissionless action that moves `w`'s seat on, if its deadline has passed."""
        m = self.market
        state = m.seat(job_id, w)["state"]
        action = {
            ASSIGNED: m.claimLate,
            SUBMITTED: m.replaceVerifier,
            FAILED: m.finalizeRejection,
            DISPUTED: m.resolveDispute,
            CONTESTED: m.resolveDispute,
        }.get(state)
        if action is not None:
            attempt(action, job_id, w, {"from": self.treasury})
        elif state == NONE and m.job(job_id)["status"] == CANCELLED and (job_id, w) in self.bids:
            attempt(m.reclaimBond, job_id, {"from": w})

    def _settle(self, job_id):
        revealed = [
            (w, self.market.seat(job_id, w)["pricePerTile"])
            for w in self.workers
            if self.market.seat(job_id, w)["state"] == REVEALED
        ]
        order = [
            w
            for w, price in sorted(revealed, key=lambda wp: rank_key(job_id, wp[0].address, wp[1]))
        ]
        attempt(self.market.settle, job_id, order, {"from": self.treasury})


def test_the_market_always_holds_exactly_what_it_owes(state_machine, market, accounts):
    workers = [accounts[i] for i in (2, 3, 6, 7)]
    artists = [accounts[1], accounts[8]]
    ACHIEVED.clear()
    state_machine(MoneyMachine, market, workers, artists, accounts[5], settings=SETTINGS)
    print(dict(ACHIEVED))
    for step in ("commitBid", "revealBid", "settle", "commit_results", "attest", "withdraw"):
        assert ACHIEVED[step] > 0, f"no random sequence ever got {step} through"
