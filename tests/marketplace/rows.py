"""Index rows made by hand, with every column filled (a job that completed, a seat that was
paid), for tests of what the server makes of its index without a chain behind it."""

from typing import Any

from web3 import Web3

from marketplace.db.chain_models import JobView, SeatView

BIG = 2**200 + 7  # more than any database integer holds
ARTIST = Web3.to_checksum_address("0x" + "a1" * 20)
WORKER = Web3.to_checksum_address("0x" + "b2" * 20)
VERIFIER = Web3.to_checksum_address("0x" + "c3" * 20)
MEMBERS = [Web3.to_checksum_address("0x" + f"{k}d" * 20) for k in range(1, 4)]
ROOT = "0x" + "ab" * 32
SEED = "0x" + "5e" * 32
MARKET = Web3.to_checksum_address("0x" + "4d" * 20)


def job_row(job_id: int, **changes: Any) -> JobView:
    """A posted job that completed (8 tiles in 2 frames), but for `changes`."""
    fields: dict[str, Any] = dict(
        job_id=job_id, artist=ARTIST, manifest_cid="bafy-manifest", status="Completed",
        tile_count=8, frame_count=2, max_price_per_tile=BIG, verify_fee_per_tile=10**13,
        bid_bond=10**15, bid_window=60, reveal_window=60, render_window=600, verify_window=300,
        deposit=123, escrow=0, fees_due=0, open_seats=0, commits=2, reveals=2, bid_end=100,
        reveal_end=200, render_deadline=900, posted_block=5, posted_at=1_700_000_000,
        updated_block=40, root=0, round=0, latest=0, open_rounds=0, max_rounds=2, rounds_left=1,
        final_deadline=5000, reserve=0, next_max_price_per_tile=10**14, unsold=[[6, 2]],
        offered=[],
    )  # fmt: skip
    return JobView(**{**fields, **changes})


def seat_row(job_id: int, worker: str, state: str, **changes: Any) -> SeatView:
    """`worker`'s seat of 6 tiles in job `job_id`, verified and paid, in `state`, but for
    `changes`."""
    fields: dict[str, Any] = dict(
        job_id=job_id, worker=worker, state=state, commitment="0x" + "c0" * 32, hash=ROOT,
        declared_tiles=6, collateral=6 * BIG, price_per_tile=10**14, bid_tiles=6, first_tile=0,
        tile_count=6, round=1, anchor_block=20, verifier=VERIFIER, deadline=700,
        merkle_root=ROOT, evidence_seal="0x" + "e5" * 32, results_cid="bafy-results", seed=SEED,
        attested_by=VERIFIER, passed=True, evidence_cid="bafy-evidence", committed_block=10,
        payment=6 * 10**14, verifier_fee=6 * 10**13, slashed=0,
    )  # fmt: skip
    return SeatView(**{**fields, **changes})
