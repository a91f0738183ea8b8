"""A lazy verifier's pass is challenged by a stranger as contradicting its own sealed evidence, and
the job page shows it live: the tiles turn "challenged", the dispute says what is asked, the
panel upholds the challenge, the timeline tells the verifier was replaced for a pass its evidence
contradicted, and the cost shows what the challenger was credited. The test drives every account
itself (no worker runs) and leaves the verifier pool as it found it: the other tests' real workers
must be the only accounts drawn."""

import os

import pytest
from eth_utils.crypto import keccak
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, screenshot
from tests.worker.conftest import Stack
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobParams, PanelDrawn
from tilefarm.adapters.chain.votes import vote_commitment
from tilefarm.merkle import merkle_root, tile_leaf

pytestmark = [pytest.mark.browser, pytest.mark.stack]

TILES = 2
WORKERS = (2, 3)  # the real workers of the other tests: staked, not running here
# Staked for this test only (a worker, its verifiers and a panel even when the real workers never
# staked), unstaked at its end; later tests stake 6 and 7 again for roles of their own.
EXTRA = (4, 5, 6, 7, 8)


def _advance(stack: Stack, seconds: int) -> None:
    stack.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    stack.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _mine(stack: Stack, blocks: int) -> None:
    stack.w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


def _verify(market: JobMarketClient, stack: Stack, artist: str, job_id: int, worker: str) -> str:
    """Draw a verifier, which seals evidence (made up: nobody checks it here), let the worker
    reveal, and pass; returns the verifier."""
    _mine(stack, market.config().draw_delay + 1)
    market.draw_verifier(artist, job_id, worker)
    verifier = market.verifier_of(job_id, worker)
    assert verifier is not None
    evidence = f"bafy-evidence-{job_id}-{market.seat(job_id, worker).round}"
    market.seal_evidence(verifier, job_id, worker, evidence)
    market.reveal_results(worker, job_id, f"bafy-results-{job_id}")
    market.attest(verifier, job_id, worker, True, evidence)
    return verifier


def test_a_challenged_pass_shows_live_on_the_job_page(
    page: Page, server: Server, browser_stack: Stack
) -> None:
    stack, market = browser_stack, browser_stack.market
    config = market.config()
    pool = market.pool_size()
    real = [dev_account(i).address for i in WORKERS]
    eligible = [w for w in real if market.account(w).stake >= config.min_stake]
    extra = [dev_account(i).address for i in EXTRA]
    for who in extra:
        short = config.min_stake - market.account(who).stake
        if short > 0:
            market.stake(who, short)
    artist, challenger, worker = dev_account(1).address, dev_account(0).address, extra[0]
    params = JobParams(
        tile_count=TILES, frame_count=1, max_price_per_tile=10**15, verify_fee_per_tile=10**13,
        bid_bond=10**14, bid_window=60, reveal_window=60, render_window=600, verify_window=600,
    )  # fmt: skip
    job_id, _ = market.post_job(artist, params, "bafy-no-manifest")
    salt = os.urandom(32)
    market.commit_bid(worker, job_id, bid_commitment(job_id, worker, 10**14, TILES, salt), TILES)
    _advance(stack, 61)
    market.reveal_bid(worker, job_id, 10**14, TILES, salt)
    _advance(stack, 61)
    market.settle(artist, job_id)
    leaves = [tile_leaf(t, keccak(text=f"cid-{t}"), keccak(text=f"px-{t}")) for t in range(TILES)]
    market.commit_results(worker, job_id, merkle_root(leaves))
    _verify(market, stack, artist, job_id, worker)
    market.open_dispute(challenger, job_id, worker, "bafy-the-pass-contradicts-its-evidence")

    page.goto(f"{server.url}/#/jobs/{job_id}")
    expect(page.locator("#tiles li.tile[data-state=challenged]")).to_have_count(TILES)
    dispute = page.locator("#disputes .dispute[data-kind=challenge]")
    expect(dispute.locator("h3")).to_contain_text("contradict the verifier's own sealed evidence")
    expect(page.locator("#timeline li[data-event=EvidenceSealed]")).to_contain_text(
        "without seeing"
    )
    expect(page.locator("#timeline li[data-event=DisputeOpened]")).to_contain_text("challenged")

    # A panel (never the challenger) finds the pass contradicted, unanimously.
    _mine(stack, config.draw_delay + 1)
    market.draw_panel(artist, job_id, worker)
    drawn = [e for e in market.events(job_id=job_id) if isinstance(e, PanelDrawn)]
    members = [m for m in drawn[-1].members if int(m, 16) != 0]
    assert len(members) == 3 and challenger not in members
    salts = {m: os.urandom(32) for m in members}
    for m in members:
        sealed = vote_commitment(job_id, worker, m, True, salts[m], "")
        market.commit_vote(m, job_id, worker, sealed)
    for m in members:
        market.reveal_vote(m, job_id, worker, True, salts[m], "")
    market.resolve_dispute(artist, job_id, worker)
    assert market.seat(job_id, worker).state_name == "Submitted"  # to be verified again

    expect(dispute.locator("p")).to_contain_text("Verdict: contradicted", timeout=30_000)
    expect(dispute).to_contain_text("Left to the challenger")
    expect(dispute.locator("li[data-state=fraud]")).to_have_count(3)
    expect(dispute.locator("li[data-state=fraud]").first).to_contain_text("Revealed: contradicted")
    expect(page.locator("#tiles li.tile[data-state=verifying]")).to_have_count(TILES)
    expect(page.locator("#timeline li[data-event=DisputeResolved]")).to_contain_text(
        "Challenge upheld"
    )
    expect(page.locator("#timeline li[data-event=VerifierReplaced]")).to_contain_text(
        "contradicted its own evidence"
    )
    expect(page.locator("#money-challengers")).to_be_visible()
    expect(page.locator("#money-challengers")).not_to_have_text("0 ETH")
    screenshot(page, "job-page-challenge.png")

    # Verified again, and paid by the artist at once: the job completes, nobody stays locked.
    _verify(market, stack, artist, job_id, worker)
    market.accept_results(artist, job_id, worker)
    expect(page.locator("#tiles li.tile[data-state=paid]")).to_have_count(TILES, timeout=30_000)
    assert market.job(job_id).status_name == "Completed"
    for who in extra:
        stake = market.account(who).stake
        if stake:
            market.request_unstake(who, stake)
    for who in eligible:  # a real worker drawn and slashed here must still be able to bid
        short = config.min_stake - market.account(who).stake
        if short > 0:
            market.stake(who, short)
    assert market.pool_size() == pool, "the verifier pool is not as the test found it"
