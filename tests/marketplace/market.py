"""Driving a real JobMarket on the devnet the way artists, workers and verifiers do, and comparing
the indexer's views with the contract's state.

Each test deploys a market of its own (so tests never see each other's jobs) and records it in a
deployments file of its own, which is what the server reads.
"""

import random
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from eth_utils.crypto import keccak
from sqlalchemy import select
from web3 import Web3

from marketplace.db.chain_models import AccountView, DisputeView, JobView, SeatView
from marketplace.db.session import Database
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import deploy, market_plan, write_deployments
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.chain.events import JobParams, PanelDrawn
from tilefarm.adapters.chain.records import JOB_STATUSES, SEAT_STATES, MarketConfig
from tilefarm.adapters.chain.votes import vote_commitment
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm.merkle import merkle_root, tile_leaf

ETHER = 10**18
MIN_STAKE = ETHER
BID_WINDOW = 600
REVEAL_WINDOW = 600
RENDER_WINDOW = 3_600
VERIFY_WINDOW = 1_800
DRAW_DELAY = 2
ROUNDS_OPEN = 200_000  # seconds from posting a job with rounds to its final deadline


@dataclass
class Market:
    """A freshly deployed market and the dev accounts playing each role."""

    w3: Web3
    client: JobMarketClient
    deployments_file: Path
    start_block: int
    config: MarketConfig
    accounts: Sequence[str]

    @property
    def artist(self) -> str:
        return self.accounts[1]

    @property
    def workers(self) -> list[str]:
        return list(self.accounts[2:9])

    @property
    def treasury(self) -> str:
        return self.config.treasury

    # -- time

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def mine(self, blocks: int) -> None:
        self.w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def deploy_market(rpc_url: str, directory: Path) -> Market:
    """Deploy a JobMarket of its own and write its deployments file under `directory`."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    accounts = [Web3.to_checksum_address(a) for a in w3.eth.accounts]
    config = MarketConfig(
        treasury=accounts[9],
        protocol_fee_bps=100,
        min_stake=MIN_STAKE,
        unstake_delay=14 * 86_400,
        draw_delay=DRAW_DELAY,
        dispute_bond=ETHER // 10,
        fraud_slash_bps=5_000,
        late_slash_bps=1_000,
        false_accusation_slash_bps=2_500,
        silence_slash_bps=1_000,
        collateral_bps=10_000,
        bid_bond_bps=10,
        draw_bounty_bps=500,
    )
    plan = market_plan(lambda _deployer: config.as_tuple())
    deployments = deploy(w3, accounts[0], BUILD_DIR, plan)
    path = write_deployments(deployments, directory)
    client = JobMarketClient.from_deployments(w3, deployments)
    start = deployments.contracts["JobMarket"].block_number
    return Market(w3, client, path, start, client.config(), accounts)


def params(
    tiles: int = 8,
    max_price: int = 10**15,
    verify_fee: int = 10**13,
    max_rounds: int = 0,
    final_deadline: int = 0,
) -> JobParams:
    """A job's terms; with `max_rounds`, its unsold and failed tiles may go round again until
    `final_deadline` (see `rounds`)."""
    return JobParams(
        tile_count=tiles,
        frame_count=1,
        max_price_per_tile=max_price,
        verify_fee_per_tile=verify_fee,
        bid_bond=10**16,
        bid_window=BID_WINDOW,
        reveal_window=REVEAL_WINDOW,
        render_window=RENDER_WINDOW,
        verify_window=VERIFY_WINDOW,
        max_rounds=max_rounds,
        final_deadline=final_deadline,
    )


class RoundTerms(TypedDict, total=False):
    max_rounds: int
    final_deadline: int


def rounds(m: Market, max_rounds: int = 2) -> RoundTerms:
    """`params` keywords for a job that may re-offer its tiles `max_rounds` times, until
    `ROUNDS_OPEN` seconds from now."""
    return RoundTerms(max_rounds=max_rounds, final_deadline=m.now() + ROUNDS_OPEN)


@dataclass
class Bid:
    bidder: str
    price: int
    tiles: int
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))


def stake_all(m: Market) -> None:
    for who in m.workers:
        if m.client.account(who).stake < MIN_STAKE:
            m.client.stake(who, MIN_STAKE)


def auction(
    m: Market,
    bids: list[Bid],
    reveal: list[Bid] | None = None,
    manifest: str = "bafy-manifest",
    **kw: Any,
) -> int:
    """Post a job of `manifest`, commit `bids`, reveal `reveal` (default: all), settle; returns
    the job id. A bid for more tiles than the job has is cut to the job's tiles (a commit may
    declare no more)."""
    job = params(**kw)
    job_id, _ = m.client.post_job(m.artist, job, manifest)
    for b in bids:
        b.tiles = min(b.tiles, job.tile_count)
        commit_bid(m, job_id, b)
    m.advance(BID_WINDOW + 1)
    for b in bids if reveal is None else reveal:
        m.client.reveal_bid(b.bidder, job_id, b.price, b.tiles, b.salt)
    m.advance(REVEAL_WINDOW + 1)
    m.client.settle(m.artist, job_id)
    return job_id


def round_auction(
    m: Market, round_id: int, bids: list[Bid], reveal: list[Bid] | None = None
) -> None:
    """Commit `bids` in an open round, reveal `reveal` (default: all), settle. A bid for more
    tiles than the round sells is cut to them."""
    tiles = m.client.job(round_id).tile_count
    for b in bids:
        b.tiles = min(b.tiles, tiles)
        commit_bid(m, round_id, b)
    m.advance(BID_WINDOW + 1)
    for b in bids if reveal is None else reveal:
        m.client.reveal_bid(b.bidder, round_id, b.price, b.tiles, b.salt)
    m.advance(REVEAL_WINDOW + 1)
    m.client.settle(m.artist, round_id)


def reoffer(m: Market, job_id: int, opener: str | None = None) -> int | None:
    """Open the job's next round (the artist tops the reserve up when it is too low); None when
    re-offering is over."""
    c = m.client
    try:
        return c.reoffer(opener or m.treasury, job_id)[0]
    except ContractReverted as exc:
        if exc.error != "ReserveTooLow":
            assert exc.error == "ReofferingOver", exc
            return None
        shortfall = exc.error_args["needed"] - exc.error_args["reserve"]
        price = c.reoffer_of(job_id).max_price_per_tile
        c.top_up(m.artist, job_id, price, shortfall)
        return c.reoffer(opener or m.treasury, job_id)[0]


def commit_bid(m: Market, job_id: int, b: Bid) -> None:
    """`b`'s sealed bid: its commitment, and its tile count declared in the open."""
    commitment = bid_commitment(job_id, b.bidder, b.price, b.tiles, b.salt)
    m.client.commit_bid(b.bidder, job_id, commitment, b.tiles)


def unrevealed(m: Market, job_id: int) -> list[str]:
    """The bidders of `job_id` whose sealed bids are still unrevealed (forfeitable once the
    reveal window is over)."""
    seats = {w: m.client.seat(job_id, w) for w in m.workers}
    return [w for w, s in seats.items() if int(s.hash, 16) != 0 and s.state_name == "None"]


def commit_results(m: Market, job_id: int, worker: str, root: bytes | None = None) -> None:
    """The worker commits its results' Merkle root (made-up leaves by default); its results list
    stays hidden until its verifier has sealed evidence (`reveal`)."""
    seat = m.client.seat(job_id, worker)
    leaves = [
        tile_leaf(t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}"))
        for t in range(seat.first_tile, seat.first_tile + seat.tile_count)
    ]
    m.client.commit_results(worker, job_id, root or merkle_root(leaves))


def seal(m: Market, job_id: int, worker: str, verifier: str, evidence: str) -> None:
    """The drawn verifier seals its evidence before it may see a tile."""
    m.client.seal_evidence(verifier, job_id, worker, evidence)


def reveal(m: Market, job_id: int, worker: str, results_cid: str | None = None) -> None:
    """The worker reveals its results list once its verifier has sealed."""
    m.client.reveal_results(worker, job_id, results_cid or f"bafy-results-{job_id}")


def attest(
    m: Market,
    job_id: int,
    worker: str,
    verifier: str,
    passed: bool,
    evidence: str,
    results_cid: str | None = None,
) -> None:
    """Blind verification, the whole round: the verifier seals `evidence`, the worker reveals
    its results, then the verifier attests naming the evidence it sealed."""
    seal(m, job_id, worker, verifier, evidence)
    reveal(m, job_id, worker, results_cid)
    m.client.attest(verifier, job_id, worker, passed, evidence)


def stranger(m: Market) -> str:
    """An account that neither posts, bids, verifies nor sits on panels (it never stakes): the
    deployer, who may challenge a pass."""
    return m.accounts[0]


def draw(m: Market, job_id: int, worker: str, caller: str | None = None) -> str:
    """Mine past the anchor block and draw the verifier (`caller`, the artist by default, is
    credited the draw bounty)."""
    m.mine(DRAW_DELAY + 1)
    m.client.draw_verifier(caller or m.artist, job_id, worker)
    verifier = m.client.verifier_of(job_id, worker)
    assert verifier is not None
    return verifier


def panel_of(m: Market, job_id: int, worker: str) -> list[str]:
    """The members of the latest panel drawn for `worker`'s dispute in `job_id`."""
    panels = [
        ev
        for ev in m.client.events(job_id=job_id)
        if isinstance(ev, PanelDrawn) and ev.worker == worker
    ]
    return [member for member in panels[-1].members if int(member, 16) != 0]


def panel_votes(
    m: Market,
    job_id: int,
    worker: str,
    votes: Mapping[str, bool],
    unrevealed: Collection[str] = (),
) -> None:
    """Each panel member in `votes` seals its vote (`True`: fraud) and then reveals it, except
    those in `unrevealed`; members not in `votes` seal nothing. Reveals open once every member
    sealed or the commit window closed (the clock is moved on when needed); the dispute is then
    resolved (after the reveal window when a member did not reveal)."""
    c = m.client
    salts = {member: secrets.token_bytes(32) for member in votes}
    evidence = {member: f"bafy-vote-{fraud}" for member, fraud in votes.items()}
    for member, fraud in votes.items():
        sealed = vote_commitment(job_id, worker, member, fraud, salts[member], evidence[member])
        c.commit_vote(member, job_id, worker, sealed)
    deadline = c.dispute(job_id, worker).deadline
    if set(panel_of(m, job_id, worker)) - set(votes):
        m.advance(max(deadline - m.now(), 0) + 1)  # the commit window closes
    for member, fraud in votes.items():
        if member not in unrevealed:
            c.reveal_vote(member, job_id, worker, fraud, salts[member], evidence[member])
    try:
        c.resolve_dispute(m.artist, job_id, worker)
    except ContractReverted:  # somebody stayed silent: the reveal window has to close first
        m.advance(max(deadline + VERIFY_WINDOW - m.now(), 0) + 1)
        c.resolve_dispute(m.artist, job_id, worker)


def assigned(m: Market, job_id: int) -> list[str]:
    return [w for w in m.workers if SEAT_STATES[m.client.seat(job_id, w).state] == "Assigned"]


def random_history(m: Market, rng: random.Random, jobs: int = 3) -> list[int]:
    """Post `jobs` jobs and take each through a random path of the protocol; most may re-offer
    what they did not sell or get delivered, and go through rounds of their own (`_rounds`).
    Returns the posted jobs' ids (their rounds' ids are in their events)."""
    posted: list[int] = []
    everything: list[int] = []  # the posted jobs and their rounds
    for _ in range(jobs):
        stake_all(m)  # slashed workers fall below the minimum and could not reveal
        bidders = rng.sample(m.workers, rng.randint(1, 4))
        bids = [Bid(b, rng.randint(1, 100) * 10**13, rng.randint(1, 6)) for b in bidders]
        # Rounds draw from a generator of their own: the paths `rng` takes stay those of the
        # jobs before rounds existed, each job drawing once more.
        plan = random.Random(f"rounds:{rng.random()}")
        terms = rounds(m, plan.choice((1, 2, 3))) if plan.random() < 0.75 else {}
        if rng.random() < 0.15:
            job_id, _ = m.client.post_job(m.artist, params(**terms), "bafy-manifest")
            for b in bids:
                commit_bid(m, job_id, b)
            m.client.cancel_job(m.artist, job_id)
            for b in bids[: len(bids) // 2 + 1]:
                m.client.reclaim_bond(b.bidder, job_id)
            posted.append(job_id)
            everything.append(job_id)
            continue
        reveal = [b for b in bids if rng.random() < 0.85]
        job_id = auction(m, bids, reveal, tiles=rng.randint(4, 10), **terms)
        posted.append(job_id)
        everything.append(job_id)
        work(m, rng, job_id)
        everything += _rounds(m, plan, job_id)
    # Unrevealed bids forfeit their collateral to the artist, forfeited by anyone. Last, and
    # drawn apart from `rng`: a slash can take a bidder out of the verifier pool, which would
    # change the paths the seeds take.
    for job_id in everything:
        if m.client.job(job_id).status_name in ("Cancelled", "Bidding"):
            continue
        callers = random.Random(f"forfeit:{job_id}")
        for bidder in unrevealed(m, job_id):
            m.client.forfeit_bid(callers.choice([m.artist, bidder, m.treasury]), job_id, bidder)
    for who in [m.artist, *m.workers, m.treasury]:
        if rng.random() < 0.5 and m.client.balance_of(who) > 0:
            m.client.withdraw(who)
    return posted


def work(m: Market, rng: random.Random, job_id: int) -> None:
    """Every winner of a settled job (or round) commits its results, or is late, and each seat
    goes a random way to its end (`_resolve`); draws missed, late workers claimed, accepted
    seats released. Each worker's way is drawn whether or not it won: who wins tiles at equal
    prices depends on the chain's block hashes, and the other seats must take the same ways."""
    ways = {w: (rng.random(), rng.random(), random.Random(rng.random())) for w in m.workers}
    caller = rng.choice(m.accounts)
    late, done = [], []
    for worker in assigned(m, job_id):
        if ways[worker][0] < 0.15:
            late.append(worker)
        else:
            commit_results(m, job_id, worker)  # all before any window moves time on
            done.append(worker)
    # A missed draw mines past every anchor of the job: it comes last.
    lapsing = [w for w in done if ways[w][1] < 0.1]
    for worker in done:
        if worker not in lapsing:
            _resolve(m, ways[worker][2], job_id, worker)
    for worker in lapsing:
        m.mine(300)  # the anchor's hash is no longer readable
        m.client.draw_verifier(ways[worker][2].choice(m.accounts), job_id, worker)
    if late:
        m.advance(RENDER_WINDOW + 1)
        for worker in late:
            m.client.claim_late(m.artist, job_id, worker)
    release_accepted(m, job_id, caller)


def _rounds(m: Market, plan: random.Random, job_id: int) -> list[int]:
    """While the job has unsold tiles and may re-offer them: the artist ends re-offering, or
    raises the next round's price, and anyone opens a round over them (its bounty); workers not
    barred from the job bid and work it like the first. Some jobs are left with tiles waiting
    for a round. Returns the rounds opened."""
    c = m.client
    opened: list[int] = []
    while c.job(job_id).status_name == "Active" and c.unsold_tiles(job_id):
        roll = plan.random()
        if roll < 0.1:
            return opened  # the tiles wait: nobody opens a round yet
        if roll < 0.25:
            c.end_reoffering(m.artist, job_id)
            return opened
        if roll < 0.45:
            raised = c.reoffer_of(job_id).max_price_per_tile * 3 // 2
            c.top_up(m.artist, job_id, raised, plan.randint(0, 3) * 10**15)
        round_id = reoffer(m, job_id, plan.choice(m.accounts))
        if round_id is None:
            return opened
        opened.append(round_id)
        stake_all(m)
        eligible = [w for w in m.workers if not c.is_barred(job_id, w)]
        bidders = plan.sample(eligible, plan.randint(0, min(3, len(eligible))))
        high = c.job(round_id).max_price_per_tile // 10**13
        bids = [Bid(b, plan.randint(1, high) * 10**13, plan.randint(1, 6)) for b in bidders]
        round_auction(m, round_id, bids, [b for b in bids if plan.random() < 0.9])
        work(m, plan, round_id)
    return opened


def release_accepted(m: Market, job_id: int, caller: str) -> None:
    """Close every contest window of the job and release its accepted seats."""
    waiting = [w for w in m.workers if SEAT_STATES[m.client.seat(job_id, w).state] == "Accepted"]
    if waiting:
        m.advance(VERIFY_WINDOW + 1)
        for worker in waiting:
            m.client.release(caller, job_id, worker)


def _resolve(m: Market, rng: random.Random, job_id: int, worker: str) -> None:
    roll = rng.random()
    if roll < 0.1:
        m.client.accept_results(m.artist, job_id, worker)  # without a verifier: no fee, paid now
        return
    drawer = rng.choice(m.accounts)  # anyone draws, for the bounty
    verifier = draw(m, job_id, worker, drawer)
    if roll < 0.45:
        attest(m, job_id, worker, verifier, True, "bafy-evidence")
        after = rng.random()
        if after < 0.3:
            m.client.accept_results(m.artist, job_id, worker)  # the artist releases at once
        elif after < 0.5:
            _dispute(m, rng, job_id, worker, m.artist, "bafy-contest")
        elif after < 0.7:
            # Anyone else challenges the pass as contradicting its evidence; upheld, the seat is
            # verified again (and passes), rejected, the pass stands.
            _dispute(m, rng, job_id, worker, stranger(m), "bafy-challenge")
            if SEAT_STATES[m.client.seat(job_id, worker).state] == "Submitted":
                stake_all(m)  # the contradicted verifier may have left the pool
                verifier = draw(m, job_id, worker, drawer)
                attest(m, job_id, worker, verifier, True, "bafy-evidence-2")
            # The same seat disputed a second time (a panel of its own): the artist contests,
            # its panel voting from a generator of its own so that `rng` keeps its paths.
            again = random.Random(f"contest again:{job_id}:{worker}")
            _dispute(m, again, job_id, worker, m.artist, "bafy-contest-2")
        return
    if roll < 0.5:
        # The verifier seals; the worker keeps its tiles hidden (rejected as a fraud) or the
        # artist accepts the sealed seat.
        seal(m, job_id, worker, verifier, "bafy-evidence")
        if rng.random() < 0.5:
            m.advance(VERIFY_WINDOW + 1)
            m.client.finalize_rejection(m.artist, job_id, worker)
        else:
            m.client.accept_results(m.artist, job_id, worker)
        return
    if roll < 0.6:
        # One silent verifier (slashed to the worker): before sealing, or once the results were
        # revealed; then a pass.
        if rng.random() < 0.5:
            seal(m, job_id, worker, verifier, "bafy-evidence-silent")
            reveal(m, job_id, worker)
        m.advance(VERIFY_WINDOW + 1)
        m.client.replace_verifier(m.artist, job_id, worker)
        verifier = draw(m, job_id, worker, drawer)
        attest(m, job_id, worker, verifier, True, "bafy-evidence")
        return
    if roll < 0.65:
        # Every round's verifier stays silent: the seat closes unverified.
        for _round in range(3):
            m.advance(VERIFY_WINDOW + 1)
            m.client.replace_verifier(drawer, job_id, worker)
            if _round < 2:
                draw(m, job_id, worker, drawer)
        return
    attest(m, job_id, worker, verifier, False, "bafy-evidence-fail")
    if roll < 0.8:
        m.advance(VERIFY_WINDOW + 1)
        m.client.finalize_rejection(m.artist, job_id, worker)
        return
    _dispute(m, rng, job_id, worker, worker, "bafy-appeal")


def _dispute(
    m: Market, rng: random.Random, job_id: int, worker: str, disputer: str, reason: str
) -> None:
    """`disputer` (the worker appealing a fail, the artist contesting a pass, anyone else
    challenging a pass) opens a dispute; the panel votes at random, and a member now and then
    seals nothing or never reveals."""
    m.client.open_dispute(disputer, job_id, worker, reason)
    m.mine(DRAW_DELAY + 1)
    m.client.draw_panel(m.artist, job_id, worker)
    members = panel_of(m, job_id, worker)
    # Drawn apart from `rng`: how many members sit on a panel depends on the chain's block hashes
    # (who was drawn, and slashed out of the pool, before), and `rng` must take the same paths on
    # every run of a seed.
    panel_rng = random.Random(f"{rng.random()}:{job_id}:{worker}")
    votes = {m_: panel_rng.random() < 0.5 for m_ in members if panel_rng.random() < 0.9}
    unrevealed = {member for member in votes if panel_rng.random() < 0.1}
    panel_votes(m, job_id, worker, votes, unrevealed)


# ---------------------------------------------------------------------------- comparisons


def assert_matches_chain(m: Market, db: Database) -> None:
    """Every job, seat, dispute and account in the database equals the contract's."""
    with db.session() as s:
        jobs = {j.job_id: j for j in s.scalars(select(JobView))}
        seats = {(x.job_id, x.worker): x for x in s.scalars(select(SeatView))}
        disputes = {(d.job_id, d.worker): d for d in s.scalars(select(DisputeView))}
        accounts = {a.address: a for a in s.scalars(select(AccountView))}
    assert sorted(jobs) == list(range(1, m.client.job_count() + 1))
    for job_id, view in jobs.items():
        chain = m.client.job(job_id)
        got = {
            "escrow": view.escrow,
            "fees_due": view.fees_due,
            "tile_count": view.tile_count,
            "open_seats": view.open_seats,
            "status": view.status,
            "artist": view.artist,
            "verify_fee_per_tile": view.verify_fee_per_tile,
            "bid_end": view.bid_end,
            "reveal_end": view.reveal_end,
            "max_price_per_tile": view.max_price_per_tile,
            "bid_bond": view.bid_bond,
            "commits": view.commits,
            "reveals": view.reveals,
            "render_deadline": view.render_deadline,
        }
        got |= {
            "root": view.root,
            "round": view.round,
            "latest": view.latest,
            "open_rounds": view.open_rounds,
        }
        want = {k: getattr(chain, k) for k in got if k != "status"}
        want["status"] = JOB_STATUSES[chain.status]
        assert got == want, f"job {job_id}"
        reoffer = m.client.reoffer_of(job_id)
        assert {
            "reserve": view.reserve,
            "max_price_per_tile": view.next_max_price_per_tile,
            "final_deadline": view.final_deadline,
            "rounds_left": view.rounds_left,
        } == {
            "reserve": reoffer.reserve,
            "max_price_per_tile": reoffer.max_price_per_tile,
            "final_deadline": reoffer.final_deadline,
            "rounds_left": reoffer.rounds_left,
        }, f"reserve and rules of job {job_id}"
        if view.root == 0:
            assert view.bid_window == reoffer.bid_window or reoffer.bid_window == 0
        assert [tuple(r) for r in view.unsold] == m.client.unsold_tiles(job_id), f"job {job_id}"
        assert [tuple(r) for r in view.offered] == m.client.offered_tiles(job_id), f"job {job_id}"
    for (job_id, worker), seat_view in seats.items():
        chain_seat = m.client.seat(job_id, worker)
        got = {
            "hash": seat_view.hash,
            "price_per_tile": seat_view.price_per_tile,
            "first_tile": seat_view.first_tile,
            "tile_count": seat_view.tile_count,
            "state": seat_view.state,
            "round": seat_view.round,
            "anchor_block": seat_view.anchor_block,
            "verifier": seat_view.verifier,
            "deadline": seat_view.deadline,
        }
        want = {k: getattr(chain_seat, k) for k in got if k not in ("state", "verifier")}
        want["state"] = SEAT_STATES[chain_seat.state]
        want["verifier"] = m.client.account_by_id(chain_seat.verifier_id)
        assert got == want, f"seat of {worker} in job {job_id}"
    for (job_id, worker), dispute_view in disputes.items():
        d = m.client.dispute(job_id, worker)
        members = [m.client.account_by_id(i) for i in (d.member0, d.member1, d.member2)]
        assert dispute_view.disputer == d.disputer
        assert dispute_view.bond == d.bond
        assert dispute_view.anchor_block == d.anchor_block
        assert dispute_view.deadline == d.deadline
        assert dispute_view.members == [x for x in members if x is not None]
        assert (
            dispute_view.votes_fraud,
            dispute_view.votes_honest,
            dispute_view.voted_mask,
            dispute_view.drawn,
            dispute_view.committed_mask,
        ) == (
            d.votes_fraud,
            d.votes_honest,
            d.voted_mask,
            d.drawn,
            d.committed_mask,
        )
        sealed = {
            voter: m.client.vote_commitment_of(job_id, worker, voter)
            for voter in dispute_view.commitments
        }
        assert {
            v: bytes.fromhex(h.removeprefix("0x")) for v, h in dispute_view.commitments.items()
        } == sealed
    for address, account_view in accounts.items():
        a = m.client.account(address)
        got = {
            "stake": account_view.stake,
            "balance": account_view.balance,
            "tiles_accepted": account_view.tiles_accepted,
            "tiles_rejected": account_view.tiles_rejected,
            "unstaking": account_view.unstaking,
            "unlock_at": account_view.unlock_at,
            "timeouts": account_view.timeouts,
            "slashes": account_view.slashes,
            "account_id": account_view.account_id,
            "backend": account_view.backend,
            "vram_mib": account_view.vram_mib,
        }
        assert got == {k: getattr(a, k) for k in got}, f"account {address}"
        assert account_view.balance == m.client.balance_of(address)
