"""Stateful property test of the Money bar: under random sequences of post, bid, reveal, forfeit of
unrevealed bids, settle, re-offer rounds (open, top up, end), commit, draw (for a bounty), seal the
evidence, reveal the results (or hide them), attest, accept, release, dispute (appeal, contest, or
a third party's challenge of a pass), sealed votes (commit, then reveal), resolve, timeouts,
cancel, reclaim, stake, unstake and withdraw, the market's ETH balance always equals everything it
owes, locked stake is exactly the collateral of open bids and seats plus the commit locks of sealed
bids (their tiles at the job's maximum price), and no tile of a job is ever held by two seats, or
by a seat and the job's unsold tiles, across its rounds; at the end every job can be driven to a
terminal state by permissionless actions, every sealed bid is forfeited or reclaimed, no stake
stays locked, no verifier or panel duty stays open, and every balance and stake can be withdrawn."""

import os
import secrets
from collections import Counter

from brownie import chain
from brownie.test import strategy
from direct_rpc import Views, mine_blocks, rpc
from helpers import (
    ACCEPTED,
    ACTIVE,
    ASSIGNED,
    BIDDING,
    CANCELLED,
    CHALLENGED,
    CONTESTED,
    DISPUTE_BOND,
    DISPUTED,
    FAILED,
    FORFEITED,
    MIN_STAKE,
    NONE,
    OPENED,
    PAID,
    REVEALED,
    SEALED,
    SUBMITTED,
    UNSTAKE_DELAY,
    VERIFY_WINDOW,
    Bid,
    Vote,
    collateral,
    commit_lock,
    evidence_seal,
    expire_anchors,
    ranking,
    tile_leaves,
)
from hypothesis import strategies as st

from tilefarm.adapters.chain.events import unpack_ranges
from tilefarm.merkle import merkle_root

TERMINAL = {3, 4, 5}
# Seats whose collateral is locked: a revealed bid still in the running, or an unresolved seat.
LOCKING = {REVEALED, ASSIGNED, SUBMITTED, SEALED, OPENED, ACCEPTED, FAILED, DISPUTED, CONTESTED,
           CHALLENGED}  # fmt: skip
# Seats under a panel: the worker's appeal, the artist's contest, a third party's challenge.
UNDER_PANEL = (DISPUTED, CONTESTED, CHALLENGED)
# Seats that hold their tiles: assigned and not failed (paid included).
HOLDING = (LOCKING - {REVEALED}) | {PAID}
DEBUG = bool(os.environ.get("DEBUG_MACHINE"))
# What the random sequences actually achieved (successful transactions by function), so that a
# machine that only ever reverts cannot pass unnoticed.
ACHIEVED: Counter[str] = Counter()
# Derandomised: the same rule sequences every run, so the coverage check below cannot flake
# (who is drawn still follows block hashes). MONEY_EXAMPLES=n runs n random examples instead.
SETTINGS = {"max_examples": 50, "stateful_step_count": 30, "derandomize": True}
if os.environ.get("MONEY_EXAMPLES"):
    SETTINGS.update(max_examples=int(os.environ["MONEY_EXAMPLES"]), derandomize=False)
# Enough for any market call; fixed, so that sending skips the gas estimate.
GAS = hex(3_000_000)


def attempt(fn, *args):
    """Send a market transaction that may legitimately revert in a random sequence; report whether
    it went through. A dry run first (a reverted dry run is far cheaper than a mined revert), then
    the transaction, both straight to the node (`helpers.rpc`): Brownie's own path costs ten
    requests per transaction, and this test sends thousands."""
    *call_args, tx = args
    request = {
        "from": str(tx["from"]),
        "to": fn._address,
        "data": fn.encode_input(*call_args),
        "value": hex(tx.get("value", 0)),
    }
    dry_run = rpc("eth_call", request, "latest")
    if "error" in dry_run:
        if DEBUG:
            print("REVERT", fn._name, dry_run["error"].get("data"))
        return False
    sent = rpc("eth_sendTransaction", {**request, "gas": GAS})
    if "error" in sent:
        return False
    receipt = None
    while receipt is None:  # anvil mines each transaction at once, but answers just before
        receipt = rpc("eth_getTransactionReceipt", sent["result"])["result"]
    if int(receipt["status"], 16) != 1:
        return False
    ACHIEVED[fn._name.split(".")[-1]] += 1
    return True


class MoneyMachine:
    st_pick = strategy("uint8")
    st_price = strategy("uint256", min_value=1, max_value=1_000)
    st_tiles = strategy("uint8", min_value=1, max_value=8)
    # enough phases to take a job from bidding through a verdict to its release
    st_phases = strategy("uint8", min_value=4, max_value=10)
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
        cls.view = Views(market)  # every step reads the whole market: fast reads
        for w in workers:
            market.stake({"from": w, "value": 2 * MIN_STAKE})

    def setup(self):
        self.jobs = []  # job ids
        self.bids = {}  # (job, worker) -> Bid
        self.declared = {}  # (job, worker) -> the tile count its commit declared
        # worker -> its bids forfeited (each a slash of its own)
        self.forfeits: Counter[object] = Counter()
        self.forfeited_jobs = set()  # jobs with a forfeited bid: never cancelled (rule_cancel)
        self.disputed = set()  # (job, worker) ever escalated
        self.votes = {}  # (job, worker, member) -> the member's sealed Vote
        self.evidence = {}  # (job, worker, round) -> the evidence CID its verifier sealed
        self.rounds = {}  # posted job -> the ids of its re-offer rounds

    # -- helpers

    def _job(self, pick):
        return self.jobs[pick % len(self.jobs)] if self.jobs else None

    def _worker(self, pick):
        return self.workers[pick % len(self.workers)]

    def _everyone(self):
        return [*self.workers, *self.artists, self.treasury]

    def owed(self):
        v = self.view
        total = 0
        for job_id in self.jobs:
            j = v.job(job_id)
            total += j["escrow"]
            if j["status"] in (BIDDING, CANCELLED):
                total += (j["commits"] - j["reveals"]) * j["bidBond"]
            for w in self.workers:
                if (job_id, w) in self.disputed:
                    total += v.dispute(job_id, w)["bond"]
        for who in self._everyone():
            a = v.account(who)
            # Locked collateral is part of the stake, so it is not counted twice.
            assert a["locked"] <= a["stake"], f"{who} has more locked than staked"
            total += a["stake"] + a["balance"] + a["unstaking"]
        return total

    def check_locked(self):
        """Each worker's locked stake is the collateral of its open bids and seats plus the commit
        locks of its sealed bids (less only where a slash other than a forfeit took locked stake:
        a forfeit unlocks its own lock before it slashes), and no one else has any locked."""
        v = self.view
        for w in self.workers:
            expected = 0
            for job_id in self.jobs:
                s = v.seat(job_id, w)
                if s["state"] in LOCKING:
                    expected += collateral(s["tileCount"], s["pricePerTile"])
                elif s["state"] == NONE and any(s["hash"]):
                    # A sealed bid: the seat keeps the declared count in the hash's low 16 bits.
                    declared = int.from_bytes(bytes(s["hash"]), "big") & 0xFFFF
                    assert declared == self.declared[(job_id, w)]
                    expected += commit_lock(declared, v.job(job_id)["maxPricePerTile"])
            a = v.account(w)
            if a["slashes"] == self.forfeits[w]:
                assert a["locked"] == expected, f"{w} locks {a['locked']}, owes {expected}"
            else:
                assert a["locked"] <= expected

    # -- a running start: random sequences from an empty market rarely get past posting

    def initialize_market(self, tiles="st_tiles", prices="st_prices", extra="st_tiles"):
        """One job already assigned to random bids, most of its winners' results committed, some
        of them drawn and some with a verdict; a second job open for bids."""
        self.rule_post(0, tiles, 1_000)
        for i, price in enumerate(prices):
            self.rule_commit(0, i, price, 1 + (price % tiles))
        chain.sleep(601)
        mine_blocks(1)
        for i in range(len(prices)):
            self.rule_reveal(0, i)
        chain.sleep(601)
        mine_blocks(1)
        self._settle(self.jobs[0])
        for i, price in enumerate(prices):
            if price % 3:  # the others are late
                self.rule_commit_results(0, i)
        for i, price in enumerate(prices):
            if price % 5 == 1:
                self.rule_draw(0, i, price)  # drawn; the verifier has not spoken yet
            elif price % 5 in (2, 3):
                self.rule_attest(0, i, price % 5 == 2, price)
            elif price % 5 == 4 and price % 2:
                self.rule_seal(0, i, price)  # sealed; the worker has not revealed yet
        self.rule_post(1, extra, 500)

    # -- rules

    def rule_post(self, artist="st_pick", tiles="st_tiles", price="st_price"):
        """Posts a job; three in four may re-offer their tiles in up to three more rounds."""
        a = self.artists[artist % len(self.artists)]
        rounds = price // 7 % 4  # the running start's jobs (prices 1000 and 500) have rounds
        deadline = chain.time() + 30_000 if rounds else 0
        params = (tiles, 1, price * 10, 7, 1_000, 600, 600, 3_600, 1_800, rounds, deadline)
        deposit = self.view.quote(tiles, price * 10, 7)
        assert attempt(self.market.postJob, params, "bafy", {"from": a, "value": deposit})
        self.jobs.append(self.view.jobCount())
        self.rounds[self.view.jobCount()] = []

    def _posted(self, pick):
        posted = list(self.rounds)
        return posted[pick % len(posted)] if posted else None

    def rule_reoffer(self, job="st_pick", who="st_pick"):
        """Anyone opens a job's next round over its unsold tiles (for a bounty)."""
        v = self.view
        waiting = [j for j in self.rounds if v.job(j)["status"] == ACTIVE and v.unsoldTiles(j)]
        job_id = waiting[job % len(waiting)] if waiting else self._posted(job)
        if job_id is not None and attempt(
            self.market.reoffer, job_id, {"from": self._everyone()[who % 7]}
        ):
            round_id = self.view.job(job_id)["latest"]
            self.jobs.append(round_id)
            self.rounds[job_id].append(round_id)

    def rule_top_up(self, job="st_pick", price="st_price"):
        job_id = self._posted(job)
        if job_id is not None:
            j, o = self.view.job(job_id), self.view.reofferOf(job_id)
            raised = o["maxPricePerTile"] + price
            attempt(self.market.topUp, job_id, raised, {"from": j["artist"], "value": price * 50})

    def rule_end_reoffering(self, job="st_pick", who="st_pick"):
        job_id = self._posted(job)
        if job_id is not None:
            # Mostly someone other than the artist, who may end it only once it is over anyway.
            sender = self.view.job(job_id)["artist"] if who % 6 == 0 else self._worker(who)
            attempt(self.market.endReoffering, job_id, {"from": sender})

    def rule_commit(self, job="st_pick", who="st_pick", price="st_price", tiles="st_tiles"):
        """Commits a bid; one in eleven declares a tile count other than the one it hashes (it
        locks that count's collateral and can never be revealed)."""
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        bid = Bid(w, price, tiles, secrets.token_bytes(32))
        declared = tiles + 1 if price % 11 == 0 else tiles
        commitment = bid.commitment(job_id)
        if attempt(
            self.market.commitBid, job_id, commitment, declared, {"from": w, "value": 1_000}
        ):
            self.bids[(job_id, w)] = bid
            self.declared[(job_id, w)] = declared

    def rule_reveal(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        bid = self.bids.get((job_id, self._worker(who)))
        if bid:
            attempt(
                self.market.revealBid, job_id, bid.price, bid.tiles, bid.salt, {"from": bid.bidder}
            )

    def _forfeit(self, job_id, w, sender):
        """Anyone forfeits a sealed bid once the reveal window is over: checked to the wei."""
        v = self.view
        a = v.account(w)
        stake = a["stake"]
        artist = v.job(job_id)["artist"]
        credited = v.balanceOf(artist)
        lock = commit_lock(self.declared.get((job_id, w), 0), v.job(job_id)["maxPricePerTile"])
        if not attempt(self.market.forfeitBid, job_id, w, {"from": sender}):
            return
        self.forfeits[w] += 1
        self.forfeited_jobs.add(job_id)
        after = v.account(w)
        taken = min(lock, stake + a["unstaking"])
        assert v.seat(job_id, w)["state"] == FORFEITED
        assert after["locked"] == max(a["locked"] - lock, 0)
        assert stake + a["unstaking"] - after["stake"] - after["unstaking"] == taken
        assert v.balanceOf(artist) - credited == taken

    def rule_drive(self, job="st_pick", choices="st_choices", phases="st_phases"):
        """Moves one job through up to `phases` phases with random decisions per worker, checking
        the invariant after each; the other rules poke at single actions in between, this one
        makes sure short random runs still get deep into the protocol."""
        v = self.view
        running = [i for i, j in enumerate(self.jobs) if v.job(j)["status"] in (BIDDING, ACTIVE)]
        if not running:
            return
        job = running[job % len(running)]
        job_id = self.jobs[job]
        for phase in range(phases):
            rotated = [(c * (phase + 3) + phase) % 256 for c in choices]
            self._drive_once(job, job_id, rotated)
            self.invariant_balance_equals_everything_owed()
        self.check_locked()

    def _drive_once(self, job, job_id, choices):
        v = self.view
        j = v.job(job_id)
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
                people = self._everyone()
                for i, c in enumerate(choices):  # some sealed bids are forfeited before settling
                    if c % 5 == 0:
                        self._forfeit(job_id, self._worker(i), people[c % len(people)])
                self._settle(job_id)
            mine_blocks(1)
            return
        mine_blocks(3)
        for i, c in enumerate(choices):
            w = self._worker(i)
            state = v.seat(job_id, w)["state"]
            if state == ASSIGNED and c % 5:
                self.rule_commit_results(job, i)
            elif state == SUBMITTED and c % 4:
                if c % 3 == 0:
                    self.rule_artist_accepts(job, i)
                elif c % 5 == 0:
                    self.rule_seal(job, i, c)  # the worker reveals (or hides) in a later phase
                else:
                    self.rule_attest(job, i, bool(c % 2), c)
            elif state == SEALED and c % 6:  # else the worker hides its results
                self.rule_reveal_results(job, i)
            elif state == OPENED and c % 5:  # else the verifier stays silent after the reveal
                self.rule_attest(job, i, bool(c % 2), c)
            elif (state == FAILED and c % 2) or (state == ACCEPTED and c % 7 == 0):
                self.rule_dispute(job, i)
            elif state == ACCEPTED and c % 5 == 1:
                self.rule_challenge(job, i, c)
            elif state == ACCEPTED and c % 3 == 0:
                self.rule_artist_accepts(job, i)  # waives the contest window
            elif state in UNDER_PANEL and c % 4:
                for k in range(c % 7):  # some members seal, reveal or stay silent
                    self.rule_vote(job, i, bool((c >> k) & 1))
            else:  # left to whoever moves it on: draw, release, reject, replace, resolve
                self._move_on(job_id, w)
        if choices[0] % 3 == 0:
            chain.sleep(VERIFY_WINDOW + 1)  # a window closes before the next phase

    def rule_wait(self, seconds="st_wait"):
        chain.sleep(seconds)
        mine_blocks(1)

    def rule_settle(self, job="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            self._settle(job_id)

    def rule_commit_results(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        seat = self.view.seat(job_id, w)
        if seat["state"] == ASSIGNED:
            root = merkle_root(tile_leaves(seat["firstTile"], seat["tileCount"]))
            attempt(self.market.commitResults, job_id, root, {"from": w})

    def rule_draw(self, job="st_pick", who="st_pick", drawer="st_pick"):
        """Anyone draws a committed seat's verifier and earns the bounty (or lapses the seat)."""
        job_id = self._job(job)
        if job_id is None:
            return
        mine_blocks(3)
        w = self._worker(who)
        seat = self.view.seat(job_id, w)
        if seat["state"] == SUBMITTED and seat["verifierId"] == 0:
            people = self._everyone()
            attempt(self.market.drawVerifier, job_id, w, {"from": people[drawer % len(people)]})

    def rule_seal(self, job="st_pick", who="st_pick", drawer="st_pick"):
        """A committed seat's verifier is drawn (if nobody drew yet) and seals its evidence."""
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        if self.view.seat(job_id, w)["state"] != SUBMITTED:
            return
        self.rule_draw(job, who, drawer)
        seat = self.view.seat(job_id, w)
        if seat["state"] != SUBMITTED or seat["verifierId"] == 0:
            return
        verifier = self.view.accountById(seat["verifierId"])
        cid = f"bafy-ev-{job_id}-{seat['round']}-{drawer}"
        seal = evidence_seal(job_id, w, verifier, cid)
        if attempt(self.market.sealEvidence, job_id, w, seal, {"from": verifier}):
            self.evidence[(job_id, w, seat["round"])] = cid

    def rule_reveal_results(self, job="st_pick", who="st_pick"):
        """The worker reveals its results once its verifier sealed (a worker that never does is
        rejected as a fraud once the window closes)."""
        job_id = self._job(job)
        if job_id is not None:
            w = self._worker(who)
            attempt(self.market.revealResults, job_id, "bafy-results", {"from": w})

    def rule_attest(self, job="st_pick", who="st_pick", passed="st_bool", drawer="st_pick"):
        """Takes the seat through what is left of draw, seal and reveal, then the verifier attests
        with the evidence it sealed; one attestation in seven names other evidence (refused)."""
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        if self.view.seat(job_id, w)["state"] == SUBMITTED:
            self.rule_seal(job, who, drawer)
        if self.view.seat(job_id, w)["state"] == SEALED:
            self.rule_reveal_results(job, who)
        seat = self.view.seat(job_id, w)
        if seat["state"] != OPENED:
            return
        verifier = self.view.accountById(seat["verifierId"])
        sealed = self.evidence.get((job_id, w, seat["round"]), "")
        cid = sealed if drawer % 7 else sealed + "-other"
        if attempt(self.market.attest, job_id, w, passed, cid, {"from": verifier}):
            assert cid == sealed, "an attestation named other evidence than the sealed one"

    def rule_release(self, job="st_pick", who="st_pick", sender="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            people = self._everyone()
            attempt(
                self.market.release,
                job_id,
                self._worker(who),
                {"from": people[sender % len(people)]},
            )

    def rule_artist_accepts(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            artist = self.view.job(job_id)["artist"]
            attempt(self.market.acceptResults, job_id, self._worker(who), {"from": artist})

    def rule_dispute(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        state = self.view.seat(job_id, w)["state"]
        sender = w if state == FAILED else self.view.job(job_id)["artist"]
        if attempt(
            self.market.openDispute, job_id, w, "bafy-why", {"from": sender, "value": DISPUTE_BOND}
        ):
            self.disputed.add((job_id, w))

    def rule_challenge(self, job="st_pick", who="st_pick", challenger="st_pick"):
        """Anyone but the seat's verifier (and the artist, whose dispute is a contest) challenges an
        accepted seat's pass with the dispute bond; the verifier itself is refused."""
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        seat = self.view.seat(job_id, w)
        if seat["state"] != ACCEPTED:
            return
        verifier = self.view.accountById(seat["verifierId"])
        artist = self.view.job(job_id)["artist"]
        people = [p for p in self._everyone() if p.address != artist]
        sender = people[challenger % len(people)]
        if attempt(
            self.market.openDispute, job_id, w, "bafy-why", {"from": sender, "value": DISPUTE_BOND}
        ):
            assert sender.address != verifier, "a verifier challenged its own pass"
            assert self.view.seat(job_id, w)["state"] == CHALLENGED
            self.disputed.add((job_id, w))
            ACHIEVED["challenge"] += 1

    def rule_vote(self, job="st_pick", who="st_pick", fraud="st_bool"):
        """The next panel member seals a `fraud` vote; once every member sealed (or the commit
        window closed), the next one that sealed reveals its own."""
        job_id = self._job(job)
        if job_id is None:
            return
        w = self._worker(who)
        if self.view.seat(job_id, w)["state"] not in UNDER_PANEL:
            return
        mine_blocks(3)
        attempt(self.market.drawPanel, job_id, w, {"from": w})
        d = self.view.dispute(job_id, w)
        members = [
            (k, self.view.accountById(m))
            for k, m in enumerate((d["member0"], d["member1"], d["member2"]))
            if m
        ]
        for k, member in members:
            if not (d["committedMask"] >> k) & 1:
                v = Vote(job_id, w, member, fraud, evidence=f"bafy-vote-{k}")
                if attempt(self.market.commitVote, job_id, w, v.commitment(), {"from": member}):
                    self.votes[(job_id, w, member)] = v
                    return
                break  # the commit window closed: the members that sealed may reveal
        for k, member in members:
            v = self.votes.get((job_id, w, member))
            if v and not (d["votedMask"] >> k) & 1:
                attempt(
                    self.market.revealVote,
                    job_id,
                    w,
                    v.fraud,
                    v.salt,
                    v.evidence,  # the sealed evidence CID: any other fails VoteMismatch
                    {"from": member},
                )
                return

    def rule_permissionless_timeouts(self, job="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            for w in self.workers:
                self._move_on(job_id, w)

    def rule_cancel(self, job="st_pick"):
        """The artist tries to cancel, at any time. It goes through only during the bid window,
        hence never on a job with a forfeited bid (forfeits come after the reveal window): no
        forfeited bid's bond is ever left for nobody to claim."""
        job_id = self._job(job)
        if job_id is None:
            return
        j = self.view.job(job_id)
        if attempt(self.market.cancelJob, job_id, {"from": j["artist"]}):
            mined = int(rpc("eth_getBlockByNumber", "latest", False)["result"]["timestamp"], 16)
            assert mined <= j["bidEnd"], f"job {job_id} cancelled after its bid window"
            assert job_id not in self.forfeited_jobs, f"job {job_id} cancelled after a forfeit"

    def rule_reclaim(self, job="st_pick", who="st_pick"):
        job_id = self._job(job)
        if job_id is not None:
            attempt(self.market.reclaimBond, job_id, {"from": self._worker(who)})

    def rule_unstake(self, who="st_pick", amount="st_price"):
        attempt(self.market.requestUnstake, amount * 10**12, {"from": self._worker(who)})

    def rule_unstake_everything_free(self, who="st_pick"):
        """A worker takes out all it may (and leaves the pool): never a wei of its collateral."""
        w = self._worker(who)
        a = self.view.account(w)
        free = a["stake"] - a["locked"]
        assert not attempt(self.market.requestUnstake, free + 1, {"from": w})
        attempt(self.market.requestUnstake, free, {"from": w})

    def rule_stake(self, who="st_pick"):
        attempt(self.market.stake, {"from": self._worker(who), "value": MIN_STAKE})

    def rule_withdraw(self, who="st_pick"):
        people = self._everyone()
        attempt(self.market.withdraw, {"from": people[who % len(people)]})

    # -- the invariant

    def invariant_balance_equals_everything_owed(self):
        assert self.market.balance() == self.owed()

    def invariant_no_tile_is_held_twice(self):
        """Across a job's rounds, every tile is held by at most one live or paid seat, or waits
        among the unsold tiles, or is on sale in the round still bidding: never two of these."""
        v = self.view
        for job_id, rounds in self.rounds.items():
            tile_count = v.job(job_id)["tileCount"]
            held: list[int] = []
            for first, count in unpack_ranges(v.unsoldTiles(job_id)):
                held.extend(range(first, first + count))
            for round_id in [job_id, *rounds]:
                r = v.job(round_id)
                if round_id != job_id and r["status"] == BIDDING:
                    for first, count in unpack_ranges(v.offeredTiles(round_id)):
                        held.extend(range(first, first + count))
                for w in self.workers:
                    seat = v.seat(round_id, w)
                    if seat["state"] in HOLDING:
                        held.extend(range(seat["firstTile"], seat["firstTile"] + seat["tileCount"]))
            if v.job(job_id)["status"] == BIDDING:
                held.extend(range(tile_count))
            assert len(held) == len(set(held)), f"job {job_id}: a tile is held twice: {held}"
            assert all(0 <= t < tile_count for t in held)

    # -- the end: nothing can be stuck

    def teardown(self):
        m, v = self.market, self.view
        # A silent seat takes two passes per round (draw, then replace after the window). After
        # every second pass the anchors expire: some replaced seats lapse at their next draw,
        # others run their three silent rounds out.
        for n in range(12):
            chain.sleep(10_000)
            mine_blocks(3)
            for job_id in list(self.jobs):
                if v.job(job_id)["status"] == BIDDING:
                    self._settle(job_id)
            for job_id in self.rounds:
                if v.job(job_id)["status"] == ACTIVE:
                    self.rule_reoffer(job_id % 7, job_id)  # the deadline ends them
                    attempt(m.endReoffering, job_id, {"from": self.treasury})
            for job_id in self.jobs:
                for w in self.workers:
                    self._move_on(job_id, w)
            assert m.balance() == self.owed()
            if n % 2:
                expire_anchors()
            if all(v.job(job_id)["status"] in TERMINAL for job_id in self.jobs):
                break
        for job_id in self.jobs:
            assert v.job(job_id)["status"] in TERMINAL, f"job {job_id} is not terminal"
            assert v.job(job_id)["escrow"] == 0
        self.check_locked()
        for who in self._everyone():
            a = v.account(who)
            assert a["locked"] == 0 and a["duties"] == 0, f"{who} still holds {a}"
        chain.sleep(UNSTAKE_DELAY + 1)
        mine_blocks(1)
        for who in self._everyone():
            if v.balanceOf(who) > 0:
                assert attempt(m.withdraw, {"from": who})
            if v.account(who)["unstaking"] > 0:
                assert attempt(m.withdrawStake, {"from": who})
        stakes = sum(v.account(w)["stake"] for w in self._everyone())
        assert m.balance() == stakes == self.owed()

    def _move_on(self, job_id, w):
        """The permissionless action that moves `w`'s seat on, if its deadline has passed."""
        m, v = self.market, self.view
        seat = v.seat(job_id, w)
        state = seat["state"]
        if state == SUBMITTED and seat["verifierId"] == 0:
            # Drawn by anyone, or lapsed once the anchor expired; with nobody to draw, replaced.
            if not attempt(m.drawVerifier, job_id, w, {"from": self.treasury}):
                attempt(m.replaceVerifier, job_id, w, {"from": self.treasury})
            return
        action = {
            ASSIGNED: m.claimLate,
            SUBMITTED: m.replaceVerifier,  # the verifier did not seal in time
            SEALED: m.finalizeRejection,  # the worker hid its results: a fraud
            OPENED: m.replaceVerifier,  # the verifier did not attest after the reveal
            ACCEPTED: m.release,
            FAILED: m.finalizeRejection,
            DISPUTED: m.resolveDispute,
            CONTESTED: m.resolveDispute,
            CHALLENGED: m.resolveDispute,
        }.get(state)
        if action is not None:
            attempt(action, job_id, w, {"from": self.treasury})
        elif state == NONE and (job_id, w) in self.bids:
            if v.job(job_id)["status"] == CANCELLED:
                attempt(m.reclaimBond, job_id, {"from": w})
            else:  # a sealed bid left unrevealed: forfeited once the reveal window is over
                self._forfeit(job_id, w, self.treasury)

    def _settle(self, job_id):
        attempt(self.market.settle, job_id, ranking(self.view, job_id), {"from": self.treasury})


def test_the_market_always_holds_exactly_what_it_owes(state_machine, market, accounts):
    workers = [accounts[i] for i in (2, 3, 6, 7)]
    artists = [accounts[1], accounts[8]]
    ACHIEVED.clear()
    state_machine(MoneyMachine, market, workers, artists, accounts[5], settings=SETTINGS)
    print(dict(ACHIEVED))
    steps = ("commitBid", "revealBid", "forfeitBid", "cancelJob", "settle", "commitResults",
             "drawVerifier", "sealEvidence", "revealResults", "attest", "release", "withdraw",
             "openDispute", "challenge", "drawPanel", "commitVote", "revealVote",
             "resolveDispute", "reoffer", "topUp", "endReoffering")  # fmt: skip
    for step in steps:
        assert ACHIEVED[step] > 0, f"no random sequence ever got {step} through"
