"""Gas of one whole job on the JobMarket: `python -m bench.gas` prints JSON.

For each (tiles, workers) it starts nothing but its own anvil on a free port, deploys the market
from Brownie's build, stakes the workers (once per worker lifetime, so not counted), and then counts
every transaction of one job: post, one sealed bid commit and one reveal per worker, settle, one
result commitment per worker, one verifier draw per worker (each worker draws its own, earning the
bounty), per worker the verifier's evidence seal, the worker's reveal of its results list and
the verifier's attestation (blind verification), one release per worker after the contest window,
and the withdrawal of every balance the job created (workers, whose verifier fees ride on the same
balance, the artist's refund and the treasury's fee). It also measures an appeal, a re-check
challenge and one re-offer round (a late worker's tiles sold again and paid).
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from web3 import Web3

from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import deploy, market_plan
from tilefarm.adapters.chain.events import JobParams, PanelDrawn
from tilefarm.adapters.chain.records import MarketConfig
from tilefarm.adapters.chain.votes import vote_commitment
from tilefarm.adapters.paths import BUILD_DIR, NODE_BIN, TOOLS_BIN
from tilefarm.merkle import merkle_root, tile_leaf

SHAPES = ((16, 2), (64, 4), (256, 8))
TARGET = 2_500_000
GWEI = 10**9


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _anvil_bin() -> str:
    for candidate in (TOOLS_BIN / "anvil", NODE_BIN / "anvil"):
        if candidate.exists():
            return str(candidate)
    raise SystemExit("anvil not found: run `make setup`")


class Anvil:
    """An anvil of our own on a free loopback port, stopped on exit."""

    def __init__(self, accounts: int) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [_anvil_bin(), "--port", str(self.port), "--accounts", str(accounts),
             "--block-base-fee-per-gas", "0", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{self.port}"))
        deadline = time.monotonic() + 15
        while not self.w3.is_connected():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("anvil did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


CONFIG = dict(
    protocol_fee_bps=100, min_stake=10**18, unstake_delay=14 * 86_400, draw_delay=1,
    dispute_bond=10**17, fraud_slash_bps=5_000, late_slash_bps=1_000,
    false_accusation_slash_bps=2_500, silence_slash_bps=1_000, collateral_bps=10_000,
    bid_bond_bps=10, draw_bounty_bps=500,
)  # fmt: skip


def _deploy(
    chain: Anvil, staked: Sequence[str], build_dir: Path
) -> tuple[JobMarketClient, MarketConfig]:
    """The market from Brownie's build, deployed by the node's first account, the treasury its
    third; every account in `staked` stakes the minimum (not counted: once per worker lifetime)."""
    w3 = chain.w3
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    config = MarketConfig(treasury=accounts[2], **CONFIG)
    plan = market_plan(lambda _deployer: config.as_tuple())
    deployed = deploy(w3, accounts[0], build_dir, plan)
    market = JobMarketClient.from_deployments(w3, deployed, build_dir)
    for worker in staked:
        market.stake(worker, config.min_stake)
    return market, config


def measure(tiles: int, workers: int, build_dir: Path = BUILD_DIR) -> dict[str, Any]:
    """Gas of every counted transaction of one job with `tiles` tiles and `workers` winners."""
    chain = Anvil(accounts=workers + 3)
    try:
        w3 = chain.w3
        _deployer, artist, treasury, *crew = w3.eth.accounts[: workers + 3]
        market, config = _deploy(chain, crew, build_dir)

        gas: dict[str, int] = {}

        def count(step: str, used: int) -> None:
            gas[step] = gas.get(step, 0) + used

        params = JobParams(
            tile_count=tiles, frame_count=1, max_price_per_tile=1_000_000 * GWEI,
            verify_fee_per_tile=50_000 * GWEI, bid_bond=10_000_000 * GWEI, bid_window=600,
            reveal_window=600, render_window=3_600, verify_window=3_600,
        )  # fmt: skip
        job_id, receipt = market.post_job(
            artist, params, "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
        )
        count("post", receipt.gas_used)

        _bid(market, chain, job_id, crew, tiles // workers, count, artist)
        _verify_and_pay(market, chain, job_id, crew, count, params.verify_window)

        for who in [*crew, artist, treasury]:
            if market.balance_of(who) > 0:
                count("withdrawals", market.withdraw(who).gas_used)
        assert market.job(job_id).status_name == "Completed"
        held = w3.eth.get_balance(Web3.to_checksum_address(market.address))
        assert held == workers * config.min_stake
        total = sum(gas.values())
        return {
            "tiles": tiles, "workers": workers, "total_gas": total,
            "gas_per_tile": round(total / tiles, 1), "gas_per_worker": round(total / workers, 1),
            "steps": gas,
        }  # fmt: skip
    finally:
        chain.close()


def _bid(
    market: JobMarketClient,
    chain: Anvil,
    job_id: int,
    bidders: Sequence[str],
    share: int,
    count: Callable[[str, int], None],
    settler: str,
) -> None:
    """Every bidder seals a bid for `share` tiles just under the maximum, reveals it, and
    `settler` settles the round."""
    max_price = market.job(job_id).max_price_per_tile
    bids = {}
    for i, bidder in enumerate(bidders):
        price = max_price - (i + 1) * 1_000 * GWEI
        salt = secrets.token_bytes(32)
        bids[bidder] = (price, salt)
        commitment = bid_commitment(job_id, bidder, price, share, salt)
        count("commit_bids", market.commit_bid(bidder, job_id, commitment, share).gas_used)
    chain.advance(601)
    for bidder, (price, salt) in bids.items():
        count("reveal_bids", market.reveal_bid(bidder, job_id, price, share, salt).gas_used)
    chain.advance(601)
    count("settle", market.settle(settler, job_id, market.ranking(job_id)).gas_used)


def _verify_and_pay(
    market: JobMarketClient,
    chain: Anvil,
    job_id: int,
    workers: Sequence[str],
    count: Callable[[str, int], None],
    verify_window: int,
) -> None:
    """Each worker commits its results and draws its own verifier (for the bounty); each verifier
    seals its evidence, the worker reveals, the verifier passes; after the contest window every
    worker releases its own pay."""
    for worker in workers:
        seat = market.seat(job_id, worker)
        leaves = [
            tile_leaf(t, Web3.keccak(text=f"cid-{t}"), Web3.keccak(text=f"pixels-{t}"))
            for t in range(seat.first_tile, seat.first_tile + seat.tile_count)
        ]
        receipt = market.commit_results(worker, job_id, merkle_root(leaves))
        count("commit_results", receipt.gas_used)
    chain.advance(1)  # the last anchor block must be mined before its hash can be read
    for worker in workers:
        count("draw_verifiers", market.draw_verifier(worker, job_id, worker).gas_used)
    for worker in workers:
        verifier = market.verifier_of(job_id, worker)
        assert verifier is not None
        evidence = "bafkreievidencebafkreievidencebafkreievidencebafkreievide"
        count("seal_evidence", market.seal_evidence(verifier, job_id, worker, evidence).gas_used)
        results = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        count("reveal_results", market.reveal_results(worker, job_id, results).gas_used)
        count("attest", market.attest(verifier, job_id, worker, True, evidence).gas_used)
    chain.advance(verify_window + 1)  # the contest window closes
    for worker in workers:
        count("release", market.release(worker, job_id, worker).gas_used)


def measure_reoffer(build_dir: Path = BUILD_DIR) -> dict[str, Any]:
    """Gas of one re-offer round: a 64-tile job sold to 4 workers, one of which never commits.
    Counted: the late claim that returns its 16 tiles, the `reoffer` that opens the round, and the
    round run like a job by 2 other workers (bids, settle, results, draws, blind verification,
    release); the first round's own costs are not counted."""
    chain = Anvil(accounts=7)
    try:
        w3 = chain.w3
        accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
        _deployer, artist, _treasury, *crew = accounts[:7]
        market, _config = _deploy(chain, crew, build_dir)
        final_deadline = int(w3.eth.get_block("latest")["timestamp"]) + 30 * 86_400
        params = JobParams(
            tile_count=64, frame_count=1, max_price_per_tile=1_000_000 * GWEI,
            verify_fee_per_tile=50_000 * GWEI, bid_bond=10_000_000 * GWEI, bid_window=600,
            reveal_window=600, render_window=3_600, verify_window=3_600, max_rounds=2,
            final_deadline=final_deadline,
        )  # fmt: skip
        job_id, _ = market.post_job(artist, params, "bafy-reoffer")
        _bid(market, chain, job_id, crew, 16, lambda k, g: None, artist)
        late, honest = crew[0], crew[1:]
        _verify_and_pay(market, chain, job_id, honest, lambda k, g: None, params.verify_window)
        gas: dict[str, int] = {}

        def count(step: str, used: int) -> None:
            gas[step] = gas.get(step, 0) + used

        count("claim_late", market.claim_late(artist, job_id, late).gas_used)
        round_id, receipt = market.reoffer(honest[0], job_id)
        count("reoffer", receipt.gas_used)
        _bid(market, chain, round_id, honest[:2], 8, count, artist)
        _verify_and_pay(market, chain, round_id, honest[:2], count, params.verify_window)
        assert market.job(job_id).status_name == "Completed", market.job(job_id)
        return {"tiles": 16, "workers": 2, "total_gas": sum(gas.values()), "steps": gas}
    finally:
        chain.close()


def measure_dispute(build_dir: Path = BUILD_DIR, challenge: bool = False) -> dict[str, Any]:
    """Gas of an appeal: a 4-tile job with one worker whose verifier attests a failure, the
    worker's dispute, the panel's draw, three sealed votes and their reveals, and the resolution
    (the panel finds the work honest, so the worker is paid at once and the panel is paid).
    With `challenge`, the gas of a re-check instead: the verifier passes, a third party challenges
    the pass as contradicting its evidence, and the panel upholds it (the verifier is slashed to
    the challenger and the seat goes to a new round)."""
    chain = Anvil(accounts=9)
    try:
        w3 = chain.w3
        accounts: list[str] = list(w3.eth.accounts[:9])
        artist, worker, others = accounts[1], accounts[3], accounts[4:]
        market, _config = _deploy(chain, [worker, *others], build_dir)
        params = JobParams(
            tile_count=4, frame_count=1, max_price_per_tile=1_000_000 * GWEI,
            verify_fee_per_tile=50_000 * GWEI, bid_bond=10_000_000 * GWEI, bid_window=600,
            reveal_window=600, render_window=3_600, verify_window=3_600,
        )  # fmt: skip
        job_id, _ = market.post_job(artist, params, "bafy-dispute")
        salt = secrets.token_bytes(32)
        price = params.max_price_per_tile
        market.commit_bid(worker, job_id, bid_commitment(job_id, worker, price, 4, salt), 4)
        chain.advance(601)
        market.reveal_bid(worker, job_id, price, 4, salt)
        market.settle(artist, job_id, [worker])
        leaves = [
            tile_leaf(t, Web3.keccak(text=f"c{t}"), Web3.keccak(text=f"p{t}")) for t in range(4)
        ]
        market.commit_results(worker, job_id, merkle_root(leaves))
        chain.advance(1)
        chain.advance(1)  # the anchor block is mined and a later one reads its hash
        market.draw_verifier(worker, job_id, worker)
        verifier = market.verifier_of(job_id, worker)
        assert verifier is not None
        market.seal_evidence(verifier, job_id, worker, "bafkreievidence")
        market.reveal_results(worker, job_id, "bafkreiresults")
        gas: dict[str, int] = {}
        if challenge:
            gas["attest_pass"] = market.attest(
                verifier, job_id, worker, True, "bafkreievidence"
            ).gas_used
            disputer = others[-1] if others[-1] != verifier else others[-2]
            reason = "bafkreichallenge"
        else:
            gas["attest_fail"] = market.attest(
                verifier, job_id, worker, False, "bafkreievidence"
            ).gas_used
            disputer, reason = worker, "bafkreiappeal"
        gas["open_dispute"] = market.open_dispute(disputer, job_id, worker, reason).gas_used
        chain.advance(1)
        chain.advance(1)
        gas["draw_panel"] = market.draw_panel(disputer, job_id, worker).gas_used
        drawn = next(e for e in market.events(job_id=job_id) if isinstance(e, PanelDrawn))
        members = [m for m in drawn.members if int(m, 16) != 0]
        salts = {m: secrets.token_bytes(32) for m in members}
        vote = challenge  # a challenge is upheld by "fraud" votes, an appeal by "honest" ones
        gas["commit_votes"] = sum(
            market.commit_vote(
                m,
                job_id,
                worker,
                vote_commitment(job_id, worker, m, vote, salts[m], "bafkreivote"),
            ).gas_used
            for m in members
        )
        gas["reveal_votes"] = sum(
            market.reveal_vote(m, job_id, worker, vote, salts[m], "bafkreivote").gas_used
            for m in members
        )
        gas["resolve_and_pay"] = market.resolve_dispute(worker, job_id, worker).gas_used
        expected = "Submitted" if challenge else "Paid"
        assert market.seat(job_id, worker).state_name == expected
        return {"total_gas": sum(gas.values()), "steps": gas}
    finally:
        chain.close()


def main() -> int:
    build_dir = Path(os.environ.get("TILEFARM_BUILD_DIR", BUILD_DIR))
    results = [measure(t, w, build_dir) for t, w in SHAPES]
    big = next(r for r in results if (r["tiles"], r["workers"]) == (256, 8))
    report = {
        "target_256x8": TARGET,
        "within_target": big["total_gas"] <= TARGET,
        "jobs": results,
        "dispute": measure_dispute(build_dir),
        "recheck_challenge": measure_dispute(build_dir, challenge=True),
        "reoffer_round": measure_reoffer(build_dir),
    }
    print(json.dumps(report, indent=2))
    return 0 if report["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
