"""A lazy verifier (an account the test drives) seals evidence it never rendered, then passes the
worker's tiles. A watching worker recomputes the verdict from that evidence, render-free, finds
that the pass contradicts it and challenges it; a panel of staked workers recomputes it too and
upholds the challenge: the lazy verifier is slashed to the challenger, whose bond comes back, and
the seat is verified again in a new round, where the worker reveals again to an honest verifier.

The worker's tiles stay hidden until its verifier has sealed: before the seal nothing names its
results list, which is not even on IPFS yet."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from render_worker.duties.recheck import CHALLENGE
from render_worker.settings import PricingPolicy
from render_worker.state.models import ChallengeRow
from render_worker.state.store import WorkerState
from tests.worker.conftest import Stack, dev_account, running_worker, tiny_job, wait_until
from tilefarm.adapters.chain import events as ev
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.verification import Evidence, EvidencePatch, claim_from_chain
from tilefarm.manifest import parse_manifest
from tilefarm.patches import select_patches
from tilefarm.pixels import write_exr

pytestmark = [pytest.mark.stack, pytest.mark.blender]

NEVER_BIDS = PricingPolicy(wei_per_render_second=10**30)
FALSE_ACCUSATION = 2


def _evidence_never_rendered(
    market: JobMarketClient, ipfs: KuboClient, job_id: int, worker: str, seed: str, tmp: Path
) -> str:
    """What a lazy verifier that knows the protocol seals: the very patches the seed selects,
    each a flat grey rectangle instead of a render."""
    claim = claim_from_chain(market, job_id, worker, seed)
    manifest = parse_manifest(ipfs.cat(claim.manifest_cid))
    patches = []
    for i, choice in enumerate(select_patches(claim.seed_bytes(), manifest, claim.assigned())):
        flat = np.full((choice.rect.height, choice.rect.width, 4), 0.37, dtype=np.float32)
        flat[..., 3] = 1.0
        path = write_exr(tmp / f"lazy-{i}.exr", flat)
        patches.append(EvidencePatch(choice=choice, render_cid=ipfs.add_file(path)))
    evidence = Evidence(
        job_id=job_id, worker=worker, manifest_cid=claim.manifest_cid,
        merkle_root=claim.merkle_root, first_tile=claim.first_tile, tile_count=claim.tile_count,
        seed=seed, patches=patches,
    )  # fmt: skip
    return evidence.publish(ipfs)


def _rechecks(state: WorkerState, job_id: int) -> list[ChallengeRow]:
    with state.session() as s:
        query = select(ChallengeRow).where(ChallengeRow.job_id == job_id)
        return list(s.scalars(query.order_by(ChallengeRow.id)))


def test_a_lazy_verifiers_pass_is_challenged_by_a_watching_worker_and_the_panel_upholds_it(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market, w3 = own_stack.market, own_stack.w3
    config = market.config()
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    lazy = dev_account(3)
    market.stake(lazy, config.min_stake)  # exactly: its slash takes it out of the pool
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 2), samples=2, windows=(5, 60),
        verification={"patch_size": 8, "patch_count": 4},
    )  # fmt: skip
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    job_id: int  # posted below
    of = lambda kind: [e for e in market.events(job_id=job_id) if isinstance(e, kind)]  # noqa: E731

    with running_worker(own_stack, tmp_path, 2) as worker:
        job_id, _ = market.post_job(artist, params, manifest_cid)
        wait_until(lambda: of(ev.VerifierDrawn), 120, "the worker to draw its verifier")
        (drawn,) = of(ev.VerifierDrawn)
        assert drawn.verifier == lazy.address  # the only other staked account
        # Blocks go by after the draw, and the worker keeps its tiles hidden: nothing names its
        # results list, which is not even on IPFS (only the worker knows its CID).
        head = w3.eth.block_number
        wait_until(lambda: w3.eth.block_number >= head + 6, 60, "six more blocks")
        job = worker.state.job(job_id)
        assert job is not None and job.results_cid is not None and job.stage == "committed"
        assert of(ev.ResultsRevealed) == []
        assert job.results_cid not in ipfs.pins()

        panel = [
            running_worker(own_stack, tmp_path, i, pricing=NEVER_BIDS, recheck_passes=False)
            for i in (5, 6, 7)
        ]
        with running_worker(own_stack, tmp_path, 4, pricing=NEVER_BIDS) as watcher:
            for member in panel:
                member.__enter__()
            try:
                evidence = _evidence_never_rendered(
                    market, ipfs, job_id, worker.me, drawn.seed, tmp_path
                )
                market.seal_evidence(lazy, job_id, worker.me, evidence)
                wait_until(lambda: of(ev.ResultsRevealed), 60, "the worker's reveal")
                market.attest(lazy, job_id, worker.me, True, evidence)
                wait_until(lambda: of(ev.DisputeResolved), 240, "the panel's verdict")
                # The seat is verified again: drawn, sealed, revealed again, attested.
                passes = lambda: [e for e in of(ev.ResultsAttested) if e.passed]  # noqa: E731
                wait_until(lambda: len(passes()) == 2, 240, "the new round's verdict")
                again = passes()[1]
                if again.verifier != watcher.me:  # the watcher rechecks this pass too
                    recheck = lambda: [r.stage for r in _rechecks(watcher.state, job_id)]  # noqa: E731
                    wait_until(lambda: recheck() == ["upheld", "agrees"], 60, "the recheck")
            finally:
                for member in panel:
                    member.__exit__(None, None, None)

    (sealed, resealed) = of(ev.EvidenceSealed)
    (revealed, revealed_again) = of(ev.ResultsRevealed)
    assert sealed.verifier == lazy.address and sealed.block_number < revealed.block_number
    assert revealed.results_cid == revealed_again.results_cid == job.results_cid
    assert resealed.block_number < revealed_again.block_number  # hidden again until the seal
    (lazy_pass, honest_pass) = of(ev.ResultsAttested)
    assert (lazy_pass.verifier, lazy_pass.evidence_cid) == (lazy.address, evidence)

    # The watcher challenged, with the recomputation as its reason, and not the worker.
    (opened,) = of(ev.DisputeOpened)
    assert opened.disputer == watcher.me
    reason = ipfs.cat(opened.reason_cid).decode()
    assert CHALLENGE in reason and "patches differ from the re-render" in reason
    (challenge,) = [r for r in _rechecks(watcher.state, job_id) if r.evidence_cid == evidence]
    assert challenge.stage == "upheld"
    # The panel (never the challenger) recomputed it too: every member voted "contradicted".
    (drawn_panel,) = of(ev.PanelDrawn)
    members = {m for m in drawn_panel.members if int(m, 16) != 0}
    assert watcher.me not in members and len(members) == 3
    votes = {e.voter: e.fraud for e in of(ev.VoteCast)}
    assert votes == dict.fromkeys(members, True)
    (resolved,) = of(ev.DisputeResolved)
    assert resolved.fraud and resolved.votes_fraud == 3

    # The lazy verifier lost its stake's share to the challenger, and left the pool.
    slashes = [e for e in market.events() if isinstance(e, ev.Slashed)]
    (slash,) = [e for e in slashes if e.worker == lazy.address]
    assert slash.reason == FALSE_ACCUSATION
    assert market.account(lazy.address).stake < config.min_stake
    (paid,) = of(ev.PanelPaid)
    fee = min(config.dispute_bond, slash.amount)
    assert paid.beneficiary == watcher.me and paid.fee_each == fee // 3
    assert market.balance_of(watcher.me) == (
        config.dispute_bond + slash.amount - fee + paid.remainder  # its bond back, the bounty
    )
    # A new round: another verifier, honest, passed the worker's tiles.
    (replaced,) = of(ev.VerifierReplaced)
    assert (replaced.silent_verifier, replaced.round) == (lazy.address, 1)
    assert honest_pass.verifier in members | {watcher.me} and honest_pass.passed
    assert market.seat(job_id, worker.me).state_name == "Accepted"
