"""Protocol helpers for contract tests: post, bid, settle, commit, draw, seal the evidence, reveal
the results, attest, release and vote (sealed, then revealed) like the parties would, the market's
money rules restated in Python (collateral, bounty, verifier fee, fraud slash, the panel's pay), and
`err(name, *args)`, which renders a custom error exactly as Brownie reports it so that
`brownie.reverts(err("BidAboveMaximum", job_id, price, maximum))` checks the error and its values.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from brownie import JobMarket, PanelCourt, RoundKeeper, accounts, chain
from brownie.exceptions import decode_typed_error
from direct_rpc import mine_blocks, rpc
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tilefarm.adapters.chain.bids import bid_commitment, rank_key
from tilefarm.merkle import merkle_root, tile_leaf

ETHER = 10**18
BPS = 10_000
MIN_STAKE = ETHER
DISPUTE_BOND = ETHER // 10
FEE_BPS = 100
FRAUD_BPS = 5_000
LATE_BPS = 1_000
FALSE_ACCUSATION_BPS = 2_500
SILENCE_BPS = 1_000
COLLATERAL_BPS = 10_000
BID_BOND_BPS = 10
DRAW_BOUNTY_BPS = 500
UNSTAKE_DELAY = 14 * 86_400
DRAW_DELAY = 2
# A block hash is readable for 256 blocks; mining this many makes any anchor expire.
PAST_BLOCKHASH_WINDOW = 300

BID_WINDOW = 600
REVEAL_WINDOW = 600
RENDER_WINDOW = 3_600
VERIFY_WINDOW = 1_800
# The defaults of `job_params`
TILES = 16
MAX_PRICE = 10**15
VERIFY_FEE = 10**13
BOND = 10**16

# Job and seat states and slash reasons, as the contract numbers them
BIDDING, ACTIVE, COMPLETED, CANCELLED, EXPIRED = 1, 2, 3, 4, 5
(NONE, REVEALED, OUTBID, ASSIGNED, SUBMITTED, ACCEPTED, FAILED, DISPUTED, CONTESTED, REJECTED,
 TIMED_OUT, RECLAIMED, UNVERIFIED, PAID, FORFEITED, SEALED, OPENED,
 CHALLENGED) = range(18)  # fmt: skip
FRAUD, LATE, FALSE_ACCUSATION, SILENCE, OUTVOTED, UNREVEALED = range(6)

ZERO_ADDRESS = "0x" + "00" * 20
# What the verifier seals (and attests with) and what the worker reveals, unless a test says other
EVIDENCE = "bafy-evidence"
RESULTS = "bafy-results"


def market_config(treasury, **overrides):
    cfg = {
        "treasury": getattr(treasury, "address", treasury),
        "protocolFeeBps": FEE_BPS,
        "minStake": MIN_STAKE,
        "unstakeDelay": UNSTAKE_DELAY,
        "drawDelay": DRAW_DELAY,
        "disputeBond": DISPUTE_BOND,
        "fraudSlashBps": FRAUD_BPS,
        "lateSlashBps": LATE_BPS,
        "falseAccusationSlashBps": FALSE_ACCUSATION_BPS,
        "silenceSlashBps": SILENCE_BPS,
        "collateralBps": COLLATERAL_BPS,
        "bidBondBps": BID_BOND_BPS,
        "drawBountyBps": DRAW_BOUNTY_BPS,
    }
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise KeyError(f"MarketConfig has no field {sorted(unknown)}")
    cfg.update(overrides)
    return tuple(cfg.values())


def err(name, *args):
    """The revert string Brownie shows for the custom error `name(args)` of JobMarket."""
    for item in JobMarket.abi:
        if item["type"] == "error" and item["name"] == name:
            types = [i["type"] for i in item["inputs"]]
            break
    else:
        raise KeyError(f"JobMarket has no error {name}")
    selector = keccak(text=f"{name}({','.join(types)})")[:4]
    values = [getattr(a, "address", a) for a in args]
    return decode_typed_error("0x" + (selector + encode(types, values)).hex())


def advance(seconds):
    chain.sleep(seconds)
    chain.mine()


# -- the market's money rules, restated


def collateral(tiles, price):
    """The stake a bid or seat of `tiles` tiles at `price` locks."""
    return tiles * price * COLLATERAL_BPS // BPS


def commit_lock(tiles, max_price=MAX_PRICE):
    """The stake a sealed bid for `tiles` tiles locks from its commit to its reveal (or its
    forfeit): the tiles' collateral at the job's maximum price."""
    return collateral(tiles, max_price)


def draw_bounty(tiles, verify_fee=VERIFY_FEE):
    """What whoever draws a seat's verifier earns, per draw."""
    return tiles * verify_fee * DRAW_BOUNTY_BPS // BPS


def verifier_fee(tiles, verify_fee=VERIFY_FEE, round_=0):
    """What a seat's verifier is paid: the seat's fee less one draw bounty per round."""
    return tiles * verify_fee - draw_bounty(tiles, verify_fee) * (round_ + 1)


def protocol_fee(tiles, price):
    return tiles * (price * FEE_BPS // BPS)


def fraud_slash(bonded, seat_collateral):
    """Proven fraud takes the seat's collateral and `fraudSlashBps` of the rest of the stake."""
    rest = max(bonded - seat_collateral, 0)
    return min(bonded, seat_collateral + rest * FRAUD_BPS // BPS)


def panel_pay(fee, revealed, winners, forfeited):
    """How `resolveDispute` pays a panel: `fee` evenly to the `revealed` members, `forfeited` (the
    silent and outvoted members' slashes) evenly to the `winners`; returns PanelPaid's
    (feeEach, bondsEach, remainder), the remainder going to the party the outcome favours. With
    no winner, `forfeited` goes to the treasury (`panel_treasury_share`), not to the remainder."""
    fee_each = fee // revealed if revealed else 0
    remainder = fee - fee_each * revealed
    if not winners:
        return fee_each, 0, remainder
    bonds_each = forfeited // winners
    return fee_each, bonds_each, remainder + forfeited - bonds_each * winners


def panel_treasury_share(winners, forfeited):
    """What the treasury gets of a panel's forfeited stakes: all of them when nobody revealed a
    vote for the outcome (a silent panel must not pay the side its silence favours), else none."""
    return 0 if winners else forfeited


def min_bid_bond(tiles=TILES, max_price=MAX_PRICE):
    return max(1, tiles * max_price * BID_BOND_BPS // BPS)


# -- accounts


def crowd(n, tag="crowd", funds=10 * ETHER):
    """`n` more funded accounts the node signs for (anvil impersonates them): far faster than
    local keys when a test needs dozens of bidders or stakers."""
    members = []
    for i in range(n):
        address = to_checksum_address(keccak(text=f"tilefarm-{tag}-{i}")[-20:])
        rpc("anvil_setBalance", address, hex(funds))
        rpc("anvil_impersonateAccount", address)  # again after any revert, to be safe
        members.append(accounts.at(address, force=True))
    return members


def stake_all(market, *who, amount=MIN_STAKE):
    for w in who:
        market.stake({"from": w, "value": amount})


def deploy_market(config, deployer):
    """The market and the two contracts it delegates to, all built with `config`."""
    court = PanelCourt.deploy(config, {"from": deployer})
    keeper = RoundKeeper.deploy(config, {"from": deployer})
    return JobMarket.deploy(config, court, keeper, {"from": deployer})


def eligible(market, who):
    return market.account(who)["stake"] >= MIN_STAKE


# -- jobs and bids


def job_params(
    tiles=TILES,
    max_price=MAX_PRICE,
    verify_fee=VERIFY_FEE,
    bond=BOND,
    frames=1,
    rounds=0,
    final_deadline=0,
):
    return (tiles, frames, max_price, verify_fee, bond, BID_WINDOW, REVEAL_WINDOW, RENDER_WINDOW,
            VERIFY_WINDOW, rounds, final_deadline)  # fmt: skip


def post(market, artist, **kw):
    params = job_params(**kw)
    deposit = market.quote(params[0], params[2], params[3])
    tx = market.postJob(params, "bafy-manifest", {"from": artist, "value": deposit})
    return tx.events["JobPosted"]["jobId"]


@dataclass
class Bid:
    bidder: Any  # a Brownie account (Brownie is untyped)
    price: int
    tiles: int
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def commitment(self, job_id):
        return bid_commitment(job_id, self.bidder.address, self.price, self.tiles, self.salt)

    def sealed(self, job_id, tiles=None):
        """What the seat stores of this bid committed for `tiles` (default: its own count)."""
        return sealed_bid(self.commitment(job_id), self.tiles if tiles is None else tiles)


def sealed_bid(commitment, tiles):
    """A seat's `hash` for an unrevealed bid: the commitment with its low 16 bits replaced by the
    declared tile count (`SealedBidding._sealedBid`)."""
    value = int.from_bytes(bytes(commitment), "big") >> 16 << 16 | tiles
    return value.to_bytes(32, "big")


def commit(market, job_id, bid, bond=BOND, tiles=None):
    """Commits `bid`, declaring its own tile count (or `tiles`, which then never reveals)."""
    declared = bid.tiles if tiles is None else tiles
    return market.commitBid(
        job_id, bid.commitment(job_id), declared, {"from": bid.bidder, "value": bond}
    )


def reveal(market, job_id, bid):
    return market.revealBid(job_id, bid.price, bid.tiles, bid.salt, {"from": bid.bidder})


def ranking(market, job_id):
    """The job's kept bids in the order `settle` checks: price, then the tie-seed hash."""
    seed = market.job(job_id)["tieSeed"]
    kept = market.keptBids(job_id)
    return sorted(kept, key=lambda b: rank_key(seed, b, market.seat(job_id, b)["pricePerTile"]))


def settle(market, job_id, sender):
    return market.settle(job_id, ranking(market, job_id), {"from": sender})


def run_auction(market, artist, bids, **kw):
    """Posts a job, commits and reveals `bids`, settles; returns the job id."""
    job_id = post(market, artist, **kw)
    for b in bids:
        commit(market, job_id, b, bond=kw.get("bond", BOND))
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    settle(market, job_id, artist)
    return job_id


# -- results, draws and verdicts


def tile_leaves(first, count, tamper=None):
    """Leaves of tiles first..first+count-1 with made-up CID digests and pixel hashes."""
    return [
        tile_leaf(t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}" if t != tamper else "forged"))
        for t in range(first, first + count)
    ]


def commit_results(market, job_id, who):
    """Commits the Merkle root of `who`'s tiles; the results list stays hidden until revealed."""
    s = market.seat(job_id, who)
    leaves = tile_leaves(s["firstTile"], s["tileCount"])
    return market.commitResults(job_id, merkle_root(leaves), {"from": who})


def ready_for_draw():
    chain.mine(DRAW_DELAY + 1)


def expire_anchors():
    """Mines past the 256 blocks whose hashes a contract can read: every anchor so far expires."""
    mine_blocks(PAST_BLOCKHASH_WINDOW)


def draw(market, job_id, worker, sender):
    """Draws `worker`'s verifier (anyone may, once the anchor block is mined); returns it."""
    tx = market.drawVerifier(job_id, worker, {"from": sender})
    return accounts.at(tx.events["VerifierDrawn"]["verifier"])


def verifier_of(market, job_id, worker):
    """The seat's drawn verifier, or None."""
    verifier_id = market.seat(job_id, worker)["verifierId"]
    return accounts.at(market.accountById(verifier_id)) if verifier_id else None


def evidence_seal(job_id, worker, verifier, evidence=EVIDENCE):
    """`keccak256(abi.encode(jobId, worker, verifier, evidenceCid))`, as `attest` checks it."""
    types = ["uint256", "address", "address", "string"]
    worker, verifier = (getattr(a, "address", a) for a in (worker, verifier))
    return keccak(encode(types, [job_id, worker, verifier, evidence]))


def seal_evidence(market, job_id, worker, verifier, evidence=EVIDENCE):
    """The drawn `verifier` seals `evidence` before it has seen a tile."""
    seal = evidence_seal(job_id, worker, verifier, evidence)
    return market.sealEvidence(job_id, worker, seal, {"from": verifier})


def reveal_results(market, job_id, worker, results=RESULTS):
    """The worker reveals its results list once its verifier sealed."""
    return market.revealResults(job_id, results, {"from": worker})


def seal_and_reveal(market, job_id, worker, verifier, evidence=EVIDENCE):
    """The blind half of a verification: `verifier` seals `evidence`, then the worker reveals;
    the verifier may attest next (with `evidence`)."""
    seal_evidence(market, job_id, worker, verifier, evidence)
    return reveal_results(market, job_id, worker)


def attest(market, job_id, worker, passed, drawer, evidence=EVIDENCE):
    """Draws `worker`'s verifier (for `drawer`, who earns the bounty), which seals `evidence`; the
    worker reveals its results and the verifier attests with the sealed evidence."""
    ready_for_draw()
    verifier = draw(market, job_id, worker, drawer)
    seal_and_reveal(market, job_id, worker, verifier, evidence)
    market.attest(job_id, worker, passed, evidence, {"from": verifier})
    return verifier


def release(market, job_id, worker, sender):
    """Waits out the contest window of an accepted seat and releases its pay."""
    advance(VERIFY_WINDOW + 1)
    return market.release(job_id, worker, {"from": sender})


# -- panels: drawn by anyone, votes sealed first and revealed once every member sealed


def draw_panel(market, job_id, worker, sender):
    """Draws the dispute's panel once its anchor block is mined; returns the members (accounts)."""
    ready_for_draw()
    tx = market.drawPanel(job_id, worker, {"from": sender})
    return [accounts.at(m) for m in tx.events["PanelDrawn"]["members"] if m != ZERO_ADDRESS]


@dataclass
class Vote:
    """A panel member's vote on `worker`'s seat of `job_id`, the salt that seals it and the
    evidence CID the seal covers."""

    job_id: int
    worker: object
    voter: object
    fraud: bool
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    evidence: str = "bafy-evidence"

    def commitment(self):
        """`keccak256(abi.encode(jobId, worker, voter, fraud, salt, evidenceCid))`, as the
        contract seals it."""
        types = ["uint256", "address", "address", "bool", "bytes32", "string"]
        worker, voter = (getattr(a, "address", a) for a in (self.worker, self.voter))
        values = [self.job_id, worker, voter, self.fraud, self.salt, self.evidence]
        return keccak(encode(types, values))

    def commit(self, market):
        return market.commitVote(self.job_id, self.worker, self.commitment(), {"from": self.voter})

    def reveal(self, market, evidence=None):
        """Reveals the vote with the sealed evidence (or `evidence`, which then does not match)."""
        cid = self.evidence if evidence is None else evidence
        return market.revealVote(
            self.job_id, self.worker, self.fraud, self.salt, cid, {"from": self.voter}
        )


def cast_votes(market, job_id, worker, ballot):
    """Every member in `ballot` ({member: fraud}) seals its vote, then each reveals it; returns
    the votes. Reveals open at once only when `ballot` holds the whole panel."""
    votes = [Vote(job_id, worker, member, fraud) for member, fraud in ballot.items()]
    for v in votes:
        v.commit(market)
    for v in votes:
        v.reveal(market)
    return votes


# -- randomness, restated: who a draw picks from a seed and the compact pool


def draw_seed(anchor_hash, job_id, worker, round_):
    return keccak(
        encode(["bytes32", "uint256", "address", "uint256"], [anchor_hash, job_id, worker, round_])
    )


def pool_order(market, candidates):
    """The compact pool as the contract holds it, rebuilt from the candidates' pool indexes."""
    by_index = {}
    for c in candidates:
        index = market.account(c)["poolIndex"]
        if index:
            by_index[index] = c.address
    assert sorted(by_index) == list(range(1, market.poolSize() + 1)), "candidates miss a member"
    return [by_index[i] for i in sorted(by_index)]


def predict_pick(seed, pool, exclude):
    """The pool member the contract's draw picks for `seed`, none of `exclude` (or None)."""
    excluded = {getattr(e, "address", e) for e in exclude}
    n = len(pool)
    if n == 0:
        return None
    index = 0
    for t in range(4):  # MAX_DRAW_TRIES re-hashes, then a short scan onward
        index = int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, t])), "big") % n
        if pool[index] not in excluded:
            return pool[index]
    for i in range(1, min(n, 7)):
        candidate = pool[(index + i) % n]
        if candidate not in excluded:
            return candidate
    return None


def predict_preferred_pick(seed, pool, exclude, backend_of, backend, tries=3):
    """The pool member a draw for a worker of declared `backend` picks (`_pickPreferred`): the
    first of `predict_pick`'s own first `tries` (PREFERRED_DRAW_TRIES) candidates that is not
    excluded and declared `backend` (`backend_of`: address -> code), else `predict_pick`'s. A
    worker that declared nothing (0) draws exactly `predict_pick`'s."""
    excluded = {getattr(e, "address", e) for e in exclude}
    n = len(pool)
    if backend and n:
        for t in range(tries):
            index = int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, t])), "big") % n
            candidate = pool[index]
            if candidate not in excluded and backend_of.get(candidate, 0) == backend:
                return candidate
    return predict_pick(seed, pool, exclude)


def member_seed(panel_seed, k):
    """The seed of panel seat `k`: `keccak256(abi.encode(panelSeed, k))`."""
    return keccak(encode(["bytes32", "uint256"], [panel_seed, k]))


def predict_panel(panel_seed, pool, exclude, backend_of, backend):
    """The three seats a panel draw fills (None where the pool ran out), each seat excluding the
    members drawn before it: the first seat prefers the worker's recorded `backend`
    (`predict_preferred_pick`), the other two are `predict_pick`'s."""
    excluded = [getattr(e, "address", e) for e in exclude]
    members = []
    for k in range(3):
        seed = member_seed(panel_seed, k)
        if k == 0:
            member = predict_preferred_pick(seed, pool, excluded, backend_of, backend)
        else:
            member = predict_pick(seed, pool, excluded)
        members.append(member)
        if member is None:
            break
        excluded.append(member)
    return members + [None] * (3 - len(members))
