"""The only worker of a job wins its tiles and never delivers: once the render deadline passes,
the artist's job page offers to claim the late seat, and claiming it slashes the worker and, the
job having no re-offer rounds, gives the artist the whole escrow and the slash back (nobody else
would claim it: a job's other workers claim late seats, and this job has none). With rounds, the
tiles go on sale again instead: tests/browser/test_reoffer_rounds.py.

A seat can also end before its deadline: a GPU worker whose GPU ran out of memory gives it back
(`abandonSeat`), which costs what a late seat costs, and the job page says why in words. That job
is posted with the form's hardware group set (any GPU, a minimum of GPU memory, no CPU fallback),
which the stored manifest and the job page show; its GPU memory starts at no minimum, the scene's
estimate offered beside it."""

import os
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.form import TINY_JOB, fill_job, upload
from tests.worker.conftest import Stack
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobCompleted, SeatAbandoned, WorkerTimedOut
from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.blender]

VANISHING = dev_account(6)
# Staked at the minimum for its seat only: the slash takes it out of the verifier pool again.
GPU_WORKER = dev_account(8)
OUT_OF_MEMORY = "a worker's GPU ran out of memory"


def test_an_artist_claims_the_seat_of_a_worker_that_never_delivered_and_gets_the_escrow_back(
    page: Page, browser_stack: Stack, tiny_scene: Path
) -> None:
    market, w3 = browser_stack.market, browser_stack.w3
    if market.account(VANISHING.address).stake < market.config().min_stake:
        market.stake(VANISHING.address, market.config().min_stake)
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)
    fill_job(
        page,
        {
            **TINY_JOB,
            "Sealed bids for": "10",
            "Reveals for": "30",
            "Rendering within": "8",
            "Re-offer rounds": "0",
        },
    )
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    job = market.job(job_id)
    deposit, credit_before = job.escrow, market.balance_of(job.artist)

    # The worker bids for every tile, reveals, settles, and is never heard from again.
    price, salt = job.max_price_per_tile, os.urandom(32)
    commitment = bid_commitment(job_id, VANISHING.address, price, job.tile_count, salt)
    market.commit_bid(VANISHING.address, job_id, commitment, job.tile_count)
    while w3.eth.get_block("latest")["timestamp"] <= job.bid_end:
        time.sleep(0.2)
    market.reveal_bid(VANISHING.address, job_id, price, job.tile_count, salt)
    market.settle(VANISHING.address, job_id)
    assert market.seat(job_id, VANISHING.address).state_name == "Assigned"

    claim = page.get_by_role("button", name="Claim the late seat")
    expect(claim).to_be_visible(timeout=30_000)  # from the moment the render deadline passes
    assert w3.eth.get_block("latest")["timestamp"] >= market.job(job_id).render_deadline
    expect(page.locator("#late-seats")).to_contain_text(VANISHING.address[:6])
    claim.click()

    expect(page.locator("#timeline li[data-event=WorkerTimedOut]")).to_be_visible(timeout=30_000)
    expect(page.locator("#tiles li.tile[data-state=missing]")).to_have_count(job.tile_count)
    expect(claim).to_have_count(0, timeout=10_000)
    assert market.seat(job_id, VANISHING.address).state_name == "TimedOut"
    events = market.events(job_id=job_id)
    (timed_out,) = [e for e in events if isinstance(e, WorkerTimedOut)]
    assert timed_out.slashed > 0
    assert any(isinstance(e, JobCompleted) for e in events)
    assert market.balance_of(job.artist) == credit_before + deposit + timed_out.slashed


def test_a_seat_given_back_because_its_gpu_ran_out_of_memory_says_so_on_the_job_page(
    page: Page, server: Server, browser_stack: Stack, tiny_scene: Path
) -> None:
    market, w3 = browser_stack.market, browser_stack.w3
    worker = GPU_WORKER.address
    short = market.config().min_stake - market.account(worker).stake
    if short > 0:
        market.stake(worker, short)
    market.declare_hardware(worker, BACKEND_CODES["CUDA"], 8_192)
    upload(page, str(tiny_scene))
    expect(page.locator("#scene-facts")).to_be_visible(timeout=90_000)

    # The hardware group: no minimum of GPU memory unless the artist asks (GPU workers that could
    # not measure theirs declare 0 MiB), the scene's estimate beside it, one click away.
    cid = page.locator("#scene-facts dd[data-fact=cid]").inner_text()
    suggested = httpx.get(f"{server.url}/api/scenes/{cid}").json()["min_vram_mib"]
    assert suggested > 0
    vram = page.get_by_label("Minimum GPU memory (MiB)", exact=True)
    assert vram.input_value() == "0"
    expect(page.locator("#vram-estimate")).to_contain_text("an estimate, not a promise")
    expect(page.locator("#vram-estimate")).to_contain_text(f"about {suggested:,} MiB")
    expect(page.locator("#vram-estimate")).to_contain_text("Left at 0, every GPU worker may bid")
    page.get_by_role("button", name=f"Use the estimate ({suggested:,} MiB)").click()
    expect(vram).to_have_value(str(suggested))
    fallback = page.get_by_label("Allow a worker to finish on its CPU if its GPU fails")
    expect(fallback).to_be_checked()
    fill_job(
        page,
        {
            **TINY_JOB,
            "Sealed bids for": "10",
            "Reveals for": "10",
            "Re-offer rounds": "0",
            "Minimum GPU memory (MiB)": "2048",
        },
    )
    page.get_by_label("Backend", exact=True).select_option("GPU")
    fallback.uncheck()
    page.get_by_role("button", name="Post job and pay").click()
    page.wait_for_url("**/#/jobs/*", timeout=60_000)
    job_id = int(page.url.rsplit("/", 1)[1])
    job = market.job(job_id)
    requirements = page.locator("#job-requirements")  # read from the job's stored manifest
    expect(requirements).to_contain_text("Any GPU with at least 2,048 MiB on a GPU")
    expect(requirements).to_contain_text("GPU renders only")
    manifest_cid = httpx.get(f"{server.url}/api/jobs/{job_id}").json()["manifest_cid"]
    stored = httpx.get(f"{server.url}/api/manifests/{manifest_cid}").json()["manifest"]
    assert stored["requirements"] == {"backend": "GPU", "min_vram_mib": 2048, "cpu_fallback": False}

    # The GPU worker wins every tile, then its GPU runs out of memory: it gives the seat back at
    # once, long before the render deadline.
    price, salt = job.max_price_per_tile, os.urandom(32)
    commitment = bid_commitment(job_id, worker, price, job.tile_count, salt)
    market.commit_bid(worker, job_id, commitment, job.tile_count)
    while w3.eth.get_block("latest")["timestamp"] <= job.bid_end:
        time.sleep(0.2)
    market.reveal_bid(worker, job_id, price, job.tile_count, salt)
    market.settle(worker, job_id)
    market.abandon_seat(worker, job_id, AbandonCause.GPU_OUT_OF_MEMORY)

    expect(page.locator("#timeline li[data-event=SeatAbandoned]")).to_contain_text(OUT_OF_MEMORY)
    expect(page.locator(f"#given-back li[data-worker='{worker}']")).to_contain_text(OUT_OF_MEMORY)
    tiles = page.locator("#tiles li.tile")
    expect(tiles).to_have_count(job.tile_count)
    expect(tiles.first).to_have_attribute("title", re.compile(f"gave it back: {OUT_OF_MEMORY}"))
    expect(page.locator("#tiles li.tile[data-state=missing]")).to_have_count(job.tile_count)
    expect(page.get_by_role("button", name="Claim the late seat")).to_have_count(0)
    assert market.seat(job_id, worker).state_name == "TimedOut"
    (given,) = [e for e in market.events(job_id=job_id) if isinstance(e, SeatAbandoned)]
    assert (given.cause, given.slashed > 0) == (AbandonCause.GPU_OUT_OF_MEMORY, True)

    # The worker's page: the hardware it declared, and the seat it gave back with its cause.
    page.goto(f"{server.url}/#/workers/{worker}")
    expect(page.locator("#worker-hardware")).to_contain_text("CUDA, 8,192 MiB")
    expect(page.locator("#worker-detail td[data-cause='1']")).to_contain_text(OUT_OF_MEMORY)
