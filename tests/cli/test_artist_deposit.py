"""The deposit `tilefarm submit` signs for is bounded here, by the protocol's own arithmetic,
never taken on a market's word: plain functions, no chain."""

import pytest

from tilefarm.adapters.chain.events import JobParams
from tilefarm_cli.artist.deposit import checked_deposit, deposit_bound, parse_percent
from tilefarm_cli.artist.errors import MarketRefused
from tilefarm_cli.artist.job_params import BadChoice

MILLI, MICRO = 10**15, 10**12


def params(tiles: int = 6, max_price: int = MILLI, verify_fee: int = MICRO) -> JobParams:
    return JobParams(
        tile_count=tiles, frame_count=1, max_price_per_tile=max_price,
        verify_fee_per_tile=verify_fee, bid_bond=10**14, bid_window=60, reveal_window=60,
        render_window=3600, verify_window=1800, max_rounds=0, final_deadline=0,
    )  # fmt: skip


def test_a_job_costs_at_most_its_tiles_at_the_maximum_price_with_fee_and_verifier_fee() -> None:
    # 1 % of 0.001 ETH is 0.00001 ETH a tile.
    assert deposit_bound(6, MILLI, MICRO, 100) == 6 * (MILLI + MILLI // 100 + MICRO)
    # The fee is rounded down per tile, as the contract's _feePerTile does.
    assert deposit_bound(3, 199, 0, 100) == 3 * (199 + 1)
    assert deposit_bound(3, 99, 5, 100) == 3 * (99 + 0 + 5)


def test_the_markets_quote_is_taken_when_it_is_what_the_job_can_cost() -> None:
    job = params()
    bound = deposit_bound(6, MILLI, MICRO, 100)
    assert checked_deposit(bound, job, fee_bps=100, max_fee_bps=500) == bound


def test_a_quote_above_what_the_job_can_cost_is_refused_naming_both_amounts() -> None:
    job = params()
    bound = deposit_bound(6, MILLI, MICRO, 100)
    with pytest.raises(MarketRefused) as caught:
        checked_deposit(bound + 1, job, fee_bps=100, max_fee_bps=500)
    said = str(caught.value)
    assert "0.006066000000000001 ETH" in said and "at most 0.006066 ETH" in said
    assert "nothing was signed" in said


def test_a_protocol_fee_above_what_the_artist_accepts_is_refused() -> None:
    job = params()
    with pytest.raises(MarketRefused, match=r"protocol fee of 10 %.*more than the 5 % you accept"):
        checked_deposit(deposit_bound(6, MILLI, MICRO, 1_000), job, fee_bps=1_000, max_fee_bps=500)


def test_the_fee_ceiling_is_a_percentage_in_basis_points() -> None:
    assert parse_percent("2.5", "--max-protocol-fee") == 250
    assert parse_percent("5%", "--max-protocol-fee") == 500
    assert parse_percent("0", "--max-protocol-fee") == 0
    for bad in ("lots", "-1", "101", "0.001"):
        with pytest.raises(BadChoice, match="--max-protocol-fee"):
            parse_percent(bad, "--max-protocol-fee")
