"""Protocol helpers for contract tests: post, bid, settle and commit like the worker would, and
`err(name, *args)`, which renders a custom error exactly as Brownie reports it so that
`brownie.reverts(err("BidAboveMaximum", job_id, price, maximum))` checks the error and its values.
"""

import secrets
from dataclasses import dataclass, field

from brownie import JobMarket, chain
from brownie.exceptions import decode_typed_error
from eth_abi import encode
from eth_utils import keccak

from tilefarm.chain.bids import bid_commitment, rank_key
from tilefarm.merkle import merkle_root, tile_leaf

ETHER = 10**18
MIN_STAKE = ETHER
DISPUTE_BOND = ETHER // 10
FEE_BPS = 100
FRAUD_BPS = 5_000
LATE_BPS = 1_000
FALSE_ACCUSATION_BPS = 2_500
UNSTAKE_DELAY = 14 * 86_400
DRAW_DELAY = 2

BID_WINDOW = 600
REVEAL_WINDOW = 600
RENDER_WINDOW = 3_600
VERIFY_WINDOW = 1_800

# JobSeat and job states, as the contract numbers them
BIDDING, ACTIVE, COMPLETED, CANCELLED, EXPIRED = 1, 2, 3, 4, 5
(NONE, REVEALED, OUTBID, ASSIGNED, SUBMITTED, ACCEPTED, FAILED, DISPUTED, CONTESTED, REJECTED,
 TIMED_OUT, RECLAIMED) = range(12)  # fmt: skip


def market_config(treasury, **overrides):
    cfg = {
        "treasury": treasury.address,
        "protocolFeeBps": FEE_BPS,
        "minStake": MIN_STAKE,
        "unstakeDelay": UNSTAKE_DELAY,
        "drawDelay": DRAW_DELAY,
        "disputeBond": DISPUTE_BOND,
        "fraudSlashBps": FRAUD_BPS,
        "lateSlashBps": LATE_BPS,
        "falseAccusationSlashBps": FALSE_ACCUSATION_BPS,
    }
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


def job_params(tiles=16, max_price=10**15, verify_fee=10**13, bond=10**16, frames=1):
    return (tiles, frames, max_price, verify_fee, bond, BID_WINDOW, REVEAL_WINDOW, RENDER_WINDOW,
            VERIFY_WINDOW)  # fmt: skip


def post(market, artist, **kw):
    params = job_params(**kw)
    deposit = market.quote(params[0], params[2], params[3])
    tx = market.postJob(params, "bafy-manifest", {"from": artist, "value": deposit})
    return tx.events["JobPosted"]["jobId"]


@dataclass
class Bid:
    bidder: object
    price: int
    tiles: int
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def commitment(self, job_id):
        return bid_commitment(job_id, self.bidder.address, self.price, self.tiles, self.salt)


def commit(market, job_id, bid, bond=10**16):
    return market.commitBid(job_id, bid.commitment(job_id), {"from": bid.bidder, "value": bond})


def reveal(market, job_id, bid):
    return market.revealBid(job_id, bid.price, bid.tiles, bid.salt, {"from": bid.bidder})


def ranked(job_id, bids):
    return [
        b.bidder for b in sorted(bids, key=lambda b: rank_key(job_id, b.bidder.address, b.price))
    ]


def settle(market, job_id, bids, sender):
    return market.settle(job_id, ranked(job_id, bids), {"from": sender})


def run_auction(market, artist, bids, **kw):
    """Posts a job, commits and reveals `bids`, settles; returns the job id."""
    job_id = post(market, artist, **kw)
    for b in bids:
        commit(market, job_id, b, bond=kw.get("bond", 10**16))
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    settle(market, job_id, bids, artist)
    return job_id


def tile_leaves(first, count, tamper=None):
    """Leaves of tiles first..first+count-1 with made-up CID digests and pixel hashes."""
    return [
        tile_leaf(t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}" if t != tamper else "forged"))
        for t in range(first, first + count)
    ]


def commit_results(market, job_id, who):
    s = market.seat(job_id, who)
    leaves = tile_leaves(s[2], s[3])
    return market.commitResults(job_id, merkle_root(leaves), "bafy-results", {"from": who})


def ready_for_draw():
    chain.mine(DRAW_DELAY + 1)
