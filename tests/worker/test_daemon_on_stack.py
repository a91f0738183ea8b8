"""Two workers on the real stack (anvil, Kubo, the deployed market, Blender): they bid, the cheaper
wins the tiles it asked for, both render and commit, verify each other blind (each seals evidence
before the other reveals its tiles), get paid, withdraw."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from render_worker.settings import PricingPolicy
from tests.drills.ledger import completed_once_released
from tests.worker.conftest import Stack, running_worker, tiny_job, wait_until
from tilefarm.adapters.chain.events import (
    EvidenceSealed,
    JobCompleted,
    ResultsAccepted,
    ResultsAttested,
    ResultsCommitted,
    ResultsRevealed,
    VerifierDrawn,
    Withdrawn,
)
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.verification import load_evidence
from tilefarm.manifest import parse_manifest
from tilefarm.patches import select_patches
from tilefarm.pixels import pixel_hash, read_exr
from tilefarm.results import ResultsList

pytestmark = [pytest.mark.stack, pytest.mark.blender]

ETH = 10**18


@pytest.fixture
def workers(own_stack: Stack, block_producer: None, tmp_path: Path) -> Iterator[tuple[str, str]]:
    cheap = PricingPolicy(wei_per_render_second=10**12, max_queue_tiles=5)
    dear = PricingPolicy(wei_per_render_second=3 * 10**12, max_queue_tiles=64)
    with (
        running_worker(own_stack, tmp_path, 2, auto_withdraw_wei=1, pricing=cheap) as first,
        running_worker(own_stack, tmp_path, 3, auto_withdraw_wei=1, pricing=dear) as second,
    ):
        yield first.me, second.me


def test_the_cheaper_worker_wins_its_tiles_both_render_commit_verify_and_get_paid(
    own_stack: Stack, workers: tuple[str, str], tmp_path: Path
) -> None:
    cheap, dear = workers
    market, w3 = own_stack.market, own_stack.w3
    accounts: Sequence[str] = w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)

    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(64, 48), grid=(4, 2), samples=4, windows=(8, 60),
        verification={"patch_size": 8, "patch_count": 6},
    )  # fmt: skip
    deposit = market.quote(8, params.max_price_per_tile, params.verify_fee_per_tile)
    job_id, _ = market.post_job(artist, params, manifest_cid)

    # The artist pays the accepted seats at once, waiving its contest window.
    wait_until(lambda: completed_once_released(market, job_id), 240, "the job to complete")

    cheap_seat, dear_seat = market.seat(job_id, cheap), market.seat(job_id, dear)
    assert (cheap_seat.first_tile, cheap_seat.tile_count) == (0, 5)  # what it asked for
    assert (dear_seat.first_tile, dear_seat.tile_count) == (5, 3)  # the rest
    assert cheap_seat.price_per_tile < dear_seat.price_per_tile

    events = market.events(job_id=job_id)
    commits = {e.worker: e for e in events if isinstance(e, ResultsCommitted)}
    assert set(commits) == {cheap, dear}  # each committed once
    reveals = {e.worker: e for e in events if isinstance(e, ResultsRevealed)}
    for worker, commit in commits.items():
        results = ResultsList.model_validate_json(ipfs.cat(reveals[worker].results_cid))
        assert "0x" + results.root().hex() == commit.merkle_root
        for tile in results.tiles:
            path = ipfs.cat_to_file(tile.cid, tmp_path / "check" / f"{tile.index}.exr")
            assert pixel_hash(read_exr(path)) == tile.pixel_hash
    drawn = {e.worker: e.verifier for e in events if isinstance(e, VerifierDrawn)}
    assert drawn == {cheap: dear, dear: cheap}  # the only other staked account
    accepted = {e.worker: e for e in events if isinstance(e, ResultsAccepted)}
    assert accepted[cheap].payment == 5 * cheap_seat.price_per_tile
    assert accepted[dear].payment == 3 * dear_seat.price_per_tile

    # Both workers withdraw on their own (auto_withdraw); the artist withdraws its refund.
    # Each drew its own verifier (the draw bounty) and verified the other (the rest of its fee).
    fee = params.verify_fee_per_tile
    bounty = {
        w: n * fee * market.config().draw_bounty_bps // 10_000 for w, n in ((cheap, 5), (dear, 3))
    }
    expected = {
        cheap: 5 * cheap_seat.price_per_tile
        + bounty[cheap]
        + 3 * fee
        - bounty[dear]
        + params.bid_bond,
        dear: 3 * dear_seat.price_per_tile
        + bounty[dear]
        + 5 * fee
        - bounty[cheap]
        + params.bid_bond,
    }

    def withdrawn(who: str) -> int:
        return sum(
            e.amount for e in market.events() if isinstance(e, Withdrawn) and e.account == who
        )

    wait_until(
        lambda: all(withdrawn(w) == amount for w, amount in expected.items()), 60, "withdrawals"
    )
    completed = next(e for e in market.events(job_id=job_id) if isinstance(e, JobCompleted))
    paid = 5 * cheap_seat.price_per_tile + 3 * dear_seat.price_per_tile
    market.withdraw(artist)
    assert withdrawn(artist) == deposit - paid - 8 * fee - completed.protocol_fee
    assert market.balance_of(cheap) == market.balance_of(dear) == market.balance_of(artist) == 0


def test_each_worker_revealed_only_after_its_verifier_sealed_evidence_rendered_blind(
    own_stack: Stack,
) -> None:
    """Runs after the job above: per seat, commit -> draw -> seal -> reveal -> attest, each once,
    the attested evidence is the sealed one, and it holds the seed's patches and no tile."""
    market = own_stack.market
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    events = market.events(job_id=1)
    order = (ResultsCommitted, VerifierDrawn, EvidenceSealed, ResultsRevealed, ResultsAttested)
    for worker in {e.worker for e in events if isinstance(e, ResultsCommitted)}:
        steps = [e for e in events if isinstance(e, order) and e.worker == worker]
        assert [type(e) for e in steps] == list(order)  # each once, in this order
        blocks = [(e.block_number, e.log_index) for e in steps]
        assert blocks == sorted(blocks)
        committed, drawn, sealed, attested = steps[0], steps[1], steps[2], steps[4]
        assert isinstance(committed, ResultsCommitted) and isinstance(drawn, VerifierDrawn)
        assert isinstance(sealed, EvidenceSealed)
        assert isinstance(attested, ResultsAttested) and attested.passed
        assert sealed.verifier == attested.verifier == drawn.verifier
        seal = evidence_seal(1, worker, sealed.verifier, attested.evidence_cid)
        assert "0x" + seal.hex() == sealed.seal  # it attested the evidence it sealed unseen
        evidence = load_evidence(ipfs, attested.evidence_cid)
        assert evidence.seed == drawn.seed and evidence.merkle_root == committed.merkle_root
        manifest = parse_manifest(ipfs.cat(evidence.manifest_cid))
        seat = market.seat(1, worker)
        chosen = select_patches(
            bytes.fromhex(drawn.seed[2:]), manifest,
            list(range(seat.first_tile, seat.first_tile + seat.tile_count)),
        )  # fmt: skip
        key = lambda c: c.model_dump_json()  # noqa: E731
        assert sorted((p.choice for p in evidence.patches), key=key) == sorted(chosen, key=key)
        assert all(p.render_cid for p in evidence.patches)
        revealed = steps[3]
        assert isinstance(revealed, ResultsRevealed)
        assert revealed.results_cid not in evidence.model_dump_json()  # rendered before the reveal


def test_anyone_can_recheck_the_job_with_tilefarm_verify(own_stack: Stack) -> None:
    """Runs after the job above: the same check as the verifiers, from the chain and IPFS."""
    import json
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "tilefarm"
    result = subprocess.run(
        [str(cli), "verify", "1", "--json", "--rpc-url", str(own_stack.status.rpc_url),
         "--ipfs-api-url", str(own_stack.status.ipfs_api_url),
         "--deployments", str(own_stack.deployments_file)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert len(reports) == 2
    assert all(r["passed"] and r["seed_from_chain"] for r in reports)
    assert all(len(r["patches"]) == 6 for r in reports)
